package whatif

import (
	"math"
	"time"
)

// Linear is a per-cycle cost as a function of the bytes the cycle scans
// (live heap plus roots): Fixed + PerByte·bytes.
type Linear struct {
	Fixed time.Duration
	// PerByte is nanoseconds per byte scanned.
	PerByte float64
	// Proportional is set when the observed cycles scanned too similar an
	// amount to separate a fixed cost from a per-byte one: the cost was then
	// taken as proportional to the bytes scanned (Fixed is 0), which is the
	// GC guide's large-heap form.
	Proportional bool
}

// At returns the cost for a cycle scanning bytes, in nanoseconds.
func (l Linear) At(bytes float64) float64 {
	return float64(l.Fixed) + l.PerByte*bytes
}

// minRelativeSpread is the spread of scanned bytes, (max−min)/mean, below
// which a straight-line fit is too ill-conditioned to trust its intercept.
const minRelativeSpread = 0.25

// fitLinear fits y = a + b·x by least squares with a, b ≥ 0. When the x are
// too close together it fits y = b·x instead (see Linear.Proportional); a
// negative intercept also falls back to that, and a negative slope to a
// constant (the mean).
func fitLinear(x, y []float64) Linear {
	n := float64(len(x))
	var sx, sy, lo, hi float64
	lo, hi = math.Inf(1), math.Inf(-1)
	for i := range x {
		sx += x[i]
		sy += y[i]
		lo, hi = math.Min(lo, x[i]), math.Max(hi, x[i])
	}
	meanX, meanY := sx/n, sy/n
	proportional := func() Linear {
		if sx <= 0 {
			return Linear{Fixed: time.Duration(meanY), Proportional: true}
		}
		return Linear{PerByte: sy / sx, Proportional: true}
	}
	if meanX <= 0 || (hi-lo)/meanX < minRelativeSpread {
		return proportional()
	}
	var sxx, sxy float64
	for i := range x {
		dx := x[i] - meanX
		sxx += dx * dx
		sxy += dx * (y[i] - meanY)
	}
	b := sxy / sxx
	a := meanY - b*meanX
	switch {
	case b < 0:
		return Linear{Fixed: time.Duration(meanY)}
	case a < 0:
		return proportional()
	}
	return Linear{Fixed: time.Duration(a), PerByte: b}
}

// rSquared is the share of the variance of y that the fit explains. It is
// NaN when y does not vary.
func rSquared(l Linear, x, y []float64) float64 {
	meanY := mean(y)
	var res, tot float64
	for i := range x {
		d := y[i] - l.At(x[i])
		res += d * d
		t := y[i] - meanY
		tot += t * t
	}
	if tot == 0 {
		return math.NaN()
	}
	return 1 - res/tot
}

// meanAbsPctError is the mean of |predicted−observed|/observed over the
// points with a positive observed value, NaN when there are none.
func meanAbsPctError(predicted, observed []float64) float64 {
	var sum float64
	var n int
	for i := range observed {
		if observed[i] > 0 && known(predicted[i]) {
			sum += math.Abs(predicted[i]-observed[i]) / observed[i]
			n++
		}
	}
	if n == 0 {
		return math.NaN()
	}
	return sum / float64(n)
}
