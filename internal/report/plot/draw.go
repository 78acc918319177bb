package plot

import (
	"fmt"
	"image/color"
	"io"
	"math"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"

	"github.com/gcwatch/gcwatch/internal/report"
)

// Figure size: wide enough for a time axis, readable in a report column.
const (
	width  = 8 * vg.Inch
	height = 3.6 * vg.Inch
)

// Colours, one per meaning, the same in every figure.
var (
	colorGC      = color.RGBA{R: 0xc0, G: 0x39, B: 0x2b, A: 0xff} // GC stop-the-world
	colorNonGC   = color.RGBA{R: 0x2c, G: 0x6f, B: 0xbb, A: 0xff}
	colorAssist  = color.RGBA{R: 0xe6, G: 0x7e, B: 0x22, A: 0xff}
	colorWaitGC  = color.RGBA{R: 0xf1, G: 0xc4, B: 0x0f, A: 0xff}
	colorSweep   = color.RGBA{R: 0x8e, G: 0x44, B: 0xad, A: 0xff}
	colorRest    = color.RGBA{R: 0xbd, G: 0xc3, B: 0xc7, A: 0xff}
	colorMain    = color.RGBA{R: 0x22, G: 0x22, B: 0x22, A: 0xff}
	colorLive    = color.RGBA{R: 0x27, G: 0xae, B: 0x60, A: 0xff}
	colorGoal    = color.RGBA{R: 0x7f, G: 0x8c, B: 0x8d, A: 0xff}
	colorCycle   = color.NRGBA{R: 0xc0, G: 0x39, B: 0x2b, A: 0x28} // shading behind latency
	colorCycleLn = color.NRGBA{R: 0xc0, G: 0x39, B: 0x2b, A: 0x50}
	colorSpike   = color.RGBA{R: 0x8e, G: 0x44, B: 0xad, A: 0xff}
)

// Figures draws every figure the process has data for (ForDocument draws
// them for each process of a document).
func Figures(p *report.Process) ([]report.Figure, error) {
	builders := []struct {
		name, title string
		build       func(*report.Process) (*plot.Plot, error)
	}{
		{"pauses", "Stop-the-world pauses over time", pauseTimelinePlot},
		{"pause-histogram", "Stop-the-world pause durations", pauseHistogramPlot},
		{"heap", "Heap over time", heapPlot},
		{"latency", "Request latency over time, against the GC", latencyPlot},
		{"attribution", "What the slowest requests waited for", attributionPlot},
		{"mmu", "Minimum mutator utilisation", mmuPlot},
		{"whatif-cpu", "What if: GC CPU against GOGC", whatIfCPUPlot},
		{"whatif-heap", "What if: peak heap against GOGC", whatIfHeapPlot},
	}
	var out []report.Figure
	for _, b := range builders {
		pl, err := b.build(p)
		if err != nil {
			return nil, fmt.Errorf("drawing the %s plot: %w", b.name, err)
		}
		if pl == nil {
			continue // no data for it
		}
		pl.Title.Text = b.title + pl.Title.Text // builders add a qualifier
		out = append(out, report.Figure{Name: b.name, Title: b.title, Render: renderer(pl)})
	}
	return out, nil
}

// renderer writes a plot as SVG or PNG. Fonts are not embedded in SVG: a
// viewer falls back to its own sans-serif, and the file stays small.
func renderer(pl *plot.Plot) func(io.Writer, string) error {
	return sizedRenderer(pl, width, height)
}

