package compare

import (
	"cmp"
	"math"
	"slices"
	"testing"

	"github.com/gcwatch/gcwatch/internal/analyze"
	"github.com/gcwatch/gcwatch/internal/ingest"
)

func loadReal(t *testing.T, dir string) *analyze.Result {
	t.Helper()
	loaded, err := ingest.Load([]string{"../../examples/testdata/" + dir}, ingest.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if len(loaded.Runs) != 1 {
		t.Fatalf("%s: %d runs", dir, len(loaded.Runs))
	}
	return analyze.Analyze(loaded.Runs[0], analyze.DefaultOptions())
}

// TestPooledFiguresMatchAnalyze: for one run, the pooled figures are the
// ones gcwatch analyze reports.
func TestPooledFiguresMatchAnalyze(t *testing.T) {
	res := loadReal(t, "tune-before")
	g := gather(side(res), "BEFORE")
	a := res.Attribution
	if got, want := tailShare(g.tail), a.Tail99.GCShare; math.Abs(got-want) > 1e-9 {
		t.Errorf("GC share of the tail %v, analyze says %v", got, want)
	}
	for _, q := range []struct {
		p    float64
		want float64
	}{{0.5, ms(res.Latency.P50)}, {0.99, ms(res.Latency.P99)}, {0.999, ms(res.Latency.P999)}} {
		if got := quantile(g.requests, q.p); got != q.want {
			t.Errorf("request p%v %v, analyze says %v", q.p, got, q.want)
		}
	}
	if got, want := quantile(g.pauses, 0.99), ms(res.GC.STW.P99); got != want {
		t.Errorf("pause p99 %v, analyze says %v", got, want)
	}
	if got, want := ratio(float64(g.cycles), g.window), res.GC.PerSecond; math.Abs(got-want) > 1e-9 {
		t.Errorf("GC/s %v, analyze says %v", got, want)
	}
}

// TestAAHalves splits one real recording's requests in two by their order
// of arrival (odd and even) and its cycles, with their pauses, likewise: two
// samples of the same service at the same time, which must not differ
// significantly.
func TestAAHalves(t *testing.T) {
	res := loadReal(t, "tune-before")
	whole := gather(side(res), "whole")
	halves := [2]*gathered{{name: "odd"}, {name: "even"}}
	idx := slices.Clone(res.Counted)
	slices.SortStableFunc(idx, func(x, y int32) int { return cmp.Compare(res.Requests.Start(int(x)), res.Requests.Start(int(y))) })
	var seqs [2][]float64
	for k, i := range idx {
		seqs[k%2] = append(seqs[k%2], ms(res.Requests.Duration(int(i))))
	}
	for k, h := range halves {
		h.requests, h.requestBlocks = blocked([]requestSeq{{seqs[k], true, float64(len(seqs[k])) / float64(res.GC.Cycles)}})
	}
	for _, p := range res.Run.Pauses {
		if p.IsGC() && p.Cycle >= 0 {
			h := halves[p.Cycle%2]
			h.pauses = append(h.pauses, ms(p.Duration))
		}
	}
	// Every other cycle: the intervals are two cycles long on both sides.
	for k, h := range halves {
		run := *res.Run
		run.Cycles = nil
		for i, c := range res.Run.Cycles {
			if i%2 == k {
				run.Cycles = append(run.Cycles, c)
			}
		}
		h.addCycles(&run)
	}
	for _, h := range halves {
		h.window, h.cycles = whole.window/2, len(h.live)
		sortAll(h)
	}
	for _, r := range rows(halves[0], halves[1], DefaultOptions()) {
		if r.Significant != nil && *r.Significant {
			t.Errorf("%s differs between two halves of one recording: %+v", r.Metric, r)
		}
		if r.PValue != nil {
			t.Logf("%-26s p=%.3f n=%d+%d", r.Metric, *r.PValue, r.BeforeN, r.AfterN)
		}
	}
}

// TestDistributions: the quantile curves hold, at each level, the
// ceil(p·n)-th smallest sample, counted here by sorting afresh.
func TestDistributions(t *testing.T) {
	before, after := loadReal(t, "tune-before"), loadReal(t, "tune-after")
	c, err := Compare(side(before), side(after), DefaultOptions())
	if err != nil {
		t.Fatal(err)
	}
	if len(c.Distributions) != 2 {
		t.Fatalf("%d distributions", len(c.Distributions))
	}
	for _, d := range c.Distributions {
		for k, res := range []*analyze.Result{before, after} {
			var xs []float64
			switch d.Metric {
			case "request_ms":
				for _, l := range res.Attribution.Latencies {
					xs = append(xs, float64(l)/1e6)
				}
			case "pause_ms":
				for _, p := range res.Run.Pauses {
					if p.IsGC() {
						xs = append(xs, ms(p.Duration))
					}
				}
			}
			got, n := d.Before, d.BeforeN
			if k == 1 {
				got, n = d.After, d.AfterN
			}
			slices.Sort(xs)
			if n != len(xs) || len(got) != len(d.Quantiles) {
				t.Fatalf("%s side %d: n %d, want %d; %d values for %d levels", d.Metric, k, n, len(xs), len(got), len(d.Quantiles))
			}
			for i, p := range d.Quantiles {
				r := int(math.Ceil(p*float64(len(xs)) - 1e-9))
				want := xs[max(0, min(r, len(xs))-1)]
				if math.Abs(got[i]-want) > 1e-12 {
					t.Errorf("%s side %d p%v: %v, want %v", d.Metric, k, p, got[i], want)
				}
			}
			if got[0] != xs[0] || got[len(got)-1] != xs[len(xs)-1] {
				t.Errorf("%s side %d: ends %v..%v, want min %v and max %v", d.Metric, k, got[0], got[len(got)-1], xs[0], xs[len(xs)-1])
			}
		}
	}
}
