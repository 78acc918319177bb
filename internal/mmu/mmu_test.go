package mmu

import (
	"math"
	"testing"
	"time"

	"github.com/gcwatch/gcwatch/internal/model"
)

const ms = model.Time(time.Millisecond)

// busyOf builds a busy vector from source/count pairs.
func busyOf(pairs ...any) [model.NumSources]float64 {
	var b [model.NumSources]float64
	for i := 0; i < len(pairs); i += 2 {
		b[pairs[i].(model.UtilSource)] = toFloat(pairs[i+1])
	}
	return b
}

func toFloat(x any) float64 {
	switch v := x.(type) {
	case int:
		return float64(v)
	case float64:
		return v
	}
	panic("busyOf: count must be int or float64")
}

func near(a, b float64) bool { return math.Abs(a-b) <= 1e-9 }

// One GC cycle on 4 Ps over 10ms:
//
//	time ms      0    1    2    3    4    5    6    7    8    9    10
//	             |    |    |    |    |    |    |    |    |    |    |
//	STW (4 Ps)             █████                █████
//	background                  ████████████████████        (1 P)
//	assist                      ████████████████████        (1 P)
//	sweep                                            █████  (2 Ps)
//	total u      1    1    0    .5   .5   .5   .5   0    1    1
//
// Sweep is not in the total, so the total is 1 again from 8ms.
func TestOneCycleByHand(t *testing.T) {
	windows := []time.Duration{time.Millisecond, 2 * time.Millisecond, 5 * time.Millisecond, 10 * time.Millisecond, 20 * time.Millisecond}
	b := NewBuilder(Options{Windows: windows})
	b.Set(0, 4, busyOf())
	b.Set(2*ms, 4, busyOf(model.SourceSTW, 4))
	b.Set(3*ms, 4, busyOf(model.SourceBackground, 1, model.SourceAssist, 1))
	b.Set(7*ms, 4, busyOf(model.SourceSTW, 4))
	b.Set(8*ms, 4, busyOf(model.SourceSweep, 2))
	b.Set(9*ms, 4, busyOf())
	got := b.Finish(10 * ms)

	//            window  total  stw   assist background sweep
	want := []struct {
		w                     time.Duration
		mmu, stw, as, bg, swp float64
	}{
		// A 1ms window fits inside a pause; sweep takes half the Ps.
		{time.Millisecond, 0, 0, 0.75, 0.75, 0.5},
		// [2,4): 1ms at 0 and 1ms at .5. Pauses are 5ms apart.
		{2 * time.Millisecond, 0.25, 0.5, 0.75, 0.75, 0.75},
		// Any start in [2,3] covers 1ms of pause, 4ms of mark at .5.
		{5 * time.Millisecond, 0.4, 0.8, 0.8, 0.8, 0.9},
		// The whole series: (2 + 0 + 2 + 0 + 2) / 10.
		{10 * time.Millisecond, 0.6, 0.8, 0.9, 0.9, 0.95},
		// 20ms is longer than the series: no point.
	}
	if len(got.Points) != len(want) {
		t.Fatalf("got %d points, want %d", len(got.Points), len(want))
	}
	for i, w := range want {
		p := got.Points[i]
		gotVals := []float64{p.MMU, p.BySource[model.SourceSTW], p.BySource[model.SourceAssist], p.BySource[model.SourceBackground], p.BySource[model.SourceSweep]}
		wantVals := []float64{w.mmu, w.stw, w.as, w.bg, w.swp}
		if p.Window != w.w {
			t.Errorf("point %d: window %v, want %v", i, p.Window, w.w)
		}
		for k := range gotVals {
			if !near(gotVals[k], wantVals[k]) {
				t.Errorf("window %v: got (total stw assist bg sweep) %v, want %v", w.w, gotVals, wantVals)
				break
			}
		}
	}

	// The two pauses are the worst 1ms windows; the third is inside mark.
	worst := got.Points[0].Worst
	if len(worst) != 3 {
		t.Fatalf("1ms window: %d worst windows, want 3: %+v", len(worst), worst)
	}
	for i, start := range []model.Time{2 * ms, 7 * ms} {
		if w := worst[i]; w.Start != start || w.Utilization != 0 || w.Lost != [model.NumSources]float64{model.SourceSTW: 1} {
			t.Errorf("worst[%d] = %+v, want the pause at %v", i, w, start)
		}
	}
	if w := worst[2]; !near(w.Utilization, 0.5) || !near(w.Lost[model.SourceAssist], 0.25) || !near(w.Lost[model.SourceBackground], 0.25) {
		t.Errorf("worst[2] = %+v, want a 1ms window inside mark", w)
	}
}

