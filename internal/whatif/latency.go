package whatif

import "time"

// LatencyModel predicts the p99 latency when the GC is active a different
// share of the time, and presses the mutator harder or less, than while the
// requests were observed. It is the two-population mixture of mixture.go:
// the requests that met a GC cycle and those that did not keep their
// observed latencies, and a prediction changes how many meet a cycle and
// how pressed the cycles they meet are. NewPressureLatencyModel builds it
// for the verdict's what-if grid; NewMixtureLatencyModel, without the
// cycles' pressures, for compare's check of a prediction.
type LatencyModel struct {
	observedActive float64
	n              int // requests
	met            int // requests that met a GC cycle
	mix            *mixture
}

// P99At is the predicted 99th percentile latency when a GC cycle is in
// progress the given share of the time, with the cycles' mark pressure
// scaled by sigma (see Prediction.MarkPressure; NaN counts as 1), and
// whether the figure is a bound.
func (m *LatencyModel) P99At(share, sigma float64) (time.Duration, Bound) {
	share = min(max(share, 0), 1)
	return m.mix.p99(m.observedActive, share, sigma)
}

// WithoutGC is the predicted p99 with no GC cycle at all, and whether it is
// a bound (an upper one when too few requests stayed clear of the GC).
func (m *LatencyModel) WithoutGC() (time.Duration, Bound) {
	return m.P99At(0, 1)
}

// CleanRequests is how many requests the model saw clear of the GC (all of
// them less the met ones).
func (m *LatencyModel) CleanRequests() int { return m.n - m.met }
