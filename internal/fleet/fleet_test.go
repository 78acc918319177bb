package fleet

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/gcwatch/gcwatch/internal/advice"
	"github.com/gcwatch/gcwatch/internal/analyze"
	"github.com/gcwatch/gcwatch/internal/whatif"
)

// TestBestTuningNeverContradictsVerdict: a row offers a setting only where
// tuning is an option, and never one that makes p99 worse.
func TestBestTuningNeverContradictsVerdict(t *testing.T) {
	f := func(v float64) *float64 { return &v }
	i := func(v int64) *int64 { return &v }
	grid := []whatif.Row{
		{GOGC: 400, P99: f(5), PeakMemory: i(400 << 20), AllocRateFactor: 1},
		{GOGC: 800, P99: f(30), PeakMemory: i(800 << 20), AllocRateFactor: 1},
	}
	for _, tc := range []struct {
		id   string
		p99  float64
		want bool
	}{
		{advice.NotTheCause, 10, false},
		{advice.FixSTWDelay, 10, false},
		{advice.MigrationCandidate, 10, true},
		{advice.MigrationCandidate, 4, false}, // every row makes p99 worse
	} {
		r := &analyze.Result{Attribution: &analyze.Attribution{Requests: 1000, Tail99: analyze.Tail{Observed: time.Duration(tc.p99 * 1e6)}}}
		o := &advice.Outcome{Verdict: advice.Verdict{ID: tc.id, SufficientData: true}, WhatIf: grid}
		s := FromAnalysis("svc", "", r, o, 1<<30)
		if got := s.BestTuning != nil; got != tc.want {
			t.Errorf("%s at p99 %g ms: best tuning %+v, want one: %v", tc.id, tc.p99, s.BestTuning, tc.want)
		}
		if b := s.BestTuning; b != nil && b.P99Change != nil && *b.P99Change > 0 {
			t.Errorf("%s: best tuning makes p99 worse by %+.0f%%", tc.id, *b.P99Change*100)
		}
	}
}

// TestHeaderStatesTheOrder: the text table's header says the order Rank
// puts the rows in.
func TestHeaderStatesTheOrder(t *testing.T) {
	if !strings.HasPrefix(Header, "migration candidates first") || strings.Contains(Header, "removing the GC would gain") {
		t.Errorf("header %q does not state Rank's order", Header)
	}
}

// TestRankFollowsTheLadder: a service ranks as a migration candidate only
// when its options ladder reaches migration — nothing cheaper meets the
// target and the data is enough. A migration-candidate verdict whose
// ladder meets the target by cutting allocation (an allocation problem
// that looked like a migration candidate), or one on too little data, does
// not top the fleet even with the larger share of GC in its tail.
func TestRankFollowsTheLadder(t *testing.T) {
	yes, no := true, false
	ladder := func(first string, recommended bool) []advice.Option {
		var opts []advice.Option
		met := false
		for _, id := range advice.LadderOrder {
			o := advice.Option{ID: id, Applicable: true, MeetsTarget: &no, Change: "change " + id}
			if id == first || (met && id == advice.MigrationCandidate) {
				o.MeetsTarget = &yes
				o.Recommended = recommended && id == first
				met = true
			}
			opts = append(opts, o)
		}
		return opts
	}
	svc := func(name, id string, share float64, sufficient bool, opts []advice.Option) Service {
		r := &analyze.Result{GC: analyze.GC{Cycles: 10, CPUFraction: 0.2},
			Attribution: &analyze.Attribution{Requests: 1000, Tail99: analyze.Tail{GCShare: share, Observed: 20 * time.Millisecond}}}
		o := &advice.Outcome{Verdict: advice.Verdict{ID: id, SufficientData: sufficient, Options: opts}}
		return FromAnalysis(name, "", r, o, 1<<30)
	}
	ranked := Rank([]Service{
		// Its ladder meets the target by cutting allocation: the verdict
		// and the ladder disagree, and the ladder wins the ranking.
		svc("looks-intrinsic", advice.MigrationCandidate, 0.9, true, ladder(advice.ReduceAllocation, false)),
		svc("intrinsic", advice.MigrationCandidate, 0.5, true, ladder(advice.MigrationCandidate, true)),
		svc("thin", advice.MigrationCandidate, 0.95, false, ladder(advice.MigrationCandidate, false)),
		svc("allocates", advice.ReduceAllocation, 0.6, true, ladder(advice.ReduceAllocation, true)),
	})
	var names []string
	for _, s := range ranked {
		names = append(names, s.Name)
	}
	if strings.Join(names, ",") != "intrinsic,thin,looks-intrinsic,allocates" {
		t.Fatalf("order %v, want the ladder's migration candidate first, then by GC share of the tail", names)
	}
	if r := ranked[0].RecommendedOption; r == nil || *r != advice.MigrationCandidate || ranked[0].Rank != 1 {
		t.Errorf("first: %+v", ranked[0])
	}
	for _, s := range ranked[1:3] {
		found := false
		for _, r := range s.Reasons {
			found = found || strings.HasPrefix(r, "ranked with the other GC problems, not as a migration candidate: ")
		}
		if !found {
			t.Errorf("%s: reasons %q do not say why it is not ranked as a migration candidate", s.Name, s.Reasons)
		}
	}
	if !strings.Contains(strings.Join(ranked[2].Reasons, " "), "reduce-allocation meets the target first") {
		t.Errorf("looks-intrinsic: reasons %q do not name the cheaper remedy", ranked[2].Reasons)
	}
}

// TestFromProcessesUsesTheRichest: of a service's processes, the line is
// built from the one with the most requests, then the most complete
// cycles, and a note says so; no process is an error.
func TestFromProcessesUsesTheRichest(t *testing.T) {
	proc := func(requests, cycles, partial int, cpu float64) Process {
		r := &analyze.Result{GC: analyze.GC{Cycles: cycles, PartialCycles: partial, CPUFraction: cpu}}
		r.Latency.Requests = requests
		return Process{Result: r, Outcome: &advice.Outcome{Verdict: advice.Verdict{ID: advice.Tune}}}
	}
	for _, tc := range []struct {
		name  string
		procs []Process
		cpu   float64 // the chosen process's GC CPU
	}{
		{"most requests", []Process{proc(10, 50, 0, 0.1), proc(20, 3, 0, 0.2), proc(5, 90, 0, 0.3)}, 0.2},
		{"then complete cycles", []Process{proc(10, 9, 5, 0.1), proc(10, 6, 0, 0.2)}, 0.2},
		{"first of equals", []Process{proc(10, 6, 0, 0.1), proc(10, 6, 0, 0.2)}, 0.1},
	} {
		s, note, err := FromProcesses("svc", "caps", tc.procs, 0)
		if err != nil || s.GCCPUFraction != tc.cpu {
			t.Errorf("%s: GC CPU %g, err %v; want the process with %g", tc.name, s.GCCPUFraction, err, tc.cpu)
		}
		if want := fmt.Sprintf("svc: %d processes in caps; the one with the most data is used", len(tc.procs)); note != want {
			t.Errorf("%s: note %q, want %q", tc.name, note, want)
		}
	}
	if _, note, err := FromProcesses("svc", "caps", []Process{proc(1, 5, 0, 0.1)}, 0); err != nil || note != "" {
		t.Errorf("one process: note %q, err %v; want neither", note, err)
	}
	if _, _, err := FromProcesses("svc", "caps", nil, 0); err == nil {
		t.Errorf("no process: no error")
	}
}
