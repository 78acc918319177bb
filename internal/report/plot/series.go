package plot

import (
	"math"
	"strconv"

	"gonum.org/v1/plot/plotter"

	"github.com/gcwatch/gcwatch/internal/report"
)

// The series each figure draws, taken from a report.Process. Times are in
// seconds from the window start, durations in milliseconds, sizes in MiB.

const mib = 1 << 20

func sec(ms float64) float64 { return ms / 1000 }

// pauseSeries is every pause as (start s, duration ms), GC and non-GC
// stop-the-world apart.
type pauseSeries struct {
	gc, nonGC plotter.XYs
}

func pauses(p *report.Process) pauseSeries {
	var s pauseSeries
	for _, q := range p.Pauses {
		pt := plotter.XY{X: sec(q.StartMs), Y: q.DurationMs}
		if q.Kind == "non-gc" {
			s.nonGC = append(s.nonGC, pt)
		} else {
			s.gc = append(s.gc, pt)
		}
	}
	return s
}

// histogram is pause counts in equal-width bins from 0 to the longest
// pause, GC and non-GC apart.
type histogram struct {
	width     float64 // ms
	gc, nonGC []int
}

const histogramBins = 30

func pauseHistogram(p *report.Process) histogram {
	longest := 0.0
	for _, q := range p.Pauses {
		longest = max(longest, q.DurationMs)
	}
	if len(p.Pauses) == 0 || longest <= 0 {
		return histogram{}
	}
	h := histogram{width: longest / histogramBins, gc: make([]int, histogramBins), nonGC: make([]int, histogramBins)}
	for _, q := range p.Pauses {
		// The longest pause closes the last bin instead of opening one
		// past it.
		b := min(int(q.DurationMs/h.width), histogramBins-1)
		if q.Kind == "non-gc" {
			h.nonGC[b]++
		} else {
			h.gc[b]++
		}
	}
	return h
}

// heapSeries is the heap in use (the runtime's samples), the live heap
// after each cycle, the heap goal, and when each cycle began.
type heapSeries struct {
	inUse, live, goal plotter.XYs
	cycles            []float64
}

func heap(p *report.Process) heapSeries {
	var s heapSeries
	for _, h := range p.GC.Heap {
		if h.Bytes >= 0 {
			s.inUse = append(s.inUse, plotter.XY{X: sec(h.TMs), Y: float64(h.Bytes) / mib})
		}
		if h.Goal >= 0 {
			s.goal = append(s.goal, plotter.XY{X: sec(h.TMs), Y: float64(h.Goal) / mib})
		}
	}
	goalFromSamples := len(s.goal) > 0
	for _, h := range p.GC.LiveHeap {
		if h.Bytes >= 0 {
			s.live = append(s.live, plotter.XY{X: sec(h.TMs), Y: float64(h.Bytes) / mib})
		}
		// The goal set after each cycle, when the samples do not carry it
		// (gctrace logs).
		if !goalFromSamples && h.Goal >= 0 {
			s.goal = append(s.goal, plotter.XY{X: sec(h.TMs), Y: float64(h.Goal) / mib})
		}
	}
	for _, c := range p.Cycles {
		s.cycles = append(s.cycles, sec(c.StartMs))
	}
	return s
}

// span is an interval of time, in seconds.
type span struct{ from, to float64 }

// latencySeries is request latency per window (at the window's middle),
// the GC cycles and pauses to shade behind it, and the spikes.
type latencySeries struct {
	p50, p99, max plotter.XYs
	cycles        []span // whole cycles, from sweep termination to mark termination's end
	pauses        []span // GC pauses
	spikes        []span
	spikeMax      []float64 // each spike's slowest request, ms
}

func latency(p *report.Process) latencySeries {
	var s latencySeries
	for _, w := range p.LatencyOverTime {
		x := sec((w.StartMs + w.EndMs) / 2)
		s.p50 = append(s.p50, plotter.XY{X: x, Y: w.P50Ms})
		s.p99 = append(s.p99, plotter.XY{X: x, Y: w.P99Ms})
		s.max = append(s.max, plotter.XY{X: x, Y: w.MaxMs})
	}
	for _, c := range p.Cycles {
		end := c.StartMs + c.SweepTerminationMs + c.MarkMs + c.MarkTerminationMs
		s.cycles = append(s.cycles, span{sec(c.StartMs), sec(end)})
	}
	for _, q := range p.Pauses {
		if q.Kind != "non-gc" {
			s.pauses = append(s.pauses, span{sec(q.StartMs), sec(q.StartMs + q.DurationMs)})
		}
	}
	if a := p.Attribution; a != nil {
		for _, sp := range a.Spikes {
			s.spikes = append(s.spikes, span{sec(sp.StartMs), sec(sp.EndMs)})
			s.spikeMax = append(s.spikeMax, sp.MaxMs)
		}
	}
	return s
}

