package advice

import (
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/gcwatch/gcwatch/internal/analyze"
	"github.com/gcwatch/gcwatch/internal/whatif"
	"github.com/gcwatch/gcwatch/internal/whatif/whatiftest"
)

// heavyTailRequests makes requests for a run whose GC is active share
// active of the time: that share of them meet a cycle, and of those,
// hitShare pay 20 ms; every other request takes 1 ms (2 ms when it met a
// cycle without being hit). The p99 is 20 ms while more than 1 % of all
// requests are hit.
func heavyTailRequests(n int, active, hitShare float64) *analyze.Attribution {
	a := &analyze.Attribution{Requests: n, Accounted: true}
	met := int(active * float64(n))
	hit := int(hitShare * float64(met))
	for i := range n {
		d, g := time.Millisecond, time.Duration(0)
		switch {
		case i < hit:
			d, g = 20*time.Millisecond, 19*time.Millisecond
		case i < met:
			d, g = 2*time.Millisecond, time.Millisecond
		}
		a.Latencies = append(a.Latencies, d)
		a.GCTimes = append(a.GCTimes, g)
		a.Met = append(a.Met, i < met)
	}
	sorted := sortedCopy(a.Latencies)
	a.Tail99 = analyze.Tail{Quantile: 0.99, Requests: n / 100, GCShare: 0.9,
		Observed: analyze.NearestRank(sorted, 0.99), WithoutGC: time.Millisecond, Latency: time.Duration(n/100) * 20 * time.Millisecond}
	return a
}

// allocCase is a decision on a synthetic run of a 300 MiB live heap at
// GOGC=50 on 2 Ps with a 512 MiB budget: GOGC=50 is the largest heap the
// budget holds, so no setting spaces cycles out further, and the SLO is
// p99 ≤ 5 ms.
func allocCase(p whatiftest.Params, hitShare float64) Case {
	run := whatiftest.Run(p, 11)
	fit, err := whatif.FitRun(run, whatif.Known{})
	if err != nil {
		panic(err)
	}
	attr := heavyTailRequests(10000, fit.Observed.MarkActiveFraction, hitShare)
	a := &analyze.Result{Attribution: attr}
	a.GC.Cycles = len(run.Cycles)
	a.GC.CPUFraction = fit.Observed.GCCPUFraction
	a.Latency.Source = "task"
	return Case{Run: run, Analysis: a, SLO: &SLO{Quantile: 0.99, Target: 5 * time.Millisecond},
		Budget: 512 << 20, Rules: DefaultThresholds()}
}

func allocParams() whatiftest.Params {
	p := whatiftest.Base()
	p.Live, p.Swing, p.GOGC, p.Procs = 300<<20, 0.05, 50, 2
	p.IdleShare = 0.3
	return p
}

func evidenceRow(v Verdict, metric string) (Evidence, bool) {
	i := slices.IndexFunc(v.Evidence, func(e Evidence) bool { return e.Metric == metric })
	if i < 0 {
		return Evidence{}, false
	}
	return v.Evidence[i], true
}

