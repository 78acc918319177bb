package report

import (
	"encoding/json"
	"time"

	"github.com/gcwatch/gcwatch/internal/advice"
	"github.com/gcwatch/gcwatch/internal/analyze"
	"github.com/gcwatch/gcwatch/internal/fleet"
	"github.com/gcwatch/gcwatch/internal/model"
	"github.com/gcwatch/gcwatch/internal/whatif"
)

// Schema names the version of every JSON document gcwatch writes; Kind
// tells them apart. Adding fields keeps it; renaming or removing one, or
// changing its type, needs a new version (docs/json.md).
const Schema = "gcwatch/v2"

// The kinds of document.
const (
	KindAnalysis   = "analysis"   // analyze, capture, run, watch
	KindFleet      = fleet.Kind   // report
	KindComparison = "comparison" // compare
	KindCapture    = "capture"    // a capture folder's manifest.json
)

// Document is the report: one entry per process analysed.
type Document struct {
	Schema    string    `json:"schema"`
	Kind      string    `json:"kind"`
	Generator string    `json:"generator"`
	Processes []Process `json:"processes"`
	// Notes are diagnostics about the inputs as a whole.
	Notes []string `json:"notes"`
}

// Process is the report on one process.
type Process struct {
	Source Source `json:"source"`
	// Verdict is the advice; WhatIf the GOGC/GOMEMLIMIT grid behind it and
	// Model the fitted cost model (null when it could not be fitted).
	Verdict     *advice.Verdict `json:"verdict"`
	WhatIf      []whatif.Row    `json:"whatif"`
	Model       *whatif.Fit     `json:"model"`
	GC          GC              `json:"gc"`
	NonGCSTW    []STWByReason   `json:"non_gc_stw"`
	Latency     Latency         `json:"latency"`
	Attribution *Attribution    `json:"attribution"`
	// Allocations is the top of a heap or allocs profile given with the
	// process's inputs; null without one.
	Allocations *model.AllocProfile `json:"allocations"`
	WorstPauses []Pause             `json:"worst_pauses"`
	Cycles      []Cycle             `json:"cycles"`
	Warnings    []string            `json:"warnings"`
	// Pauses is every stop-the-world pause in time order, for plots; when
	// a run has more than maxPauses, only the longest are kept and
	// PausesOmitted counts the rest.
	Pauses        []Pause `json:"pauses"`
	PausesOmitted int     `json:"pauses_omitted"`
	// LatencyOverTime is the counted requests' latency per window of
	// LatencyWindowMs, by end time (empty windows left out).
	LatencyOverTime []LatencyWindow `json:"latency_over_time"`
	LatencyWindowMs float64         `json:"latency_window_ms"`
	// MemBudgetBytes is the memory budget the advisor was given (null
	// without one).
	MemBudgetBytes *int64 `json:"mem_budget_bytes"`
}

// Source says what the process's numbers come from.
type Source struct {
	Inputs       []model.Input     `json:"inputs"`
	GoVersion    string            `json:"go_version,omitempty"`
	GOMAXPROCS   int               `json:"gomaxprocs"`
	ProcsChanges []ProcsChange     `json:"gomaxprocs_changes"`
	Matching     string            `json:"matching,omitempty"`
	WindowMs     float64           `json:"window_ms"`
	WallStart    *time.Time        `json:"wall_start,omitempty"`
	Fidelity     model.Fidelity    `json:"fidelity"`
	Stats        model.IngestStats `json:"stats"`
}

// ProcsChange is a GOMAXPROCS change at a time from the window start.
type ProcsChange struct {
	AtMs  float64 `json:"at_ms"`
	Procs int     `json:"procs"`
}

