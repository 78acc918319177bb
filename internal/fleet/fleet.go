package fleet

import (
	"cmp"
	"fmt"
	"slices"

	"github.com/gcwatch/gcwatch/internal/advice"
	"github.com/gcwatch/gcwatch/internal/analyze"
	"github.com/gcwatch/gcwatch/internal/units"
	"github.com/gcwatch/gcwatch/internal/whatif"
)

// Service is one service's line in the fleet report.
type Service struct {
	Name     string `json:"name"`
	Captures string `json:"captures"`
	// Rank is the place in the ranking, from 1; 0 for services with too
	// little data, which are listed but not ranked.
	Rank int    `json:"rank"`
	Data string `json:"data"` // "sufficient" or "insufficient"
	// Verdict is the service's verdict, the same object as a process's in
	// the analysis document (null when the advisor did not run).
	Verdict *advice.Verdict `json:"verdict"`
	// GCShareOfTail is the GC-attributable share of the slowest 1 % of
	// requests' time (null without requests).
	GCShareOfTail *float64 `json:"gc_share_of_tail"`
	GCCPUFraction float64  `json:"gc_cpu_fraction"`
	// MemoryOverhead is the share of the peak heap above the live heap:
	// (peak − live) / peak (null when unknown).
	MemoryOverhead *float64    `json:"memory_overhead"`
	P99Ms          *float64    `json:"p99_ms"`
	BestTuning     *BestTuning `json:"best_tuning"`
	WithoutGC      *WithoutGC  `json:"without_gc"`
	// RecommendedOption is the option the verdict recommends (the first
	// rung of its options ladder that meets the target; see
	// docs/verdicts.md), null when it recommends none. Only a service
	// whose recommended option is migration ranks as a migration
	// candidate.
	RecommendedOption *string `json:"recommended_option"`
	// Reasons say why the service is where it is in the ranking.
	Reasons []string `json:"reasons"`
	// Source is SourcePrometheus for a line read from monitoring, empty
	// for captures. The document's source says the same in JSON.
	Source string `json:"-"`
	// WorthCapture: the metrics show enough GC cost that a trace capture
	// would be worth taking to attribute the tail (monitoring lines only).
	WorthCapture bool `json:"worth_capture,omitempty"`
	// Knowable says what the job's metrics can and cannot tell.
	Knowable []string `json:"knowable,omitempty"`
	Metrics  *Metrics `json:"metrics,omitempty"`
}

// BestTuning is what the best setting inside the budget would buy.
type BestTuning struct {
	units.Setting
	P99Ms     *float64 `json:"p99_ms"`
	P99Change *float64 `json:"p99_change"`
	GCCPU     float64  `json:"gc_cpu_fraction"`
	PeakHeap  *int64   `json:"peak_heap_bytes"`
	// PeakMemoryChange is the predicted peak memory against the model's
	// for the current settings (0.5: half as much again); null when either
	// is unbounded or unknown.
	PeakMemoryChange *float64 `json:"peak_memory_change"`
}

// WithoutGC is what removing the GC would buy, in the decision record's
// terms (docs/decision-record.md: p99 −25 %, memory −50 %).
type WithoutGC struct {
	P99Ms           float64 `json:"p99_ms"`
	P99Change       float64 `json:"p99_change"`
	MemoryChange    float64 `json:"memory_change"`
	ADRP99Change    float64 `json:"adr_p99_change"`
	ADRMemoryChange float64 `json:"adr_memory_change"`
}

// minCycles is the fewest complete GC cycles a service needs to be ranked.
const minCycles = 2

// Process is one process of a service's captures: its analysis and the
// advisor's outcome for it (nil when the advisor did not run).
type Process struct {
	Result  *analyze.Result
	Outcome *advice.Outcome
}

// FromProcesses builds a service's line from the process of its captures
// with the most to go on: the most requests, then the most complete GC
// cycles. With several processes, note says which was used; with none it
// is an error.
func FromProcesses(name, captures string, procs []Process, budget int64) (s Service, note string, err error) {
	if len(procs) == 0 {
		return Service{}, "", fmt.Errorf("no process in %s", captures)
	}
	best := &procs[0]
	score := func(p *Process) (int, int) {
		return p.Result.Latency.Requests, p.Result.GC.Cycles - p.Result.GC.PartialCycles
	}
	for i := range procs {
		p := &procs[i]
		br, bc := score(best)
		pr, pc := score(p)
		if pr > br || (pr == br && pc > bc) {
			best = p
		}
	}
	if len(procs) > 1 {
		note = fmt.Sprintf("%s: %d processes in %s; the one with the most data is used", name, len(procs), captures)
	}
	return FromAnalysis(name, captures, best.Result, best.Outcome, budget), note, nil
}

