package analyze

import (
	"slices"
	"time"

	"github.com/gcwatch/gcwatch/internal/model"
)

// maxLatencyWindows bounds the latency-over-time series, so that a long
// run's report stays small: windows widen instead.
const maxLatencyWindows = 500

// LatencyWindow is the latency of the requests that ended in one window of
// the run: what a latency-over-time plot draws.
type LatencyWindow struct {
	Start, End model.Time
	Requests   int
	P50, P99   time.Duration
	Max        time.Duration
}

// latencyWindowSize is the spike windows' width (so that spikes line up
// with the series), widened when the run would need more than
// maxLatencyWindows of them.
func latencyWindowSize(d time.Duration) time.Duration {
	w := spikeWindow(d)
	if n := d / w; n >= maxLatencyWindows {
		w = (d + maxLatencyWindows - 1) / maxLatencyWindows
	}
	return w
}

// latencyOverTime groups the selected requests (the ones the latency
// distribution counts) by the window their end falls in and gives each
// non-empty window its p50, p99 and max. Requests are grouped with a
// counting sort into one slice of latencies: one duration per request of
// transient memory, no per-window allocations.
func latencyOverTime(run *model.Run, reqs *model.Requests, sel []int32) ([]LatencyWindow, time.Duration) {
	if len(sel) == 0 || run.Duration() <= 0 {
		return nil, 0
	}
	w := latencyWindowSize(run.Duration())
	// A request ending exactly at the run's end counts in the last window.
	n := int((run.Duration() + w - 1) / w)
	window := func(i int32) int {
		return min(max(int(reqs.End(int(i)).Sub(run.Start)/w), 0), n-1)
	}
	offsets := make([]int, n+1)
	for _, i := range sel {
		offsets[window(i)+1]++
	}
	for k := 1; k <= n; k++ {
		offsets[k] += offsets[k-1]
	}
	next := slices.Clone(offsets[:n])
	lats := make([]time.Duration, len(sel))
	for _, i := range sel {
		k := window(i)
		lats[next[k]] = reqs.Duration(int(i))
		next[k]++
	}
	var out []LatencyWindow
	for k := range n {
		ds := lats[offsets[k]:offsets[k+1]]
		if len(ds) == 0 {
			continue
		}
		SortDurations(ds)
		out = append(out, LatencyWindow{
			Start: run.Start.Add(time.Duration(k) * w), End: run.Start.Add(time.Duration(k+1) * w),
			Requests: len(ds), P50: NearestRank(ds, 0.50), P99: NearestRank(ds, 0.99), Max: ds[len(ds)-1],
		})
	}
	return out, w
}