// GC is the collector's cost over the window.
type GC struct {
	Cycles        int      `json:"cycles"`
	ForcedCycles  int      `json:"forced_cycles"`
	PartialCycles int      `json:"partial_cycles"`
	STWCount      int      `json:"stw_count"`
	STWTotalMs    float64  `json:"stw_total_ms"`
	STWMaxMs      float64  `json:"stw_max_ms"`
	STWP50Ms      float64  `json:"stw_p50_ms"`
	STWP90Ms      float64  `json:"stw_p90_ms"`
	STWP99Ms      float64  `json:"stw_p99_ms"`
	STWP999Ms     float64  `json:"stw_p999_ms"`
	CPUFraction   float64  `json:"cpu_fraction"`
	CPUSource     string   `json:"cpu_source"`
	CPU           CPU      `json:"cpu"`
	MarkAssistMs  *float64 `json:"mark_assist_total_ms"`
	PerSecond     float64  `json:"per_second"`
	AllocRate     *float64 `json:"alloc_bytes_per_second"`
	MMU           []MMU    `json:"mmu"`
	// MMUSynthesized is set when the curve was built from gctrace phases.
	MMUSynthesized bool        `json:"mmu_synthesized"`
	LiveHeap       []HeapPoint `json:"live_heap"`
	Heap           []HeapPoint `json:"heap"`
}

// CPU splits the GC CPU fraction by kind.
type CPU struct {
	STW        float64 `json:"stw"`
	Assist     float64 `json:"assist"`
	Background float64 `json:"background"`
	Idle       float64 `json:"idle"`
}

// MMU is one point of the minimum mutator utilisation curve.
type MMU struct {
	WindowMs float64     `json:"window_ms"`
	MMU      float64     `json:"mmu"`
	BySource BySource    `json:"by_source"`
	Worst    []MMUWindow `json:"worst,omitempty"`
}

// BySource is a value per GC source of lost mutator time.
type BySource struct {
	STW        float64 `json:"stw"`
	Assist     float64 `json:"assist"`
	Background float64 `json:"background"`
	Sweep      float64 `json:"sweep"`
}

// MMUWindow is one of the worst windows of a size.
type MMUWindow struct {
	StartMs     float64  `json:"start_ms"`
	Utilization float64  `json:"utilization"`
	Lost        BySource `json:"lost"`
}

// HeapPoint is a heap size at a time from the window start.
type HeapPoint struct {
	TMs   float64 `json:"t_ms"`
	Bytes int64   `json:"heap_bytes"`
	Goal  int64   `json:"goal_bytes"`
}

// MarshalJSON writes a size the input did not carry (negative) as null.
func (h HeapPoint) MarshalJSON() ([]byte, error) {
	type plain HeapPoint
	return json.Marshal(struct {
		plain
		Bytes *int64 `json:"heap_bytes"`
		Goal  *int64 `json:"goal_bytes"`
	}{plain(h), size(h.Bytes), size(h.Goal)})
}

// size is b, or nil when b is negative (model.Unknown): null in JSON.
func size(b int64) *int64 {
	if b < 0 {
		return nil
	}
	return &b
}

// STWByReason groups non-GC stop-the-world pauses.
type STWByReason struct {
	Reason  string  `json:"reason"`
	Count   int     `json:"count"`
	TotalMs float64 `json:"total_ms"`
	MaxMs   float64 `json:"max_ms"`
	P99Ms   float64 `json:"p99_ms"`
}

// Latency summarises request latency.
type Latency struct {
	Source   string  `json:"source"`
	Requests int     `json:"requests"`
	Open     int     `json:"open"`
	P50Ms    float64 `json:"p50_ms"`
	P90Ms    float64 `json:"p90_ms"`
	P99Ms    float64 `json:"p99_ms"`
	P999Ms   float64 `json:"p999_ms"`
	MaxMs    float64 `json:"max_ms"`
	// Note says why there are none when the inputs hold requests that were
	// not chosen (tasks of another type than --task).
	Note string `json:"note,omitempty"`
}

// Pause is one stop-the-world pause.
type Pause struct {
	StartMs      float64  `json:"start_ms"`
	DurationMs   float64  `json:"duration_ms"`
	Kind         string   `json:"kind"`
	Reason       string   `json:"reason"`
	Cycle        int      `json:"cycle"`
	TimeToStopMs *float64 `json:"time_to_stop_ms"`
	// RestartMs is the part of the trace's stop-the-world range after the
	// pause as the runtime counts it (duration_ms): the world restarting,
	// goroutines may already run. 0 from a gctrace log.
	RestartMs float64 `json:"restart_ms"`
	Goroutine uint64  `json:"goroutine,omitempty"`
}

