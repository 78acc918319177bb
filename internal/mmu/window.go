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
//
// skipTo prunes candidates: a window mean moves by at most 1/size per
// nanosecond the window slides, so after a candidate whose means are at
// least d above every series' minimum and above what the worst set would
// take, no window starting less than d·size later can change anything.
type window struct {
	size   time.Duration
	inv    float64 // 1/size, so a mean is one multiply per series
	left   uint64
	next   uint64
	skipTo model.Time
	// exhaustive turns pruning off, for tests that check it changes nothing.
	exhaustive bool
	min        [numSeries]float64
	worst      worstSet
}

func newWindow(size time.Duration, worst int) window {
	w := window{size: size, inv: 1 / float64(size), worst: worstSet{keep: worst}, skipTo: math.MinInt64}
	for k := range w.min {
		w.min[k] = math.Inf(1)
	}
	return w
}

// consider takes one candidate window starting at start with the given
// mean utilisation per series, and moves skipTo past the candidates that
// cannot matter.
func (w *window) consider(start model.Time, mean *[numSeries]float64) {
	margin := math.Inf(1)
	for k, m := range mean {
		if m < w.min[k] {
			w.min[k] = m
		}
		margin = min(margin, m-w.min[k])
	}
	margin = min(margin, w.worst.offer(start, w.size, mean))
	if margin > 0 && !w.exhaustive {
		// Truncation keeps the skip on the safe side.
		w.skipTo = start + model.Time(margin*float64(w.size))
	}
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
