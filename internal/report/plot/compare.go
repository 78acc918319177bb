package plot

import (
	"fmt"
	"image/color"
	"math"
	"strconv"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"

	"github.com/gcwatch/gcwatch/internal/compare"
	"github.com/gcwatch/gcwatch/internal/report"
)

// colorBefore draws BEFORE, dashed and grey, under AFTER in the main
// colour: the eye reads the change as the move from grey to black.
var colorBefore = color.RGBA{R: 0x95, G: 0xa5, B: 0xa6, A: 0xff}

// CompareFigures draws the before/after figures of a comparison: request
// latency and GC pauses as quantile curves, one per side (ForComparison
// hands them to the renderers).
func CompareFigures(c *compare.Comparison) ([]report.Figure, error) {
	titles := map[string]struct{ name, title, y string }{
		"request_ms": {"compare-latency", "Request latency, before and after", "request latency (ms, log scale)"},
		"pause_ms":   {"compare-pauses", "GC pauses, before and after", "GC pause (ms, log scale)"},
	}
	var out []report.Figure
	for _, d := range c.Distributions {
		t, ok := titles[d.Metric]
		if !ok {
			continue
		}
		before, after := nines(d.Quantiles, d.Before, d.BeforeN), nines(d.Quantiles, d.After, d.AfterN)
		if len(before) == 0 && len(after) == 0 {
			continue
		}
		pl := newPlot("percentile", t.y)
		pl.Title.Text = t.title
		pl.X.Tick.Marker = ninesTicks
		pl.X.Min = 0
		pl.Y.Scale = plot.LogScale{}
		pl.Y.Tick.Marker = ticks125{}
		if err := line(pl, fmt.Sprintf("before (%d)", d.BeforeN), before, colorBefore, true); err != nil {
			return nil, err
		}
		if err := line(pl, fmt.Sprintf("after (%d)", d.AfterN), after, colorMain, false); err != nil {
			return nil, err
		}
		pl.Legend.Left = true
		// Room right of the last point for its tick's label.
		pl.X.Max = 1.05 * max(lastX(before), lastX(after))
		out = append(out, report.Figure{Name: t.name, Title: t.title, Render: renderer(pl)})
	}
	return out, nil
}

// nines places a quantile curve on a "nines" axis, x = −log10(1 − p): p50
// at 0.3, p90 at 1, p99 at 2, p99.9 at 3. Levels past the one that already
// reaches the largest of n samples would repeat it and are left out, as
// are values a log axis cannot show (0 and below).
func nines(levels, values []float64, n int) plotter.XYs {
	var out plotter.XYs
	for i, p := range levels {
		if i >= len(values) || p >= 1 {
			break
		}
		if values[i] > 0 {
			out = append(out, plotter.XY{X: -math.Log10(1 - p), Y: values[i]})
		}
		if math.Ceil(p*float64(n)-1e-9) >= float64(n) {
			break // this level is already the largest sample
		}
	}
	return out
}

var ninesTicks = plot.ConstantTicks{
	{Value: 0, Label: "p0"}, {Value: math.Log10(2), Label: "p50"}, {Value: 1, Label: "p90"},
	{Value: 2, Label: "p99"}, {Value: 3, Label: "p99.9"}, {Value: 4, Label: "p99.99"},
}

func lastX(xys plotter.XYs) float64 {
	if len(xys) == 0 {
		return 0
	}
	return xys[len(xys)-1].X
}

// ticks125 marks a log axis at 1, 2 and 5 times the powers of ten in
// range, labelled; a log axis with only powers of ten marked often shows
// one label or none over a curve's range.
type ticks125 struct{}

func (ticks125) Ticks(lo, hi float64) []plot.Tick {
	if !(lo > 0) || !(hi > lo) {
		return nil
	}
	var out []plot.Tick
	for e := math.Floor(math.Log10(lo)); e <= math.Ceil(math.Log10(hi)); e++ {
		for _, m := range []float64{1, 2, 5} {
			v := m * math.Pow(10, e)
			if v >= lo*(1-1e-9) && v <= hi*(1+1e-9) {
				out = append(out, plot.Tick{Value: v, Label: strconv.FormatFloat(v, 'g', -1, 64)})
			}
		}
	}
	return out
}
