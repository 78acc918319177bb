package plot

import (
	"fmt"
	"image/color"
	"math"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"

	"github.com/gcwatch/gcwatch/internal/report"
)

// Each builder returns nil, nil when the process has nothing to draw.

func pauseTimelinePlot(p *report.Process) (*plot.Plot, error) {
	s := pauses(p)
	if len(s.gc)+len(s.nonGC) == 0 {
		return nil, nil
	}
	pl := newPlot("time (s)", "pause (ms)")
	pl.Y.Min = 0
	if err := points(pl, "GC pause", s.gc, colorGC, draw.CircleGlyph{}, vg.Points(2)); err != nil {
		return nil, err
	}
	if err := points(pl, "non-GC stop-the-world", s.nonGC, colorNonGC, draw.TriangleGlyph{}, vg.Points(2.5)); err != nil {
		return nil, err
	}
	if p.PausesOmitted > 0 {
		pl.Title.Text += fmt.Sprintf(" (the longest %d; %d shorter not drawn)", len(p.Pauses), p.PausesOmitted)
	}
	return pl, nil
}

func pauseHistogramPlot(p *report.Process) (*plot.Plot, error) {
	h := pauseHistogram(p)
	if h.width == 0 {
		return nil, nil
	}
	pl := newPlot("pause (ms)", "pauses")
	// Non-GC bars stack on the GC bars, so each bin's height is its count.
	gc := &plotter.Histogram{Width: h.width, FillColor: colorGC, LineStyle: draw.LineStyle{Width: 0}}
	nonGC := &plotter.Histogram{Width: h.width, FillColor: colorNonGC, LineStyle: draw.LineStyle{Width: 0}}
	for i := range h.gc {
		lo := float64(i) * h.width
		gc.Bins = append(gc.Bins, plotter.HistogramBin{Min: lo, Max: lo + h.width, Weight: float64(h.gc[i])})
		nonGC.Bins = append(nonGC.Bins, plotter.HistogramBin{Min: lo, Max: lo + h.width, Weight: float64(h.gc[i] + h.nonGC[i])})
	}
	pl.Add(nonGC, gc)
	pl.Legend.Add("GC pause", gc)
	pl.Legend.Add("non-GC stop-the-world", nonGC)
	pl.Y.Min = 0
	return pl, nil
}

func heapPlot(p *report.Process) (*plot.Plot, error) {
	s := heap(p)
	if len(s.inUse)+len(s.live)+len(s.goal) == 0 {
		return nil, nil
	}
	pl := newPlot("time (s)", "MiB")
	top := maxY(s.inUse, s.live, s.goal) * 1.05
	if err := vlines(pl, s.cycles, top, colorCycleLn); err != nil {
		return nil, err
	}
	if err := line(pl, "heap in use", s.inUse, colorMain, false); err != nil {
		return nil, err
	}
	if err := line(pl, "live heap (after each cycle)", s.live, colorLive, false); err != nil {
		return nil, err
	}
	if err := points(pl, "", s.live, colorLive, draw.CircleGlyph{}, vg.Points(1.5)); err != nil {
		return nil, err
	}
	if err := line(pl, "heap goal", s.goal, colorGoal, true); err != nil {
		return nil, err
	}
	pl.Y.Min = 0
	if len(s.cycles) > 0 {
		pl.Title.Text += fmt.Sprintf(" (%d GC cycles marked)", len(s.cycles))
	}
	return pl, nil
}

func latencyPlot(p *report.Process) (*plot.Plot, error) {
	s := latency(p)
	if len(s.max) == 0 {
		return nil, nil
	}
	pl := newPlot("time (s)", "latency (ms)")
	top := maxY(s.max) * 1.1
	if err := bands(pl, s.cycles, top, colorCycle); err != nil {
		return nil, err
	}
	// GC pauses are darker inside the cycles' shading.
	if err := bands(pl, s.pauses, top, colorCycle); err != nil {
		return nil, err
	}
	if err := line(pl, "max", s.max, colorGoal, false); err != nil {
		return nil, err
	}
	if err := line(pl, "p99", s.p99, colorMain, false); err != nil {
		return nil, err
	}
	if err := line(pl, "p50", s.p50, colorLive, false); err != nil {
		return nil, err
	}
	var marks plotter.XYs
	for i, sp := range s.spikes {
		marks = append(marks, plotter.XY{X: (sp.from + sp.to) / 2, Y: s.spikeMax[i]})
	}
	if err := points(pl, "spike", marks, colorSpike, draw.PyramidGlyph{}, vg.Points(4)); err != nil {
		return nil, err
	}
	pl.Y.Min, pl.Y.Max = 0, top
	pl.Title.Text += fmt.Sprintf(" (windows of %gms; GC cycles shaded)", p.LatencyWindowMs)
	return pl, nil
}

