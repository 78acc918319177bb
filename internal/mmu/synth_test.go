package mmu

import (
	"testing"
	"time"

	"github.com/gcwatch/gcwatch/internal/model"
)

// Two cycles from a gctrace log, the second cut by the end of the window:
//
//	time ms     0        10 11        19 20       30 31           40
//	            |        |  |          |  |        |  |            |
//	cycle 1:             ███▒▒▒▒▒▒▒▒▒▒▒███          4 Ps; mark: bg 8ms
//	                                                cpu → 1 P, assist
//	                                                4ms → .5 P
//	cycle 2:                                       ███░░░░░░░░░░░░░|░░ 2 Ps
//	                                                (procs unknown), no cpu
//	                                                figures: bg = 25% of 2
//	total u     1        0  .625       0  1        0  .75
func TestSynthesize(t *testing.T) {
	d := func(x float64) time.Duration { return time.Duration(x * float64(time.Millisecond)) }
	cycles := []model.Cycle{{
		N: 1, Start: 10 * ms, Procs: 4,
		SweepTermination: d(1), Mark: d(8), MarkTermination: d(1),
		SweepTerminationAt: 10 * ms, MarkTerminationAt: 19 * ms,
		CPU: model.CycleCPU{SweepTermination: d(4), Background: d(8), Assist: d(4), Idle: d(3), MarkTermination: d(4)},
	}, {
		N: 2, Start: 30 * ms, Procs: 0,
		SweepTermination: d(1), Mark: d(20), MarkTermination: d(1),
	}}
	var rec Recorder
	b := NewBuilder(Options{
		Windows: []time.Duration{time.Millisecond, 10 * time.Millisecond, 40 * time.Millisecond, 50 * time.Millisecond},
		Observe: rec.Observe,
	})
	Synthesize(cycles, 2, 0, 40*ms, b)
	got := b.Finish(40 * ms)
	if !got.Synthesized {
		t.Error("curve not marked Synthesized")
	}
	if rec.Backwards() != 0 {
		t.Errorf("%d Set calls went back in time", rec.Backwards())
	}
	want := []struct {
		w                    time.Duration
		mmu, stw, assist, bg float64
	}{
		{time.Millisecond, 0, 0, 0.875, 0.75},
		// [10,20): 8ms at .625 between the two pauses. Background alone is
		// lowest in [30,40): 9ms of cycle 2's mark at .75.
		{10 * time.Millisecond, 0.5, 0.8, 0.9, 0.775},
		// The whole window: 10 + 5 + 10 + 9·.75 = 31.75 of 40.
		{40 * time.Millisecond, 31.75 / 40, 37.0 / 40, 39.0 / 40, (40 - 2 - 9*0.25) / 40},
		// 50ms is longer than the window.
	}
	if len(got.Points) != len(want) {
		t.Fatalf("%d points, want %d", len(got.Points), len(want))
	}
	for i, w := range want {
		p := got.Points[i]
		if p.Window != w.w || !near(p.MMU, w.mmu) || !near(p.BySource[model.SourceSTW], w.stw) ||
			!near(p.BySource[model.SourceAssist], w.assist) || !near(p.BySource[model.SourceBackground], w.bg) ||
			p.BySource[model.SourceSweep] != 1 {
			t.Errorf("window %v: MMU %v by source %v; want %v %v %v %v 1", p.Window, p.MMU, p.BySource, w.mmu, w.stw, w.assist, w.bg)
		}
	}
}

// Overlapping cycles (a damaged log) and cycles outside the window must not
// send the series back in time or outside [start, end].
func TestSynthesizeDamaged(t *testing.T) {
	var rec Recorder
	b := NewBuilder(Options{Observe: rec.Observe})
	cycles := []model.Cycle{
		{Start: -50 * ms, SweepTermination: time.Millisecond, Mark: 5 * time.Millisecond},
		{Start: 10 * ms, SweepTermination: time.Millisecond, Mark: 30 * time.Millisecond, MarkTermination: time.Millisecond},
		{Start: 20 * ms, SweepTermination: time.Millisecond, Mark: 5 * time.Millisecond, MarkTermination: time.Millisecond},
		{Start: 5 * ms, Mark: -time.Millisecond, SweepTermination: -3},
		{Start: 900 * ms, SweepTermination: time.Millisecond},
	}
	Synthesize(cycles, 0, 0, 100*ms, b)
	if rec.Backwards() != 0 {
		t.Errorf("%d Set calls went back in time", rec.Backwards())
	}
	for _, c := range rec.calls {
		if c.t < 0 || c.t > 100*ms {
			t.Errorf("Set at %v, outside the window", c.t)
		}
	}
	if got := b.Finish(100 * ms); len(got.Points) != 10 || got.Points[0].MMU != 0 {
		t.Errorf("got %+v", got.Points)
	}
}