// stackPart is one layer of the attribution bars: a cause and its time in
// each of the worst requests, in milliseconds.
type stackPart struct {
	name   string
	values []float64
}

// attributionStack splits each of the worst requests' latency by cause,
// bottom layer first. The layers are the breakdown's own fields; for a
// request from a task they add up to its latency.
func attributionStack(p *report.Process) (labels []string, parts []stackPart) {
	a := p.Attribution
	if a == nil || len(a.Worst) == 0 {
		return nil, nil
	}
	parts = []stackPart{{name: "GC stop-the-world"}, {name: "mark assist"}, {name: "waiting for Ps held by GC"},
		{name: "sweep"}, {name: "non-GC stop-the-world"}, {name: "the rest"}}
	for _, w := range a.Worst {
		labels = append(labels, "#"+strconv.FormatUint(w.ID, 10))
		b := w.Breakdown
		for i, v := range []float64{b.SweepTermination + b.MarkTermination, b.Assist, b.RunnableGC, b.Sweep, b.NonGCSTW, b.Other} {
			parts[i].values = append(parts[i].values, v)
		}
	}
	return labels, parts
}

// mmuSeries is the MMU against the window size (ms), and the MMU counting
// only each source of lost mutator time.
type mmuSeries struct {
	all      plotter.XYs
	bySource [4]plotter.XYs
}

var sourceNames = [4]string{"STW only", "assist only", "background only", "sweep only"}

func mmu(p *report.Process) mmuSeries {
	var s mmuSeries
	for _, m := range p.GC.MMU {
		if m.WindowMs <= 0 {
			continue // not drawable on a log axis
		}
		s.all = append(s.all, plotter.XY{X: m.WindowMs, Y: m.MMU})
		for i, v := range []float64{m.BySource.STW, m.BySource.Assist, m.BySource.Background, m.BySource.Sweep} {
			s.bySource[i] = append(s.bySource[i], plotter.XY{X: m.WindowMs, Y: v})
		}
	}
	return s
}

// whatIfSeries is the advisor's predictions without a memory limit against
// GOGC (GOGC=off is left out: it has no place on the axis): GC CPU (%),
// peak heap and peak memory (MiB, where bounded), with the memory budget
// and the recommended setting.
type whatIfSeries struct {
	cpu, peakHeap, peakMemory plotter.XYs
	budget                    float64 // MiB; 0 without one
	// recommended is the recommended setting's GOGC, GC CPU and peak
	// heap; set only when the setting has a GOGC on the axis.
	recommended      *plotter.XY
	recommendedHeap  float64 // MiB; NaN when unbounded
	recommendedLabel string
}

func whatIf(p *report.Process) whatIfSeries {
	s := whatIfSeries{recommendedHeap: math.NaN()}
	for _, r := range p.WhatIf {
		if r.MemoryLimit != nil || r.GOGC <= 0 || !r.AtObservedAllocRate() {
			continue
		}
		x := float64(r.GOGC)
		s.cpu = append(s.cpu, plotter.XY{X: x, Y: r.GCCPUFraction * 100})
		if r.PeakHeap != nil {
			s.peakHeap = append(s.peakHeap, plotter.XY{X: x, Y: float64(*r.PeakHeap) / mib})
		}
		if r.PeakMemory != nil {
			s.peakMemory = append(s.peakMemory, plotter.XY{X: x, Y: float64(*r.PeakMemory) / mib})
		}
	}
	if p.MemBudgetBytes != nil {
		s.budget = float64(*p.MemBudgetBytes) / mib
	}
	if v := p.Verdict; v != nil && v.Settings != nil && v.Settings.Predicted.GOGC > 0 {
		r := v.Settings.Predicted
		s.recommended = &plotter.XY{X: float64(r.GOGC), Y: r.GCCPUFraction * 100}
		if r.PeakHeap != nil {
			s.recommendedHeap = float64(*r.PeakHeap) / mib
		}
		s.recommendedLabel = "recommended: GOGC=" + v.Settings.GOGC.String()
		if !v.Settings.MemoryLimit.Off() {
			s.recommendedLabel += " GOMEMLIMIT=" + v.Settings.MemoryLimit.String()
		}
	}
	return s
}
