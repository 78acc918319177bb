package mmu

import (
	"math/rand/v2"
	"testing"
	"time"

	"github.com/gcwatch/gcwatch/internal/model"
)

// Feeding ten times more of the same kind of series must not grow what the
// Builder keeps: the mark buffer is bounded by the marks inside the largest
// window, and each window keeps at most Worst candidates.
func TestMemoryBounded(t *testing.T) {
	// Windows up to 100ms keep the test quick; the bound scales with the
	// largest window either way.
	windows := DefaultWindows()[:10]
	retained := func(d time.Duration) (marks, bufCap int) {
		b := NewBuilder(Options{Windows: windows})
		for _, c := range gcLikeSeries(rand.New(rand.NewPCG(7, 8)), 0, d) {
			b.Set(c.t, c.procs, c.busy)
		}
		for i := range b.windows {
			if n := len(b.windows[i].worst.items); n > 3 {
				t.Errorf("window %v keeps %d worst candidates", b.windows[i].size, n)
			}
		}
		return int(b.marks.len()), len(b.marks.buf)
	}
	shortMarks, shortCap := retained(200 * time.Millisecond)
	longMarks, longCap := retained(2 * time.Second)
	// ~137k Sets per second of this series; the largest window is 100ms.
	t.Logf("200ms: %d marks in %d slots; 2s: %d marks in %d slots", shortMarks, shortCap, longMarks, longCap)
	if longCap > shortCap || longMarks > 2*shortMarks {
		t.Errorf("2s of series keeps %d marks in %d slots, 20s keeps %d in %d", shortMarks, shortCap, longMarks, longCap)
	}
	if shortMarks > 20_000 {
		t.Errorf("200ms of series keeps %d marks, more than 100ms's worth", shortMarks)
	}
}

// A long quiet stretch followed by a burst keeps only the burst plus the
// one mark that starts the stretch.
func TestMemoryAfterQuietStretch(t *testing.T) {
	b := NewBuilder(Options{Windows: []time.Duration{time.Millisecond}})
	b.Set(0, 1, busyOf())
	var t0 model.Time = model.Time(time.Hour)
	for i := range 100_000 {
		b.Set(t0+model.Time(i)*model.Time(time.Microsecond), 1, busyOf(model.SourceAssist, i%2))
	}
	if n := b.marks.len(); n > 1002 {
		t.Errorf("keeps %d marks, want about one window's worth (1000)", n)
	}
}
