package report

import (
	"cmp"
	"slices"

	"github.com/gcwatch/gcwatch/internal/model"
)

// maxPauses bounds Process.Pauses: a run with a pause a millisecond for an
// hour would otherwise put millions of rows in the report.
const maxPauses = 5000

// LatencyWindow is the latency of the requests that ended in one window.
type LatencyWindow struct {
	StartMs  float64 `json:"start_ms"`
	EndMs    float64 `json:"end_ms"`
	Requests int     `json:"requests"`
	P50Ms    float64 `json:"p50_ms"`
	P99Ms    float64 `json:"p99_ms"`
	MaxMs    float64 `json:"max_ms"`
}

// addSeries adds the time series plots draw: every pause, latency over
// time and the memory budget.
func addSeries(p *Process, in Input) {
	r := in.Result
	run := r.Run
	rel := func(t model.Time) float64 { return ms(t.Sub(run.Start)) }
	p.Pauses = allPauses(run, rel)
	p.PausesOmitted = len(run.Pauses) - len(p.Pauses)
	p.LatencyOverTime = []LatencyWindow{}
	p.LatencyWindowMs = ms(r.LatencyWindow)
	for _, w := range r.LatencyOverTime {
		p.LatencyOverTime = append(p.LatencyOverTime, LatencyWindow{StartMs: rel(w.Start), EndMs: rel(w.End),
			Requests: w.Requests, P50Ms: ms(w.P50), P99Ms: ms(w.P99), MaxMs: ms(w.Max)})
	}
	if in.Budget > 0 {
		b := in.Budget
		p.MemBudgetBytes = &b
	}
}

// allPauses converts the run's pauses, keeping the longest maxPauses when
// there are more, in time order.
func allPauses(run *model.Run, rel func(model.Time) float64) []Pause {
	src := run.Pauses
	if len(src) > maxPauses {
		src = slices.Clone(src)
		slices.SortStableFunc(src, func(a, b model.Pause) int { return cmp.Compare(b.Duration, a.Duration) })
		src = src[:maxPauses]
	}
	out := make([]Pause, 0, len(src))
	for _, w := range src {
		pp := Pause{StartMs: rel(w.Start), DurationMs: ms(w.Duration), RestartMs: ms(w.Restart), Kind: string(w.Kind), Reason: w.Reason, Goroutine: w.Goroutine}
		if w.Cycle >= 0 && w.Cycle < len(run.Cycles) {
			pp.Cycle = run.Cycles[w.Cycle].N
		}
		if w.TimeToStop >= 0 {
			v := ms(w.TimeToStop)
			pp.TimeToStopMs = &v
		}
		out = append(out, pp)
	}
	slices.SortStableFunc(out, func(a, b Pause) int { return cmp.Compare(a.StartMs, b.StartMs) })
	return out
}
