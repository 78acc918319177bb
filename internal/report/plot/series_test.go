package plot

import (
	"testing"

	"github.com/gcwatch/gcwatch/internal/advice"
	"github.com/gcwatch/gcwatch/internal/report"
	"github.com/gcwatch/gcwatch/internal/units"
	"github.com/gcwatch/gcwatch/internal/whatif"
	"gonum.org/v1/plot/plotter"
)

func i64(v int64) *int64 { return &v }

// handProcess is a process whose every series can be worked out by hand.
func handProcess() *report.Process {
	return &report.Process{
		Pauses: []report.Pause{
			{StartMs: 100, DurationMs: 0.3, Kind: "sweep-termination"},
			{StartMs: 104, DurationMs: 0.6, Kind: "mark-termination"},
			{StartMs: 500, DurationMs: 3, Kind: "non-gc", Reason: "read mem stats"},
			{StartMs: 900, DurationMs: 1.5, Kind: "sweep-termination"},
		},
		GC: report.GC{
			Heap:     []report.HeapPoint{{TMs: 0, Bytes: 4 << 20, Goal: 8 << 20}, {TMs: 500, Bytes: -1, Goal: 8 << 20}, {TMs: 1000, Bytes: 6 << 20, Goal: -1}},
			LiveHeap: []report.HeapPoint{{TMs: 104.6, Bytes: 3 << 20, Goal: 6 << 20}},
			MMU: []report.MMU{
				{WindowMs: 0, MMU: 0},
				{WindowMs: 1, MMU: 0.25, BySource: report.BySource{STW: 0.4, Assist: 0.9, Background: 0.75, Sweep: 1}},
				{WindowMs: 10, MMU: 0.6, BySource: report.BySource{STW: 0.9, Assist: 0.95, Background: 0.7, Sweep: 1}},
			},
		},
		Cycles: []report.Cycle{{N: 3, StartMs: 100, SweepTerminationMs: 0.3, MarkMs: 3.7, MarkTerminationMs: 0.6}},
		LatencyOverTime: []report.LatencyWindow{
			{StartMs: 0, EndMs: 20, Requests: 5, P50Ms: 1, P99Ms: 2, MaxMs: 2},
			{StartMs: 100, EndMs: 120, Requests: 9, P50Ms: 1.5, P99Ms: 7, MaxMs: 9},
		},
		LatencyWindowMs: 20,
		Attribution: &report.Attribution{
			Worst: []report.WorstRequest{
				{ID: 42, LatencyMs: 9, Breakdown: report.Breakdown{SweepTermination: 0.3, MarkTermination: 0.6, Assist: 2, RunnableGC: 1, Sweep: 0.1, NonGCSTW: 0, Other: 5}},
				{ID: 7, LatencyMs: 3, Breakdown: report.Breakdown{NonGCSTW: 3}},
			},
			Spikes: []report.Spike{{StartMs: 100, EndMs: 120, MaxMs: 9}},
		},
		WhatIf: []whatif.Row{
			{GOGC: 50, GCCPUFraction: 0.2, PeakHeap: i64(10 << 20), PeakMemory: i64(20 << 20)},
			{GOGC: 50, MemoryLimit: i64(64 << 20), GCCPUFraction: 0.19},
			{GOGC: 100, GCCPUFraction: 0.1, PeakHeap: i64(16 << 20), PeakMemory: i64(26 << 20)},
			{GOGC: -1, GCCPUFraction: 0, HeapUnbounded: true},
		},
		MemBudgetBytes: i64(64 << 20),
		Verdict: &advice.Verdict{ID: advice.Tune, Settings: &advice.Recommendation{Setting: units.Setting{GOGC: 100, MemoryLimit: units.LimitOff},
			Predicted: whatif.Row{GOGC: 100, GCCPUFraction: 0.1, PeakHeap: i64(16 << 20)}}},
	}
}

func TestPauseSeries(t *testing.T) {
	p := handProcess()
	s := pauses(p)
	if len(s.gc) != 3 || len(s.nonGC) != 1 {
		t.Fatalf("gc %d non-GC %d, want 3 and 1", len(s.gc), len(s.nonGC))
	}
	if s.nonGC[0].X != 0.5 || s.nonGC[0].Y != 3 || s.gc[2].X != 0.9 || s.gc[2].Y != 1.5 {
		t.Errorf("series %v %v", s.gc, s.nonGC)
	}
	h := pauseHistogram(p)
	// 30 bins of 0.1 ms up to the longest pause, 3 ms, which closes the
	// last bin.
	if !near(h.width, 0.1) || len(h.gc) != histogramBins {
		t.Fatalf("width %v, %d bins", h.width, len(h.gc))
	}
	// Each pause is counted in the bin whose edges hold it, found by
	// searching the edges (the last bin includes its upper edge).
	want := make([]int, histogramBins)
	for _, q := range p.Pauses {
		for i := range histogramBins {
			lo, hi := float64(i)*h.width, float64(i+1)*h.width
			if q.DurationMs >= lo && (q.DurationMs < hi || i == histogramBins-1) {
				want[i]++
				break
			}
		}
	}
	for i := range want {
		if h.gc[i]+h.nonGC[i] != want[i] {
			t.Errorf("bin %d: %d+%d pauses, want %d", i, h.gc[i], h.nonGC[i], want[i])
		}
	}
	if h.nonGC[histogramBins-1] != 1 || h.gc[15] != 1 {
		t.Errorf("the non-GC pause (3 ms) in bin %v, the 1.5 ms GC pause in %v", h.nonGC, h.gc)
	}
}