// Cycle is one GC cycle.
type Cycle struct {
	N                  int     `json:"n"`
	StartMs            float64 `json:"start_ms"`
	Forced             bool    `json:"forced"`
	Partial            bool    `json:"partial"`
	SweepTerminationMs float64 `json:"sweep_termination_ms"`
	MarkMs             float64 `json:"mark_ms"`
	MarkTerminationMs  float64 `json:"mark_termination_ms"`
	AssistMs           float64 `json:"assist_ms"`
	HeapStart          int64   `json:"heap_start_bytes"`
	HeapEnd            int64   `json:"heap_end_bytes"`
	HeapLive           int64   `json:"heap_live_bytes"`
	HeapGoal           int64   `json:"heap_goal_bytes"`
	Stacks             int64   `json:"stacks_bytes"`
	Globals            int64   `json:"globals_bytes"`
	From               string  `json:"from"`
}

// MarshalJSON writes the sizes a cycle's inputs did not carry (negative)
// as null.
func (c Cycle) MarshalJSON() ([]byte, error) {
	type plain Cycle
	return json.Marshal(struct {
		plain
		HeapStart *int64 `json:"heap_start_bytes"`
		HeapEnd   *int64 `json:"heap_end_bytes"`
		HeapLive  *int64 `json:"heap_live_bytes"`
		HeapGoal  *int64 `json:"heap_goal_bytes"`
		Stacks    *int64 `json:"stacks_bytes"`
		Globals   *int64 `json:"globals_bytes"`
	}{plain(c), size(c.HeapStart), size(c.HeapEnd), size(c.HeapLive), size(c.HeapGoal), size(c.Stacks), size(c.Globals)})
}

func ms(d time.Duration) float64 { return float64(d) / 1e6 }

// Input is what the document shows of one process: its analysis and,
// when the advisor ran, its outcome.
type Input struct {
	Result  *analyze.Result
	Outcome *advice.Outcome
	// Budget is the memory budget the advisor was given; ≤ 0: none.
	Budget int64
}

// Build makes the document from analysis results.
func Build(procs []Input, generator string, notes []string) *Document {
	doc := &Document{Schema: Schema, Kind: KindAnalysis, Generator: generator, Notes: notes, Processes: []Process{}}
	if doc.Notes == nil {
		doc.Notes = []string{}
	}
	for _, in := range procs {
		p := buildProcess(in.Result)
		addSeries(&p, in)
		p.WhatIf = []whatif.Row{}
		if o := in.Outcome; o != nil {
			v := o.Verdict
			p.Verdict, p.Model = &v, o.Fit
			if o.WhatIf != nil {
				p.WhatIf = o.WhatIf
			}
		}
		doc.Processes = append(doc.Processes, p)
	}
	return doc
}

