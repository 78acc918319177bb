package analyze

import (
	"math/rand/v2"
	"testing"
	"time"

	"github.com/gcwatch/gcwatch/internal/model"
)

// TestLatencyOverTime checks the per-window series against a direct
// computation: for each window, the requests ending in it, sorted, and
// their nearest-rank p50 and p99.
func TestLatencyOverTime(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	run := &model.Run{Start: model.Time(time.Second), End: model.Time(3 * time.Second)}
	for i := range 2000 {
		start := run.Start.Add(time.Duration(rng.Int64N(int64(1900 * time.Millisecond))))
		d := time.Duration(rng.ExpFloat64() * float64(5*time.Millisecond))
		run.Requests = appendRequests(run.Requests, model.Request{ID: uint64(i + 1), Type: "r", Kind: model.RequestTask, Start: start, End: start.Add(d)})
	}
	// An open request is not counted, in the series as in the distribution.
	run.Requests = appendRequests(run.Requests, model.Request{ID: 9999, Type: "r", Kind: model.RequestTask, Start: run.Start, End: run.End, Open: true})
	res := Analyze(run, DefaultOptions())
	if res.LatencyWindow != 20*time.Millisecond {
		t.Fatalf("window = %v, want 20ms (a hundredth of 2 s)", res.LatencyWindow)
	}
	total := 0
	for _, w := range res.LatencyOverTime {
		var ds []time.Duration
		for _, r := range run.Requests.All() {
			if !r.Open && r.End >= w.Start && r.End < w.End {
				ds = append(ds, r.Duration())
			}
		}
		if len(ds) != w.Requests {
			t.Fatalf("window at %v: %d requests, want %d", w.Start, w.Requests, len(ds))
		}
		sortDurations(ds)
		if w.P50 != ds[(len(ds)+1)/2-1] || w.Max != ds[len(ds)-1] {
			t.Errorf("window at %v: p50 %v max %v, want %v %v", w.Start, w.P50, w.Max, ds[(len(ds)+1)/2-1], ds[len(ds)-1])
		}
		if want := ds[ceilDiv(99*len(ds), 100)-1]; w.P99 != want {
			t.Errorf("window at %v: p99 %v, want %v", w.Start, w.P99, want)
		}
		total += w.Requests
	}
	if total != res.Latency.Requests {
		t.Errorf("series holds %d requests, the distribution %d", total, res.Latency.Requests)
	}
}

// TestLatencyWindowBounded checks a long run gets at most
// maxLatencyWindows windows.
func TestLatencyWindowBounded(t *testing.T) {
	for _, d := range []time.Duration{time.Millisecond, time.Second, time.Hour, 100 * time.Hour} {
		w := latencyWindowSize(d)
		if n := int((d + w - 1) / w); n > maxLatencyWindows {
			t.Errorf("%v: window %v gives %d windows", d, w, n)
		}
	}
}

func sortDurations(ds []time.Duration) {
	for i := 1; i < len(ds); i++ {
		for j := i; j > 0 && ds[j] < ds[j-1]; j-- {
			ds[j], ds[j-1] = ds[j-1], ds[j]
		}
	}
}

func ceilDiv(a, b int) int { return (a + b - 1) / b }