func TestHeapSeries(t *testing.T) {
	s := heap(handProcess())
	// Unknown sizes (-1) are left out; the goal comes from the samples when
	// they carry it, not from the cycles.
	if len(s.inUse) != 2 || s.inUse[1].X != 1 || s.inUse[1].Y != 6 {
		t.Errorf("in use %v", s.inUse)
	}
	if len(s.goal) != 2 || s.goal[1].Y != 8 || len(s.live) != 1 || !near(s.live[0].X, 0.1046) || s.live[0].Y != 3 {
		t.Errorf("goal %v live %v", s.goal, s.live)
	}
	if len(s.cycles) != 1 || s.cycles[0] != 0.1 {
		t.Errorf("cycles %v", s.cycles)
	}
	// A gctrace run has no samples: the goal is the cycles'.
	p := handProcess()
	p.GC.Heap = nil
	if s := heap(p); len(s.goal) != 1 || s.goal[0].Y != 6 {
		t.Errorf("goal without samples %v", s.goal)
	}
}

func TestLatencySeries(t *testing.T) {
	s := latency(handProcess())
	if len(s.p99) != 2 || s.p99[1].X != 0.11 || s.p99[1].Y != 7 || s.max[1].Y != 9 || s.p50[0].Y != 1 {
		t.Errorf("p50 %v p99 %v max %v", s.p50, s.p99, s.max)
	}
	// The cycle runs from its start through sweep termination, mark and
	// mark termination: 100 + 0.3 + 3.7 + 0.6 ms.
	if len(s.cycles) != 1 || s.cycles[0].from != 0.1 || !near(s.cycles[0].to, 0.1046) {
		t.Errorf("cycles %v", s.cycles)
	}
	if len(s.pauses) != 3 || len(s.spikes) != 1 || s.spikes[0] != (span{0.1, 0.12}) || s.spikeMax[0] != 9 {
		t.Errorf("pauses %v spikes %v %v", s.pauses, s.spikes, s.spikeMax)
	}
}

func TestAttributionStack(t *testing.T) {
	p := handProcess()
	labels, parts := attributionStack(p)
	if len(labels) != 2 || labels[0] != "#42" || labels[1] != "#7" || len(parts) != 6 {
		t.Fatalf("labels %v, %d parts", labels, len(parts))
	}
	for i, w := range p.Attribution.Worst {
		sum := 0.0
		for _, part := range parts {
			sum += part.values[i]
		}
		// For these requests the breakdown adds up to the latency; the
		// bar's height must be it.
		if !near(sum, w.LatencyMs) {
			t.Errorf("request %d: bar %v ms, latency %v", w.ID, sum, w.LatencyMs)
		}
	}
	if !near(parts[0].values[0], 0.9) || parts[4].values[1] != 3 || parts[5].values[0] != 5 {
		t.Errorf("parts %v", parts)
	}
}

func TestMMUSeries(t *testing.T) {
	s := mmu(handProcess())
	// The zero window has no place on a log axis.
	if len(s.all) != 2 || s.all[0].X != 1 || s.all[0].Y != 0.25 || s.all[1].Y != 0.6 {
		t.Errorf("mmu %v", s.all)
	}
	if s.bySource[0][0].Y != 0.4 || s.bySource[1][1].Y != 0.95 || s.bySource[2][1].Y != 0.7 || s.bySource[3][0].Y != 1 {
		t.Errorf("by source %v", s.bySource)
	}
}

func TestWhatIfSeries(t *testing.T) {
	s := whatIf(handProcess())
	// Rows with a memory limit and GOGC=off are left out.
	if len(s.cpu) != 2 || s.cpu[0] != (plotter.XY{X: 50, Y: 20}) || s.cpu[1] != (plotter.XY{X: 100, Y: 10}) {
		t.Errorf("cpu %v", s.cpu)
	}
	if len(s.peakHeap) != 2 || s.peakHeap[1].Y != 16 || s.peakMemory[0].Y != 20 || s.budget != 64 {
		t.Errorf("heap %v memory %v budget %v", s.peakHeap, s.peakMemory, s.budget)
	}
	if s.recommended == nil || *s.recommended != (plotter.XY{X: 100, Y: 10}) || s.recommendedHeap != 16 || s.recommendedLabel != "recommended: GOGC=100" {
		t.Errorf("recommended %v %v %q", s.recommended, s.recommendedHeap, s.recommendedLabel)
	}
	figs, err := Figures(handProcess())
	if err != nil {
		t.Fatal(err)
	}
	checkImages(t, figs)
}
