package latencylog

import (
	"fmt"
	"time"

	"github.com/gcwatch/gcwatch/internal/model"
)

// A log usually covers more time than a trace, so most of its requests
// may rightly fall outside the window. What betrays a wrong anchor is a
// window that gets far fewer requests than the log's own rate puts there,
// or none at all.

// sparseFactor is how many times fewer requests than the log's rate
// predicts make the window suspicious.
const sparseFactor = 10

// checkWindow warns when (nearly) no request falls in the run's window.
func (a *Alignment) checkWindow(log *Log, run *model.Run) {
	total := len(log.Requests)
	if total == 0 {
		return
	}
	first, last := log.Requests[0].Start, log.Requests[0].End()
	for _, e := range log.Requests[1:] {
		if e.Start.Before(first) {
			first = e.Start
		}
		if e.End().After(last) {
			last = e.End()
		}
	}
	winStart := a.WallZero.Add(time.Duration(run.Start))
	winEnd := a.WallZero.Add(time.Duration(run.End))
	got := a.InWindow + a.Open
	if got == 0 {
		a.Warnings = append(a.Warnings, fmt.Sprintf(
			"none of the %d requests of %s falls in the window of %s: the log runs from %s to %s, the window from %s to %s (by its %s)%s; check the anchor, the log's time zone, or whether the log belongs to this run",
			total, a.Log, a.Run, stamp(first), stamp(last), stamp(winStart), stamp(winEnd), a.Anchor,
			zoneHint(first, last, winStart, winEnd)))
		return
	}
	span := last.Sub(first)
	overlap := earlier(last, winEnd).Sub(later(first, winStart))
	if span <= 0 || overlap <= 0 {
		return
	}
	expected := float64(total) * float64(overlap) / float64(span)
	if expected >= sparseFactor && float64(got)*sparseFactor < expected {
		a.Warnings = append(a.Warnings, fmt.Sprintf(
			"only %d of the %d requests of %s fall in the window of %s, where the log's average rate would put about %.0f; check the anchor (%s) and the log's time zone",
			got, total, a.Log, a.Run, expected, a.Anchor))
	}
}

func earlier(a, b time.Time) time.Time {
	if a.Before(b) {
		return a
	}
	return b
}

func later(a, b time.Time) time.Time {
	if a.After(b) {
		return a
	}
	return b
}

// zoneHint says when the log and the window are apart by about a whole
// number of half hours, the signature of a time zone read wrong.
func zoneHint(first, last, winStart, winEnd time.Time) string {
	mid := first.Add(last.Sub(first) / 2)
	winMid := winStart.Add(winEnd.Sub(winStart) / 2)
	d := mid.Sub(winMid)
	if d < 0 {
		d = -d
	}
	const half = 30 * time.Minute
	if d < half-5*time.Minute || d > 15*time.Hour {
		return ""
	}
	off := d % half
	if off > 5*time.Minute && off < half-5*time.Minute {
		return ""
	}
	return fmt.Sprintf("; they are %v apart, close to a whole number of half hours, as a time zone read wrong would make them", d.Round(time.Second))
}