// TestAllocationDrivenLookAlike: a mid-size pointer-rich heap near its
// budget, 80 ms of marking per cycle, and a high allocation rate that keeps
// a cycle running 40 % of the time. The old rule (long marking, a live heap
// filling half the budget) said migration-candidate; halving the
// allocation halves the requests that meet a cycle and meets the SLO.
func TestAllocationDrivenLookAlike(t *testing.T) {
	p := allocParams()
	p.AllocRate = 800 << 20
	p.WallFixed, p.WallPerByte = 1e6, 79e6/float64(304<<20)
	p.CPUFixed, p.CPUPerByte = 1e6, 79e6/float64(304<<20)
	req := allocCase(p, 0.04)
	out := Decide(req)
	v := out.Verdict
	if v.ID != ReduceAllocation {
		t.Fatalf("verdict %s (%s), want %s; evidence %+v", v.ID, v.Summary, ReduceAllocation, v.Evidence)
	}
	for _, m := range []string{"mark_wall_per_cycle_ms", "live_heap_share_of_budget"} {
		if e, ok := evidenceRow(v, m); !ok || !e.Holds {
			t.Errorf("%s: %+v, want a row that holds (the look-alike meets the old migration rule)", m, e)
		}
	}
	e, ok := evidenceRow(v, "alloc_cut_needed")
	if !ok || !e.Holds || e.Value > 0.5 || e.Value < 0.25 || e.Threshold != 0.5 {
		t.Errorf("alloc_cut_needed %+v: want a cut between a quarter and a half, held against alloc_cut_max 0.5", e)
	}

	// The rows carry every setting at 1, 0.5 and 0.25 of the allocation
	// rate. At 0.5 the same setting marks a smaller heap (half of what was
	// allocated while marking, marked black, is gone), so its goal and
	// peak are lower, and each cycle costs what it did: worked out here
	// from the fit's parameters.
	f := out.Fit
	if f.MarkedWhileMarking <= 0 {
		t.Fatalf("marked_while_marking %d: the synthetic cycles grow while marking", f.MarkedWhileMarking)
	}
	live := float64(f.LiveHeap) - 0.5*float64(f.MarkedWhileMarking)
	roots := f.ScanBytes() - float64(f.LiveHeap)
	over := f.Overshoot
	if over > 1 {
		over = 1 + 0.5*(over-1)
	}
	peakHalf := (live + (live+roots)*0.5) * over
	rows := map[float64][]whatif.Row{}
	for _, r := range out.WhatIf {
		rows[r.AllocRateFactor] = append(rows[r.AllocRateFactor], r)
	}
	if len(rows) != 3 || len(rows[1]) != len(rows[0.5]) || len(rows[1]) != len(rows[0.25]) {
		t.Fatalf("rows per factor: %d at 1, %d at 0.5, %d at 0.25", len(rows[1]), len(rows[0.5]), len(rows[0.25]))
	}
	for i, full := range rows[1] {
		half := rows[0.5][i]
		if full.GOGC != half.GOGC || (full.MemoryLimit == nil) != (half.MemoryLimit == nil) {
			t.Fatalf("row %d: settings differ between factors", i)
		}
		if full.GOGC != 50 || full.MemoryLimit != nil {
			continue
		}
		gcPerSecond := 0.5 * f.AllocRate / (peakHalf - live)
		whatiftest.Within(t, "gc/s at half the allocation", half.GCPerSecond, gcPerSecond, 0.01)
		whatiftest.Within(t, "gc cpu at half the allocation", half.GCCPUFraction, full.GCCPUFraction/full.GCPerSecond*gcPerSecond, 0.01)
		whatiftest.Within(t, "peak heap at half the allocation", float64(*half.PeakHeap), peakHalf, 0.01)
		if *half.P99 > 5 || *full.P99 <= 5 {
			t.Errorf("p99 %v ms at full, %v at half: want over, then within the 5 ms SLO", *full.P99, *half.P99)
		}
		if *half.AssistShare >= *full.AssistShare || *full.AssistShare <= 0 {
			t.Errorf("assist share %v at full, %v at half: want less with less allocation", *full.AssistShare, *half.AssistShare)
		}
	}
}

// TestIntrinsicHeapKeepsMigration: the same heap with 600 ms of marking per
// cycle at a modest allocation rate, and a fifth of the requests that meet
// a cycle badly hurt: even a quarter of the allocation leaves the p99 over
// the SLO, so the cost is the live heap's.
func TestIntrinsicHeapKeepsMigration(t *testing.T) {
	p := allocParams()
	p.AllocRate = 100 << 20
	p.WallFixed, p.WallPerByte = 1e6, 599e6/float64(304<<20)
	p.CPUFixed, p.CPUPerByte = 1e6, 599e6/float64(304<<20)
	out := Decide(allocCase(p, 0.2))
	v := out.Verdict
	if v.ID != MigrationCandidate {
		t.Fatalf("verdict %s (%s), want %s; evidence %+v", v.ID, v.Summary, MigrationCandidate, v.Evidence)
	}
	e, ok := evidenceRow(v, "settings_meeting_target_at_alloc_cut")
	if !ok || e.Holds {
		t.Errorf("settings_meeting_target_at_alloc_cut %+v: want a row that does not hold", e)
	}
	if _, ok := evidenceRow(v, "alloc_cut_needed"); ok {
		t.Errorf("an alloc_cut_needed row on a verdict no cut meets: %+v", v.Evidence)
	}

	// Without a model the rule cannot show what less allocation would do,
	// and says so.
	req := allocCase(p, 0.2)
	req.Run.Cycles = req.Run.Cycles[:2]
	v = Decide(req).Verdict
	if v.ID != MigrationCandidate || !slices.ContainsFunc(v.Caveats, func(c string) bool {
		return strings.Contains(c, "what less allocation would do could not be predicted")
	}) {
		t.Errorf("without a model: %s, caveats %q; want migration-candidate on the rules alone, saying less allocation was not predicted", v.ID, v.Caveats)
	}
}