// sizedRenderer is renderer for a figure of another size: w × h for the
// plot, and the legend, if any, in a column to its right, so that it never
// covers data; the figure widens by the legend's width.
func sizedRenderer(pl *plot.Plot, w, h vg.Length) func(io.Writer, string) error {
	return func(out io.Writer, format string) error {
		if format != "svg" && format != "png" {
			return fmt.Errorf("unknown image format %q (want svg or png)", format)
		}
		legend := pl.Legend
		lw := legendWidth(legend)
		c, err := draw.NewFormattedCanvas(w+lw, h, format)
		if err != nil {
			return err
		}
		dc := draw.New(c)
		if pl.BackgroundColor != nil { // under the legend's column too
			dc.SetColor(pl.BackgroundColor)
			dc.Fill(dc.Rectangle.Path())
		}
		bare := *pl // the plot without its legend, which is drawn beside it
		bare.Legend = plot.NewLegend()
		bare.Draw(draw.Crop(dc, 0, -lw, 0, 0))
		if lw > 0 {
			legend.Top, legend.Left = true, true
			legend.XOffs, legend.YOffs = 0, 0
			legend.Padding = vg.Points(3)
			legend.Draw(draw.Crop(dc, w+legendGap, 0, 0, -titleHeight(pl)))
		}
		_, err = c.WriteTo(out)
		return err
	}
}

// legendGap is the room between a plot and its legend.
const legendGap = 0.15 * vg.Inch

// legendWidth is the room the legend's column takes: its entries' width,
// with a third more for a browser that draws an SVG's text in a wider
// font than the one measured here (DejaVu Sans is about a sixth wider than
// Liberation Sans), and the gap; 0 without entries.
func legendWidth(l plot.Legend) vg.Length {
	r := l.Rectangle(draw.Canvas{})
	if w := r.Max.X - r.Min.X; w > 0 {
		return legendGap + w*4/3
	}
	return 0
}

// titleHeight is the room the plot's title takes above the data, as
// plot.Draw leaves it.
func titleHeight(pl *plot.Plot) vg.Length {
	if pl.Title.Text == "" {
		return 0
	}
	return pl.Title.TextStyle.Rectangle(pl.Title.Text).Size().Y + pl.Title.Padding
}

func newPlot(x, y string) *plot.Plot {
	pl := plot.New()
	pl.X.Label.Text = x
	pl.Y.Label.Text = y
	pl.Add(plotter.NewGrid())
	return pl
}

func line(pl *plot.Plot, name string, xys plotter.XYs, c color.Color, dashed bool) error {
	if len(xys) == 0 {
		return nil
	}
	l, err := plotter.NewLine(xys)
	if err != nil {
		return err
	}
	l.Color = c
	l.Width = vg.Points(1.2)
	if dashed {
		l.Dashes = []vg.Length{vg.Points(4), vg.Points(3)}
	}
	pl.Add(l)
	pl.Legend.Add(name, l)
	return nil
}

func points(pl *plot.Plot, name string, xys plotter.XYs, c color.Color, shape draw.GlyphDrawer, radius vg.Length) error {
	if len(xys) == 0 {
		return nil
	}
	s, err := plotter.NewScatter(xys)
	if err != nil {
		return err
	}
	s.GlyphStyle = draw.GlyphStyle{Color: c, Radius: radius, Shape: shape}
	pl.Add(s)
	if name != "" {
		pl.Legend.Add(name, s)
	}
	return nil
}

// bands shades spans of the x axis from 0 to top.
func bands(pl *plot.Plot, spans []span, top float64, fill color.Color) error {
	for _, s := range spans {
		to := s.to
		if to <= s.from {
			continue
		}
		poly, err := plotter.NewPolygon(plotter.XYs{{X: s.from, Y: 0}, {X: to, Y: 0}, {X: to, Y: top}, {X: s.from, Y: top}})
		if err != nil {
			return err
		}
		poly.Color = fill
		// An empty line style strokes black hairlines; a transparent one none.
		poly.LineStyle = draw.LineStyle{Color: color.Transparent}
		pl.Add(poly)
	}
	return nil
}

// vlines draws a thin vertical line at each x from 0 to top.
func vlines(pl *plot.Plot, xs []float64, top float64, c color.Color) error {
	for _, x := range xs {
		l, err := plotter.NewLine(plotter.XYs{{X: x, Y: 0}, {X: x, Y: top}})
		if err != nil {
			return err
		}
		l.Color = c
		l.Width = vg.Points(0.5)
		pl.Add(l)
	}
	return nil
}

func maxY(series ...plotter.XYs) float64 {
	m := 0.0
	for _, s := range series {
		for _, p := range s {
			if !math.IsNaN(p.Y) {
				m = max(m, p.Y)
			}
		}
	}
	return m
}
