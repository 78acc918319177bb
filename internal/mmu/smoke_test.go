package mmu

import (
	"testing"
	"time"

	"github.com/gcwatch/gcwatch/internal/model"
)

// A single full stop of 1ms in a 10ms series: u is 1, then 0 over [4ms,5ms),
// then 1 again.
func TestSingleStop(t *testing.T) {
	b := NewBuilder(Options{Windows: []time.Duration{time.Millisecond, 2 * time.Millisecond, 20 * time.Millisecond}})
	ms := model.Time(time.Millisecond)
	b.Set(0, 4, [model.NumSources]float64{})
	b.Set(4*ms, 4, [model.NumSources]float64{model.SourceSTW: 4})
	b.Set(5*ms, 4, [model.NumSources]float64{})
	got := b.Finish(10 * ms)
	if len(got.Points) != 2 {
		t.Fatalf("got %d points, want 2 (the 20ms window is longer than the series)", len(got.Points))
	}
	if p := got.Points[0]; p.MMU != 0 || p.BySource[model.SourceSTW] != 0 || p.BySource[model.SourceAssist] != 1 {
		t.Errorf("1ms window: %+v", p)
	}
	if p := got.Points[1]; p.MMU != 0.5 {
		t.Errorf("2ms window: MMU %v, want 0.5", p.MMU)
	}
}
