package crosscheck

import (
	"cmp"
	"math"
	"slices"
	"testing"
	"time"

	"github.com/gcwatch/gcwatch/internal/analyze"
)

// TestAttributionAgainstRawTrace checks gcwatch's per-request attribution
// of stop-the-world time on every recording against a brute-force
// computation from the raw events: for each task, its overlap with every
// GC sweep-termination, mark-termination and non-GC stop-the-world range,
// summed over the slowest 1 % (ceil(0.01·N), slowest first, ties by start),
// and the share of those that met a GC pause; and p99 by nearest rank.
func TestAttributionAgainstRawTrace(t *testing.T) {
	for _, s := range scenarios(t) {
		t.Run(s.Name, func(t *testing.T) {
			raw := readRawTrace(t, s.path("trace.out"))
			run := readRun(t, s)
			res := analyze.Analyze(run, analyze.DefaultOptions())
			a := res.Attribution
			var tasks []rawTask
			for _, tk := range raw.tasks {
				if !tk.open {
					tasks = append(tasks, tk)
				}
			}
			if len(tasks) == 0 {
				if a != nil && a.Requests > 0 {
					t.Fatalf("gcwatch attributes %d requests, the raw trace has no closed task", a.Requests)
				}
				return
			}
			if a == nil || a.Requests != len(tasks) {
				t.Fatalf("gcwatch attributes %v requests, the raw trace has %d closed tasks", a, len(tasks))
			}
			slices.SortStableFunc(tasks, func(x, y rawTask) int {
				return cmp.Or(cmp.Compare(y.end-y.begin, x.end-x.begin), cmp.Compare(x.begin, y.begin))
			})
			k := int(math.Ceil(0.01*float64(len(tasks)) - 1e-9))
			var sweep, mark, nonGC time.Duration
			met := 0
			for _, tk := range tasks[:k] {
				var gc time.Duration
				for _, st := range raw.stws {
					lo, hi := max(tk.begin, st.begin), min(tk.end, st.pauseEnd())
					if hi <= lo {
						continue
					}
					o := time.Duration(hi - lo)
					switch st.reason {
					case "GC sweep termination":
						sweep += o
						gc += o
					case "GC mark termination":
						mark += o
						gc += o
					default:
						nonGC += o
					}
				}
				if gc > 0 {
					met++
				}
			}
			tail := a.Tail99
			if tail.Requests != k {
				t.Errorf("tail of %d requests, want %d", tail.Requests, k)
			}
			if tail.Sum.SweepTermination != sweep || tail.Sum.MarkTermination != mark || tail.Sum.NonGCSTW != nonGC {
				t.Errorf("tail STW overlap: sweep %v mark %v non-GC %v; raw %v %v %v",
					tail.Sum.SweepTermination, tail.Sum.MarkTermination, tail.Sum.NonGCSTW, sweep, mark, nonGC)
			}
			if want := float64(met) / float64(k); math.Abs(tail.STWOverlapFraction-want) > 1e-12 {
				t.Errorf("stw overlap fraction %v, raw %v", tail.STWOverlapFraction, want)
			}
			lat := make([]time.Duration, len(tasks))
			for i, tk := range tasks {
				lat[i] = time.Duration(tk.end - tk.begin)
			}
			slices.Sort(lat)
			if p99 := lat[int(math.Ceil(0.99*float64(len(lat))-1e-9))-1]; tail.Observed != p99 {
				t.Errorf("p99 %v, raw %v", tail.Observed, p99)
			}
			// The slowest request is the slowest task.
			if a.Worst[0].Request.ID != tasks[0].id {
				t.Errorf("slowest request %d, raw slowest task %d", a.Worst[0].Request.ID, tasks[0].id)
			}
		})
	}
}
