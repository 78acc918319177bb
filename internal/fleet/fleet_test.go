package fleet

import (
	"strings"
	"testing"

	"github.com/gcwatch/gcwatch/internal/advice"
	"github.com/gcwatch/gcwatch/internal/report"
)

// TestBestTuningNeverContradictsVerdict: a row offers a setting only where
// tuning is an option, and never one that makes p99 worse.
func TestBestTuningNeverContradictsVerdict(t *testing.T) {
	f := func(v float64) *float64 { return &v }
	i := func(v int64) *int64 { return &v }
	grid := []advice.WhatIfRow{
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
		p := &report.Process{Verdict: &advice.Verdict{ID: tc.id, SufficientData: true}, WhatIf: grid,
			Attribution: &report.Attribution{Requests: 1000, P99Ms: tc.p99}}
		s := FromProcess("svc", "", p, 1<<30)
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
