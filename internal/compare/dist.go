package compare

// Distribution is a figure's samples on each side as quantile curves: the
// before/after plots draw them, and they let a reader see where two
// distributions part, not only at the percentiles the rows show.
type Distribution struct {
	// Metric is "request_ms" (counted requests' latency) or "pause_ms"
	// (GC stop-the-world pauses).
	Metric string `json:"metric"`
	// Quantiles are the levels, ascending from 0 (the smallest sample) to
	// 1 (the largest); Before and After hold each side's nearest-rank
	// quantile at each level, in ms, or are null when the side has no
	// samples.
	Quantiles []float64 `json:"quantiles"`
	Before    []float64 `json:"before"`
	After     []float64 `json:"after"`
	BeforeN   int       `json:"before_n"`
	AfterN    int       `json:"after_n"`
}

// distributionLevels are the quantile levels of a Distribution: every
// percent, then the tail in finer steps to the largest sample.
var distributionLevels = func() []float64 {
	var ps []float64
	for i := range 100 {
		ps = append(ps, float64(i)/100)
	}
	return append(ps, 0.995, 0.999, 0.9995, 0.9999, 1)
}()

func distributions(b, a *gathered) []Distribution {
	curve := func(sorted []float64) []float64 {
		if len(sorted) == 0 {
			return nil
		}
		out := make([]float64, len(distributionLevels))
		for i, p := range distributionLevels {
			out[i] = quantile(sorted, p)
		}
		return out
	}
	var out []Distribution
	for _, d := range []struct {
		metric string
		b, a   []float64
	}{{"request_ms", b.requests, a.requests}, {"pause_ms", b.pauses, a.pauses}} {
		out = append(out, Distribution{Metric: d.metric, Quantiles: distributionLevels,
			Before: curve(d.b), After: curve(d.a), BeforeN: len(d.b), AfterN: len(d.a)})
	}
	return out
}