func buildProcess(r *analyze.Result) Process {
	run := r.Run
	rel := func(t model.Time) float64 { return ms(t.Sub(run.Start)) }
	p := Process{
		Source: Source{
			Inputs: run.Inputs, GoVersion: run.GoVersion, GOMAXPROCS: run.GOMAXPROCS,
			ProcsChanges: []ProcsChange{},
			Matching:     run.Matching, WindowMs: ms(run.Duration()), WallStart: run.WallStart,
			Fidelity: run.Fidelity, Stats: run.Stats,
		},
		NonGCSTW:    []STWByReason{},
		WorstPauses: []Pause{},
		Cycles:      []Cycle{},
		Warnings:    append([]string{}, r.Warnings...),
	}
	for _, c := range run.ProcsChanges {
		p.Source.ProcsChanges = append(p.Source.ProcsChanges, ProcsChange{AtMs: rel(c.At), Procs: c.Procs})
	}
	g := r.GC
	p.GC = GC{
		Cycles: g.Cycles, ForcedCycles: g.ForcedCycles, PartialCycles: g.PartialCycles,
		STWCount: g.STW.Count, STWTotalMs: ms(g.STW.Total), STWMaxMs: ms(g.STW.Max),
		STWP50Ms: ms(g.STW.P50), STWP90Ms: ms(g.STW.P90), STWP99Ms: ms(g.STW.P99), STWP999Ms: ms(g.STW.P999),
		CPUFraction: g.CPUFraction, CPUSource: g.CPUSource,
		CPU:       CPU{STW: g.CPU.STW, Assist: g.CPU.Assist, Background: g.CPU.Background, Idle: g.CPU.Idle},
		PerSecond: g.PerSecond,
		MMU:       []MMU{}, LiveHeap: []HeapPoint{}, Heap: []HeapPoint{},
	}
	if g.MarkAssistTotal != nil {
		v := ms(*g.MarkAssistTotal)
		p.GC.MarkAssistMs = &v
	}
	if g.AllocRate >= 0 {
		v := g.AllocRate
		p.GC.AllocRate = &v
	}
	if r.MMU != nil {
		p.GC.MMUSynthesized = r.MMU.Synthesized
		for _, pt := range r.MMU.Points {
			m := MMU{WindowMs: ms(pt.Window), MMU: pt.MMU, BySource: bySource(pt.BySource)}
			for _, w := range pt.Worst {
				m.Worst = append(m.Worst, MMUWindow{StartMs: rel(w.Start), Utilization: w.Utilization, Lost: bySource(w.Lost)})
			}
			p.GC.MMU = append(p.GC.MMU, m)
		}
	}
	for _, h := range r.LiveHeap {
		p.GC.LiveHeap = append(p.GC.LiveHeap, HeapPoint{TMs: rel(h.At), Bytes: h.Live, Goal: h.Goal})
	}
	for _, h := range run.Heap {
		p.GC.Heap = append(p.GC.Heap, HeapPoint{TMs: rel(h.At), Bytes: h.Live, Goal: h.Goal})
	}
	for _, s := range r.NonGCSTW {
		p.NonGCSTW = append(p.NonGCSTW, STWByReason{Reason: s.Reason, Count: s.Count, TotalMs: ms(s.Total), MaxMs: ms(s.Max), P99Ms: ms(s.P99)})
	}
	l := r.Latency
	p.Latency = Latency{Source: l.Source, Requests: l.Requests, Open: l.Open, Note: l.Note,
		P50Ms: ms(l.P50), P90Ms: ms(l.P90), P99Ms: ms(l.P99), P999Ms: ms(l.P999), MaxMs: ms(l.Max)}
	p.Attribution = buildAttribution(r.Attribution, run.Start)
	p.Allocations = run.Allocs
	for _, w := range r.WorstPauses {
		pp := Pause{StartMs: rel(w.Start), DurationMs: ms(w.Duration), RestartMs: ms(w.Restart), Kind: string(w.Kind), Reason: w.Reason, Cycle: w.CycleN, Goroutine: w.Goroutine}
		if w.TimeToStop >= 0 {
			v := ms(w.TimeToStop)
			pp.TimeToStopMs = &v
		}
		p.WorstPauses = append(p.WorstPauses, pp)
	}
	for _, c := range r.Cycles {
		p.Cycles = append(p.Cycles, Cycle{
			N: c.N, StartMs: rel(c.Start), Forced: c.Forced, Partial: c.Partial,
			SweepTerminationMs: ms(c.SweepTermination), MarkMs: ms(c.Mark), MarkTerminationMs: ms(c.MarkTermination),
			AssistMs: ms(c.Assist), HeapStart: c.HeapStart, HeapEnd: c.HeapEnd, HeapLive: c.HeapLive, HeapGoal: c.HeapGoal,
			Stacks: c.Stacks, Globals: c.Globals, From: string(c.From),
		})
	}
	return p
}

func bySource(v [model.NumSources]float64) BySource {
	return BySource{STW: v[model.SourceSTW], Assist: v[model.SourceAssist], Background: v[model.SourceBackground], Sweep: v[model.SourceSweep]}
}
