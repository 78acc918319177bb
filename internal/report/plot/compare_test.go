package plot

import (
	"bytes"
	"math"
	"testing"

	"github.com/gcwatch/gcwatch/internal/compare"
)

func TestNines(t *testing.T) {
	levels := []float64{0, 0.5, 0.9, 0.99, 0.999, 1}
	// 10 samples: p90 is rank ceil(0.9·10) = 9, p99 rank 10, the largest;
	// p99.9 and the maximum would repeat it.
	got := nines(levels, []float64{1, 2, 3, 4, 5, 6}, 10)
	want := []struct{ x, y float64 }{{0, 1}, {math.Log10(2), 2}, {1, 3}, {2, 4}}
	if len(got) != len(want) {
		t.Fatalf("got %v, want %d points", got, len(want))
	}
	for i, w := range want {
		if math.Abs(got[i].X-w.x) > 1e-12 || got[i].Y != w.y {
			t.Errorf("point %d: %v, want %v", i, got[i], w)
		}
	}
	// A log axis cannot show 0: left out.
	if got := nines(levels, []float64{0, 2, 3, 4, 5, 6}, 1000); len(got) != 4 || got[0].Y != 2 {
		t.Errorf("zero value kept: %v", got)
	}
}

func TestTicks125(t *testing.T) {
	var labels []string
	for _, tk := range (ticks125{}).Ticks(0.15, 12) {
		labels = append(labels, tk.Label)
	}
	if got, want := labels, []string{"0.2", "0.5", "1", "2", "5", "10"}; !equal(got, want) {
		t.Errorf("ticks %v, want %v", got, want)
	}
}

func equal(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func TestCompareFigures(t *testing.T) {
	c := &compare.Comparison{Distributions: []compare.Distribution{
		{Metric: "request_ms", Quantiles: []float64{0, 0.5, 0.99, 1}, Before: []float64{1, 2, 10, 12}, After: []float64{1, 1.5, 5, 6}, BeforeN: 200, AfterN: 200},
		{Metric: "pause_ms", Quantiles: []float64{0, 0.5, 0.99, 1}, BeforeN: 0, AfterN: 0},
	}}
	figs, err := CompareFigures(c)
	if err != nil {
		t.Fatal(err)
	}
	if len(figs) != 1 || figs[0].Name != "compare-latency" {
		t.Fatalf("figures %v: want the latency one only (no pauses on either side)", figs)
	}
	var svg bytes.Buffer
	if err := figs[0].Render(&svg, "svg"); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"before (200)", "after (200)", "p99"} {
		if !bytes.Contains(svg.Bytes(), []byte(want)) {
			t.Errorf("SVG lacks %q", want)
		}
	}
}
