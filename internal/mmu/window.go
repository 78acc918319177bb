package mmu

import (
	"math"
	"time"

	"github.com/gcwatch/gcwatch/internal/model"
)

// window is the streaming state for one window size.
//
// Every candidate window starts or ends at a mark. Both kinds are evaluated
// when the stream first passes their right edge, so candidates are seen in
// order of their start:
//
//   - next is the oldest mark whose window starting there has not been
//     evaluated; it moves forward as the stream passes mark+size.
//   - left is the mark at or before the left edge of the window that ends at
//     the newest mark; it moves forward with the stream (two pointers).
type window struct {
	size  time.Duration
	inv   float64 // 1/size, so a mean is one multiply per series
	left  uint64
	next  uint64
	min   [numSeries]float64
	worst worstSet
}

func newWindow(size time.Duration, worst int) window {
	w := window{size: size, inv: 1 / float64(size), worst: worstSet{keep: worst}}
	for k := range w.min {
		w.min[k] = math.Inf(1)
	}
	return w
}

// consider takes one candidate window starting at start with the given
// mean utilisation per series.
func (w *window) consider(start model.Time, mean *[numSeries]float64) {
	for k, m := range mean {
		if m < w.min[k] {
			w.min[k] = m
		}
	}
	w.worst.offer(start, w.size, mean)
}

// result is the curve point of this window size.
func (w *window) result() model.MMUPoint {
	p := model.MMUPoint{Window: w.size, MMU: clampUnit(w.min[seriesTotal])}
	for s := range model.NumSources {
		p.BySource[s] = clampUnit(w.min[sourceSeries(s)])
	}
	p.Worst = w.worst.windows()
	return p
}

// clampUnit keeps rounding noise (a mean of -1e-17) out of the results.
func clampUnit(x float64) float64 { return math.Max(0, math.Min(1, x)) }
