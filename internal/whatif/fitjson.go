package whatif

import (
	"encoding/json"
	"math"

	"github.com/gcwatch/gcwatch/internal/units"
)

// fitJSON is Fit as the report carries it: snake_case, sizes in bytes,
// durations in milliseconds, per-byte costs in nanoseconds per byte, and
// null where a number is unknown (NaN).
type fitJSON struct {
	AllocRate          float64     `json:"alloc_rate_bytes_per_second"`
	LiveHeap           int64       `json:"live_heap_bytes"`
	LiveHeapMin        int64       `json:"live_heap_min_bytes"`
	LiveHeapMax        int64       `json:"live_heap_max_bytes"`
	MarkedWhileMarking int64       `json:"marked_while_marking_bytes"`
	Stacks             int64       `json:"stacks_bytes"`
	Globals            int64       `json:"globals_bytes"`
	RootsKnown         bool        `json:"roots_known"`
	RootsHidden        int64       `json:"roots_hidden_bytes"`
	NonHeap            int64       `json:"non_heap_bytes"`
	NonHeapMeasured    bool        `json:"non_heap_measured"`
	MarkCPUFixed       float64     `json:"gc_cpu_per_cycle_fixed_ms"`
	MarkCPUPerByte     float64     `json:"gc_cpu_per_byte_ns"`
	MarkWallFixed      float64     `json:"gc_wall_per_cycle_fixed_ms"`
	MarkWallPerByte    float64     `json:"gc_wall_per_byte_ns"`
	Proportional       bool        `json:"cost_proportional"`
	IdleShare          float64     `json:"idle_mark_share"`
	AssistShare        *float64    `json:"assist_share"`
	Overshoot          float64     `json:"goal_overshoot"`
	Procs              int         `json:"gomaxprocs"`
	GOGC               any         `json:"gogc"`
	GOGCSource         string      `json:"gogc_source"`
	GOGCInferred       *float64    `json:"gogc_inferred"`
	GOGCInferredLow    *float64    `json:"gogc_inferred_low"`
	GOGCInferredHigh   *float64    `json:"gogc_inferred_high"`
	MemoryLimit        units.Limit `json:"memlimit_bytes"`
	MemoryLimitSource  string      `json:"memlimit_source,omitempty"`
	LimitBoundCycles   int         `json:"limit_bound_cycles"`
	Window             float64     `json:"window_ms"`
	Cycles             int         `json:"cycles"`
	WarmupCycles       int         `json:"warmup_cycles"`
	Observed           struct {
		GCPerSecond        float64 `json:"gc_per_second"`
		GCCPUFraction      float64 `json:"gc_cpu_fraction"`
		MarkActiveFraction float64 `json:"gc_active_fraction"`
		PeakHeap           *int64  `json:"peak_heap_bytes"`
	} `json:"observed"`
	Quality struct {
		CPUR2            *float64 `json:"gc_cpu_r2"`
		CPUError         *float64 `json:"gc_cpu_mean_abs_error"`
		IntervalError    *float64 `json:"interval_mean_abs_error"`
		IntervalCycles   int      `json:"interval_cycles"`
		GCPerSecondError *float64 `json:"gc_per_second_error"`
		GCCPUError       *float64 `json:"gc_cpu_fraction_error"`
	} `json:"quality"`
	Warnings []string `json:"warnings,omitempty"`
}

// MarshalJSON writes the fit in the report's conventions.
func (f Fit) MarshalJSON() ([]byte, error) {
	j := fitJSON{
		AllocRate: f.AllocRate, LiveHeap: f.LiveHeap,
		LiveHeapMin: f.LiveHeapMin, LiveHeapMax: f.LiveHeapMax, MarkedWhileMarking: f.MarkedWhileMarking,
		Stacks: f.Stacks, Globals: f.Globals, RootsKnown: f.RootsKnown, RootsHidden: f.RootsHidden,
		NonHeap: f.NonHeap, NonHeapMeasured: f.NonHeapMeasured,
		MarkCPUFixed: ms(float64(f.MarkCPU.Fixed)), MarkCPUPerByte: f.MarkCPU.PerByte,
		MarkWallFixed: ms(float64(f.MarkWall.Fixed)), MarkWallPerByte: f.MarkWall.PerByte,
		Proportional: f.MarkCPU.Proportional, IdleShare: f.IdleShare, AssistShare: finite(f.AssistShare),
		Overshoot: f.Overshoot, Procs: f.Procs,
		GOGC: GOGCValue(max(f.GOGC, Off)), GOGCSource: f.GOGCSource,
		GOGCInferred:      finite(f.GOGCInferred),
		GOGCInferredLow:   finite(f.GOGCInferredLow),
		GOGCInferredHigh:  finite(f.GOGCInferredHigh),
		MemoryLimitSource: f.MemoryLimitSource, LimitBoundCycles: f.LimitBoundCycles,
		Window: ms(float64(f.Window)), Cycles: f.Cycles, WarmupCycles: f.WarmupCycles,
		Warnings: f.Warnings,
	}
	j.MemoryLimit = units.Limit(max(f.MemoryLimit, NoLimit))
	j.Observed.GCPerSecond = f.Observed.GCPerSecond
	j.Observed.GCCPUFraction = f.Observed.GCCPUFraction
	j.Observed.MarkActiveFraction = f.Observed.MarkActiveFraction
	if f.Observed.PeakHeap >= 0 {
		j.Observed.PeakHeap = ptr(f.Observed.PeakHeap)
	}
	q := f.Quality
	j.Quality.CPUR2, j.Quality.CPUError = finite(q.CPUR2), finite(q.CPUError)
	j.Quality.IntervalError, j.Quality.IntervalCycles = finite(q.IntervalError), q.IntervalCycles
	j.Quality.GCPerSecondError, j.Quality.GCCPUError = finite(q.GCPerSecondError), finite(q.GCCPUError)
	return json.Marshal(j)
}

func ms(ns float64) float64 { return ns / 1e6 }

// finite returns nil for NaN and infinities, which JSON cannot carry.
func finite(v float64) *float64 {
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return nil
	}
	return &v
}
