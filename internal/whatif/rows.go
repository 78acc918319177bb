package whatif

import (
	"encoding/json"

	"github.com/gcwatch/gcwatch/internal/units"
)

// GOGCValue is a GOGC setting in JSON: a number, or "off".
type GOGCValue = units.GOGC

// Row is one row of the report's `whatif` grid. The first six fields
// are the report's contract; the rest explain the row. Sizes are bytes,
// latencies milliseconds, fractions 0..1; gogc and memlimit_bytes are a
// number or "off" (docs/json.md). Null means unbounded (peak sizes, with heap_unbounded set) or unknown (p99_ms without
// request latencies, assist_share when the inputs did not split the GC's
// CPU).
//
// alloc_rate_factor says at which allocation rate the row is predicted, as
// a share of the observed one (see AllocRateFactors): the rows at 1 are the
// settings as the program runs today; the rows at 0.5 and 0.25 are what
// the same settings would give the program allocating half and a quarter
// as much. A reader choosing a setting reads the rows at 1 only
// (AtObservedAllocRate).
type Row struct {
	GOGC GOGCValue `json:"gogc"`
	// MemoryLimit is nil for no limit; JSON writes it as "off".
	MemoryLimit   *int64   `json:"memlimit_bytes"`
	GCPerSecond   float64  `json:"gc_per_second"`
	GCCPUFraction float64  `json:"gc_cpu_fraction"`
	PeakHeap      *int64   `json:"peak_heap_bytes"`
	P99           *float64 `json:"p99_ms"`

	PeakMemory         *int64  `json:"peak_memory_bytes"`
	HeapGoal           *int64  `json:"heap_goal_bytes"`
	MarkActiveFraction float64 `json:"gc_active_fraction"`
	HeapUnbounded      bool    `json:"heap_unbounded"`
	LimitBinds         bool    `json:"limit_binds"`
	HeapMinimum        bool    `json:"heap_minimum"`
	LimiterEngaged     bool    `json:"limiter_engaged"`
	OverLimit          bool    `json:"over_limit"`
	BackToBack         bool    `json:"back_to_back"`

	AllocRateFactor float64  `json:"alloc_rate_factor"`
	AssistShare     *float64 `json:"assist_share"`
	// MarkPressure is what the program allocates while a cycle marks over
	// the runway from the marked heap to the goal (null: no runway).
	MarkPressure *float64 `json:"mark_pressure"`
	// P99Bound is "upper" when p99_ms is at most the figure (the model had
	// no observed cycle as calm as the predicted ones, or too few requests
	// clear of the GC: it keeps queueing the observed cycles caused),
	// "lower" when at least (the predicted cycles press harder than any
	// observed), absent when p99_ms is a prediction.
	P99Bound Bound `json:"p99_bound,omitempty"`
}

// Limit is the row's memory limit as JSON writes it.
func (r Row) Limit() units.Limit {
	if r.MemoryLimit == nil {
		return units.LimitOff
	}
	return units.Limit(*r.MemoryLimit)
}

// MarshalJSON writes the row with memlimit_bytes a number or "off".
func (r Row) MarshalJSON() ([]byte, error) {
	type plain Row
	return json.Marshal(struct {
		plain
		MemoryLimit units.Limit `json:"memlimit_bytes"`
	}{plain(r), r.Limit()})
}

// UnmarshalJSON reads what MarshalJSON wrote.
func (r *Row) UnmarshalJSON(b []byte) error {
	type plain Row
	v := struct {
		plain
		MemoryLimit units.Limit `json:"memlimit_bytes"`
	}{MemoryLimit: units.LimitOff}
	if err := json.Unmarshal(b, &v); err != nil {
		return err
	}
	*r = Row(v.plain)
	if !v.MemoryLimit.Off() {
		r.MemoryLimit = ptr(int64(v.MemoryLimit))
	}
	return nil
}

// Bound says whether a predicted p99 is a prediction or a bound.
type Bound string

const (
	BoundNone  Bound = ""
	BoundUpper Bound = "upper"
	BoundLower Bound = "lower"
)

// AtObservedAllocRate says whether the row is predicted at the observed
// allocation rate: a setting that can be applied without changing the
// program. Rows of reports written before alloc_rate_factor existed carry
// 0 and are all at the observed rate.
func (r Row) AtObservedAllocRate() bool {
	return r.AllocRateFactor == 0 || r.AllocRateFactor == 1
}

// Row converts a prediction into its report row.
func (p Prediction) Row() Row {
	r := Row{
		GOGC:               GOGCValue(max(p.GOGC, Off)),
		GCPerSecond:        p.GCPerSecond,
		GCCPUFraction:      p.GCCPUFraction,
		MarkActiveFraction: p.MarkActiveFraction,
		HeapUnbounded:      p.Unbounded,
		LimitBinds:         p.LimitBinds,
		HeapMinimum:        p.HeapMinimum,
		LimiterEngaged:     p.LimiterEngaged,
		OverLimit:          p.OverLimit,
		BackToBack:         p.BackToBack,
		AllocRateFactor:    p.AllocRateFactor,
		AssistShare:        finite(p.AssistShare),
		MarkPressure:       finite(p.MarkPressure),
	}
	if p.MemoryLimit >= 0 {
		r.MemoryLimit = ptr(p.MemoryLimit)
	}
	if !p.Unbounded {
		r.PeakHeap, r.PeakMemory, r.HeapGoal = ptr(p.PeakHeap), ptr(p.PeakMemory), ptr(p.Goal)
	}
	if p.HasP99 {
		r.P99 = ptr(float64(p.P99) / 1e6)
		r.P99Bound = p.P99Bound
	}
	return r
}

// Rows converts predictions into report rows, in order.
func Rows(ps []Prediction) []Row {
	rows := make([]Row, len(ps))
	for i, p := range ps {
		rows[i] = p.Row()
	}
	return rows
}

func ptr[T any](v T) *T { return &v }