// Busy beyond procs, a change of procs, fractional busy and a replaced
// state at the same time:
//
//	time ms    0         1         2         3         4
//	procs      2         2         8         8         8
//	busy       STW 2 +   (replaced)  assist  —
//	           assist 3  bg 0.5      2.4
//	total u    0         .75       .7        1
func TestClampingProcsAndReplace(t *testing.T) {
	b := NewBuilder(Options{Windows: []time.Duration{time.Millisecond, 2 * time.Millisecond, 4 * time.Millisecond}})
	b.Set(0, 2, busyOf(model.SourceSTW, 2, model.SourceAssist, 3))
	b.Set(ms, 2, busyOf(model.SourceSTW, 2))              // replaced below
	b.Set(ms, 2, busyOf(model.SourceBackground, 0.5))     // 1 − 0.5/2
	b.Set(2*ms, 8, busyOf(model.SourceAssist, 2.4))       // 1 − 2.4/8
	b.Set(3*ms, 8, busyOf(model.SourceSweep, math.NaN())) // NaN counts as 0
	b.Set(3*ms+1, 8, busyOf(model.SourceAssist, -1.0))    // same state, not a change
	got := b.Finish(4 * ms)
	want := []float64{0, (0 + 0.75) / 2, (0 + 0.75 + 0.7 + 1) / 4}
	for i, p := range got.Points {
		if !near(p.MMU, want[i]) {
			t.Errorf("window %v: MMU %v, want %v", p.Window, p.MMU, want[i])
		}
	}
	// Assist alone: 0 in the first ms (3 of 2 Ps), 1, then .7, then 1.
	if p := got.Points[0]; p.BySource[model.SourceAssist] != 0 || !near(p.BySource[model.SourceBackground], 0.75) {
		t.Errorf("1ms by source: %v", p.BySource)
	}
}

func TestFinishEdges(t *testing.T) {
	if got := NewBuilder(Options{}).Finish(10); got != nil {
		t.Errorf("no Set: got %+v, want nil", got)
	}
	b := NewBuilder(Options{Windows: []time.Duration{time.Millisecond}})
	b.Set(5*ms, 1, busyOf(model.SourceSTW, 1))
	got := b.Finish(ms) // before the last Set: counts as 5ms
	if got == nil || len(got.Points) != 0 {
		t.Fatalf("zero-length series: got %+v, want no points", got)
	}
	if again := b.Finish(100 * ms); again != got {
		t.Errorf("second Finish returned a different curve")
	}

	// A window exactly as long as the series has one position.
	b = NewBuilder(Options{Windows: []time.Duration{time.Millisecond}, Worst: -1})
	b.Set(0, 1, busyOf(model.SourceSTW, 1))
	b.Set(ms/4, 1, busyOf())
	got = b.Finish(ms)
	if len(got.Points) != 1 || !near(got.Points[0].MMU, 0.75) || got.Points[0].Worst != nil {
		t.Errorf("window = series: got %+v, want MMU .75 and no worst windows", got.Points)
	}
}

func TestDefaultWindows(t *testing.T) {
	ws := DefaultWindows()
	if len(ws) != 13 || ws[0] != 100*time.Microsecond || ws[len(ws)-1] != time.Second {
		t.Fatalf("DefaultWindows() = %v", ws)
	}
	for i := 1; i < len(ws); i++ {
		if r := float64(ws[i]) / float64(ws[i-1]); r < 2 || r > 2.5 {
			t.Errorf("step %v → %v is not a 1-2-5 step", ws[i-1], ws[i])
		}
	}
	b := NewBuilder(Options{Windows: []time.Duration{3, -1, 0, 2, 3}})
	if len(b.windows) != 2 || b.windows[0].size != 2 || b.windows[1].size != 3 {
		t.Errorf("windows not cleaned: %+v", b.windows)
	}
}