// FromAnalysis builds a service's line from one process's analysis and
// the advisor's outcome for it (nil when the advisor did not run); budget
// is the service's memory budget in bytes (≤ 0: unknown).
func FromAnalysis(name, captures string, r *analyze.Result, o *advice.Outcome, budget int64) Service {
	s := Service{Name: name, Captures: captures, Data: "sufficient", Reasons: []string{}}
	s.GCCPUFraction = r.GC.CPUFraction
	if o != nil {
		v := o.Verdict
		s.Verdict = &v
		for _, opt := range v.Options {
			if opt.Recommended {
				id := opt.ID
				s.RecommendedOption = &id
			}
		}
		if v.ID == advice.MigrationCandidate && !s.migrationCandidate() {
			s.Reasons = append(s.Reasons, "ranked with the other GC problems, not as a migration candidate: "+notMigration(&v))
		}
		// Ranking needs the GC's share of the tail or, without requests,
		// a fitted model; a couple of cycles at least either way.
		complete := r.GC.Cycles - r.GC.PartialCycles
		noRequests := r.Attribution == nil || r.Attribution.Requests == 0
		if complete < minCycles || (noRequests && !v.SufficientData) {
			s.Data = "insufficient"
			s.Reasons = append(s.Reasons, fmt.Sprintf("too little data to rank: %d complete GC cycles; %s", complete, firstCaveat(&v)))
		}
		if m := v.Migration; m != nil {
			s.WithoutGC = &WithoutGC{P99Ms: m.P99WithoutGCMs, P99Change: m.P99Change, MemoryChange: m.MemoryChange,
				ADRP99Change: m.ADRP99Change, ADRMemoryChange: m.ADRMemoryChange}
			if m.PeakHeapBytes > 0 && m.LiveHeapBytes > 0 {
				over := float64(m.PeakHeapBytes-m.LiveHeapBytes) / float64(m.PeakHeapBytes)
				s.MemoryOverhead = &over
			}
		}
	}
	if a := r.Attribution; a != nil && a.Requests > 0 {
		// The same numbers as the analysis document's attribution.
		share, p99 := a.Tail99.GCShare, float64(a.Tail99.Observed)/1e6
		s.GCShareOfTail, s.P99Ms = &share, &p99
	} else {
		s.Reasons = append(s.Reasons, "no request latency: ranked on GC CPU and memory alone")
	}
	s.BestTuning = bestTuning(s.Verdict, o, s.P99Ms, budget)
	return s
}

func firstCaveat(v *advice.Verdict) string {
	if len(v.Caveats) > 0 {
		return v.Caveats[0]
	}
	return "no caveat given"
}

// bestTuning is the tune verdict's setting, or else, for verdicts beyond
// tuning, the whatif row with the lowest predicted p99 (then GC CPU) that
// fits the budget, among the rows at the observed allocation rate: a
// setting alone. None where the verdict rules tuning out (GC not the
// cause, a stop-the-world delay, nothing to change, not enough data) and
// none that makes p99 worse: the row must not contradict its verdict.
func bestTuning(v *advice.Verdict, o *advice.Outcome, observedP99 *float64, budget int64) *BestTuning {
	if v == nil || !v.SufficientData {
		return nil
	}
	worse := func(r *whatif.Row) bool {
		return r.P99 != nil && observedP99 != nil && *r.P99 > *observedP99
	}
	var row *whatif.Row
	switch {
	case v.Settings != nil:
		r := v.Settings.Predicted
		row = &r
	case v.ID == advice.ReduceAllocation || v.ID == advice.MigrationCandidate:
		for i := range o.WhatIf {
			r := &o.WhatIf[i]
			if !r.AtObservedAllocRate() || r.PeakMemory == nil || r.LimiterEngaged || r.OverLimit || (budget > 0 && *r.PeakMemory > budget) || worse(r) {
				continue
			}
			if row == nil || better(r, row) {
				row = r
			}
		}
	}
	if row == nil || worse(row) {
		return nil
	}
	b := &BestTuning{Setting: units.Setting{GOGC: row.GOGC, MemoryLimit: row.Limit()}, P99Ms: row.P99, GCCPU: row.GCCPUFraction, PeakHeap: row.PeakHeap}
	if row.P99 != nil && observedP99 != nil && *observedP99 > 0 {
		c := (*row.P99 - *observedP99) / *observedP99
		b.P99Change = &c
	}
	if fit := o.Fit; fit != nil && row.PeakMemory != nil {
		if cur := whatif.Predict(*fit, fit.Settings(), nil); !cur.Unbounded && cur.PeakMemory > 0 {
			c := float64(*row.PeakMemory-cur.PeakMemory) / float64(cur.PeakMemory)
			b.PeakMemoryChange = &c
		}
	}
	return b
}

