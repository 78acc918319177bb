package compare

// Job is one job's comparison read from monitoring: the figures its
// metrics hold for the BEFORE and AFTER ranges, and what they can and
// cannot tell.
type Job struct {
	Job string `json:"job"`
	*Comparison
	// Knowable says, for the AFTER range, what the job's metrics can and
	// cannot tell ("can tell: …", "cannot tell: …").
	Knowable []string `json:"knowable"`
}

// WindowRow is one figure read from monitoring: before and after are the
// aggregates over each side's whole range (nil where the job lacks the
// figure), and bs and as the same figure over each of the side's windows
// (one per step), which the Mann–Whitney U test compares. Windows that do
// not overlap are the samples metrics give: no request or pause is seen
// one by one.
func WindowRow(metric, unit, worse string, before, after *float64, bs, as []float64, samples string, opts Options) Row {
	t := &tester{opts: opts}
	val := func(v *float64) float64 {
		if v == nil {
			return nan
		}
		return *v
	}
	bs, as = sortedCopy(bs), sortedCopy(as)
	return t.row(metric, unit, worse, val(before), val(after)).test(t, bs, as, samples, 0)
}