func attributionPlot(p *report.Process) (*plot.Plot, error) {
	labels, parts := attributionStack(p)
	if len(labels) == 0 {
		return nil, nil
	}
	pl := newPlot("request (slowest first)", "ms")
	colors := []color.Color{colorGC, colorAssist, colorWaitGC, colorSweep, colorNonGC, colorRest}
	var below *plotter.BarChart
	for i, part := range parts {
		bars, err := plotter.NewBarChart(plotter.Values(part.values), vg.Points(18))
		if err != nil {
			return nil, err
		}
		bars.Color = colors[i]
		bars.LineStyle.Width = 0
		if below != nil {
			bars.StackOn(below)
		}
		pl.Add(bars)
		pl.Legend.Add(part.name, bars)
		below = bars
	}
	pl.NominalX(labels...)
	return pl, nil
}

func mmuPlot(p *report.Process) (*plot.Plot, error) {
	s := mmu(p)
	if len(s.all) == 0 {
		return nil, nil
	}
	pl := newPlot("window (ms)", "utilisation")
	pl.X.Scale = plot.LogScale{}
	pl.X.Tick.Marker = plot.LogTicks{Prec: -1}
	pl.Y.Min, pl.Y.Max = 0, 1
	if err := line(pl, "all GC", s.all, colorMain, false); err != nil {
		return nil, err
	}
	for i, c := range []color.Color{colorGC, colorAssist, colorNonGC, colorSweep} {
		if err := line(pl, sourceNames[i], s.bySource[i], c, true); err != nil {
			return nil, err
		}
	}
	if p.GC.MMUSynthesized {
		pl.Title.Text += " (from gctrace phases, coarse)"
	}
	return pl, nil
}

func whatIfCPUPlot(p *report.Process) (*plot.Plot, error) {
	s := whatIf(p)
	if len(s.cpu) == 0 {
		return nil, nil
	}
	pl := newPlot("GOGC", "GC CPU (%)")
	gogcAxis(pl, s.cpu)
	pl.Y.Min = 0
	if err := line(pl, "predicted, no memory limit", s.cpu, colorMain, false); err != nil {
		return nil, err
	}
	if err := points(pl, "", s.cpu, colorMain, draw.CircleGlyph{}, vg.Points(2)); err != nil {
		return nil, err
	}
	if r := s.recommended; r != nil {
		if err := points(pl, s.recommendedLabel, plotter.XYs{*r}, colorLive, draw.RingGlyph{}, vg.Points(6)); err != nil {
			return nil, err
		}
	}
	return pl, nil
}

func whatIfHeapPlot(p *report.Process) (*plot.Plot, error) {
	s := whatIf(p)
	if len(s.peakHeap)+len(s.peakMemory) == 0 {
		return nil, nil
	}
	pl := newPlot("GOGC", "MiB")
	gogcAxis(pl, s.cpu)
	pl.Y.Min = 0
	if err := line(pl, "peak heap", s.peakHeap, colorMain, false); err != nil {
		return nil, err
	}
	if err := line(pl, "peak memory (heap and the rest)", s.peakMemory, colorGoal, false); err != nil {
		return nil, err
	}
	if s.budget > 0 {
		lo, hi := s.cpu[0].X, s.cpu[len(s.cpu)-1].X
		if err := line(pl, "memory budget", plotter.XYs{{X: lo, Y: s.budget}, {X: hi, Y: s.budget}}, colorGC, true); err != nil {
			return nil, err
		}
	}
	if r := s.recommended; r != nil && !math.IsNaN(s.recommendedHeap) {
		if err := points(pl, s.recommendedLabel, plotter.XYs{{X: r.X, Y: s.recommendedHeap}}, colorLive, draw.RingGlyph{}, vg.Points(6)); err != nil {
			return nil, err
		}
	}
	return pl, nil
}

// gogcAxis puts GOGC on a log axis ticked at the values predicted.
func gogcAxis(pl *plot.Plot, xs plotter.XYs) {
	pl.X.Scale = plot.LogScale{}
	var ticks plot.ConstantTicks
	for _, x := range xs {
		ticks = append(ticks, plot.Tick{Value: x.X, Label: fmt.Sprint(x.X)})
	}
	pl.X.Tick.Marker = ticks
}