func better(a, b *whatif.Row) bool {
	switch {
	case a.P99 != nil && b.P99 != nil && *a.P99 != *b.P99:
		return *a.P99 < *b.P99
	}
	return a.GCCPUFraction < b.GCCPUFraction
}

// VerdictID is the id of the service's verdict; "" without one.
func (s Service) VerdictID() string {
	if s.Verdict == nil {
		return ""
	}
	return s.Verdict.ID
}

// Confidence is the service's verdict's confidence; "" without one.
func (s Service) Confidence() string {
	if s.Verdict == nil {
		return ""
	}
	return s.Verdict.Confidence
}

// Summary is the service's verdict's summary; "" without one.
func (s Service) Summary() string {
	if s.Verdict == nil {
		return ""
	}
	return s.Verdict.Summary
}

// migrationCandidate says whether the service ranks as a migration
// candidate: its verdict says so and its options ladder agrees, migration
// being the first remedy that meets the target (the verdict recommends
// it). A verdict on too little data, or one whose ladder meets the target
// with something cheaper — an allocation problem that looked like a
// migration candidate — or with nothing, does not.
func (s *Service) migrationCandidate() bool {
	return s.VerdictID() == advice.MigrationCandidate && s.RecommendedOption != nil && *s.RecommendedOption == advice.MigrationCandidate
}

// notMigration says why a migration-candidate verdict does not rank as one.
func notMigration(v *advice.Verdict) string {
	if !v.SufficientData {
		return "not enough data, the verdict is a hypothesis"
	}
	for _, o := range v.Options {
		if o.Applicable && o.MeetsTarget != nil && *o.MeetsTarget {
			return fmt.Sprintf("%s meets the target first (%s)", o.ID, o.Change)
		}
	}
	return "no remedy, migration included, is predicted to meet the target"
}

// group orders services: migration candidates first, services where GC is
// not the cause last.
func group(s *Service) int {
	switch {
	case s.migrationCandidate():
		return 0
	case s.VerdictID() == advice.NotTheCause:
		return 2
	}
	return 1
}

func orZero(p *float64) float64 {
	if p == nil {
		return 0
	}
	return *p
}

// Header says in what order Rank puts the services.
const Header = "migration candidates first (migration the first remedy to meet the target), then by the GC's share of the tail, GC CPU and memory overhead; GC not the cause last; too little data unranked"

// Rank orders the services as Header says: migration candidates first
// (the verdict's options ladder reaches migration: nothing cheaper meets
// the target), then by the GC-attributable share of the
// tail, then GC CPU, then memory overhead; services where GC is not the
// cause last; services with too little data after all, unranked.
func Rank(services []Service) []Service {
	out := slices.Clone(services)
	slices.SortStableFunc(out, func(a, b Service) int {
		if (a.Data == "insufficient") != (b.Data == "insufficient") {
			if a.Data == "insufficient" {
				return 1
			}
			return -1
		}
		return cmp.Or(
			cmp.Compare(group(&a), group(&b)),
			cmp.Compare(orZero(b.GCShareOfTail), orZero(a.GCShareOfTail)),
			cmp.Compare(b.GCCPUFraction, a.GCCPUFraction),
			cmp.Compare(orZero(b.MemoryOverhead), orZero(a.MemoryOverhead)),
			cmp.Compare(a.Name, b.Name),
		)
	})
	rank := 0
	for i := range out {
		s := &out[i]
		if s.Data == "insufficient" {
			s.Rank = 0
			continue
		}
		rank++
		s.Rank = rank
		s.Reasons = append(s.Reasons, reason(s))
	}
	return out
}

func reason(s *Service) string {
	share := "unknown"
	if s.GCShareOfTail != nil {
		share = fmt.Sprintf("%.0f%%", *s.GCShareOfTail*100)
	}
	mem := "unknown"
	if s.MemoryOverhead != nil {
		mem = fmt.Sprintf("%.0f%%", *s.MemoryOverhead*100)
	}
	return fmt.Sprintf("%s: GC is %s of the slowest requests' time, %.1f%% of CPU, and %s of the peak heap is above the live heap", s.VerdictID(), share, s.GCCPUFraction*100, mem)
}

// Kind is the fleet report's document kind.
const Kind = "fleet"

// Document is the fleet report: the ranked services, for internal/report
// to render (report.RenderFleet).
type Document struct {
	Schema    string    `json:"schema"`
	Kind      string    `json:"kind"` // Kind
	Generator string    `json:"generator"`
	Services  []Service `json:"services"`
	Notes     []string  `json:"notes"`
	// Source and Window are set for a report read from monitoring
	// (SourcePrometheus); a capture report leaves them out.
	Source string  `json:"source,omitempty"`
	Window *Window `json:"window,omitempty"`
}
