package advice

import (
	"cmp"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"slices"
	"time"

	"github.com/gcwatch/gcwatch/internal/analyze"
	"github.com/gcwatch/gcwatch/internal/model"
	"github.com/gcwatch/gcwatch/internal/units"
	"github.com/gcwatch/gcwatch/internal/whatif"
)

// The verdict ids: exactly one per process.
const (
	NotTheCause        = "gc-not-the-cause"
	Tune               = "tune"
	ReduceAllocation   = "reduce-allocation"
	FixSTWDelay        = "fix-stw-delay"
	MigrationCandidate = "migration-candidate"
)

// ADR figures: what the decision record that motivates gcwatch reported
// for services moved from Go to Rust (docs/decision-record.md).
const (
	adrP99Change    = -0.25
	adrMemoryChange = -0.50
)

// SLO is a latency objective: the Quantile of request latency at most
// Target.
type SLO struct {
	Quantile float64
	Target   time.Duration
}

// Case is what the verdict is asked to decide on.
type Case struct {
	Run      *model.Run
	Analysis *analyze.Result
	Known    whatif.Known
	SLO      *SLO  // nil: none given
	Budget   int64 // the memory the process may use; ≤ 0: unknown
	Rules    Thresholds
}

// Evidence is one comparison that led to the verdict.
type Evidence struct {
	Metric    string  `json:"metric"`
	Value     float64 `json:"value"`
	Op        string  `json:"op"`
	Threshold float64 `json:"threshold"`
	Unit      string  `json:"unit,omitempty"`
	// Holds says whether Value Op Threshold is true; for a figure with a
	// standard error (Noise), whether it is true once the value is moved
	// NoiseSigmas standard errors towards the verdict that recommends
	// nothing (see decider.noisy).
	Holds bool   `json:"holds"`
	Note  string `json:"note,omitempty"`
	// Rule is the verdict whose rule the comparison belongs to. The rules
	// are tried in order (docs/verdicts.md); the rows whose Rule is the
	// verdict's id are the ones that decided it, the others are rules
	// tried before it that did not apply, or weighed beside it.
	Rule string `json:"rule"`
	// Noise is the value's standard error (0: not estimated),
	// ThresholdName the name of the threshold (as --threshold takes it),
	// and NearThreshold whether the value is within NoiseSigmas standard
	// errors of it: too close to the threshold to tell which side it is on.
	Noise         float64 `json:"noise,omitempty"`
	ThresholdName string  `json:"threshold_name,omitempty"`
	NearThreshold bool    `json:"near_threshold,omitempty"`
}

// Recommendation is the exact setting a tune verdict gives (gogc and
// memlimit_bytes in JSON), with what the model predicts for it.
type Recommendation struct {
	units.Setting
	Predicted whatif.Row  `json:"predicted"`
	Current   *whatif.Row `json:"current,omitempty"`
	// HeadroomBytes is the budget left at the predicted peak (null without
	// a budget).
	HeadroomBytes *int64 `json:"headroom_bytes"`
}

// MigrationEstimate is what removing the GC would buy, in the decision
// record's terms.
type MigrationEstimate struct {
	P99Ms          float64 `json:"p99_ms"`
	P99WithoutGCMs float64 `json:"p99_without_gc_ms"`
	// P99WithoutGCBasis says how P99WithoutGCMs was made: WithoutGCClean,
	// the p99 of the requests that met no GC cycle (the what-if model at
	// GOGC=off); or WithoutGCOwnTime, every request less its own
	// GC-attributable time, an upper bound that keeps the queueing behind
	// GC-slowed requests, when too few requests stayed clear of the GC.
	P99WithoutGCBasis string  `json:"p99_without_gc_basis"`
	P99Change         float64 `json:"p99_change"` // fraction, negative is better
	PeakHeapBytes     int64   `json:"peak_heap_bytes"`
	LiveHeapBytes     int64   `json:"live_heap_bytes"`
	MemoryChange      float64 `json:"memory_change"` // fraction
	ADRP99Change      float64 `json:"adr_p99_change"`
	ADRMemoryChange   float64 `json:"adr_memory_change"`
	Comparison        string  `json:"comparison"`
}

// MarshalJSON writes the heap sizes, when unknown (negative), as null.
func (m MigrationEstimate) MarshalJSON() ([]byte, error) {
	type plain MigrationEstimate
	size := func(b int64) *int64 {
		if b < 0 {
			return nil
		}
		return &b
	}
	return json.Marshal(struct {
		plain
		PeakHeapBytes *int64 `json:"peak_heap_bytes"`
		LiveHeapBytes *int64 `json:"live_heap_bytes"`
	}{plain(m), size(m.PeakHeapBytes), size(m.LiveHeapBytes)})
}

// The bases of MigrationEstimate.P99WithoutGCMs.
const (
	WithoutGCClean   = "requests-clear-of-gc"
	WithoutGCOwnTime = "own-gc-time-removed"
)

// STWDelay is a GC pause that was long because the world took long to
// stop.
type STWDelay struct {
	Cycle        int     `json:"cycle"`
	Phase        string  `json:"phase"`
	StartMs      float64 `json:"start_ms"`
	DurationMs   float64 `json:"duration_ms"`
	TimeToStopMs float64 `json:"time_to_stop_ms"`
	LastToStop   uint64  `json:"last_to_stop_goroutine,omitempty"`
}

// Verdict is gcwatch's answer for one process.
type Verdict struct {
	ID      string `json:"id"`
	Summary string `json:"summary"`
	// Actions are what to do, most important first.
	Actions  []string        `json:"actions"`
	Settings *Recommendation `json:"settings"`
	// Migration is set for every verdict where GC time was measured: what
	// removing the GC would buy. It is the headline of migration-candidate.
	Migration *MigrationEstimate `json:"migration"`
	STWDelays []STWDelay         `json:"stw_delays,omitempty"`
	// TailMadeOf splits the slowest 1 % of requests' time by state, for
	// gc-not-the-cause (fractions of tail time).
	TailMadeOf map[string]float64 `json:"tail_made_of,omitempty"`
	AllocSites []model.AllocSite  `json:"alloc_sites,omitempty"`
	// Options are the remedies, cheapest first (LadderOrder), each with
	// what the model predicts for it and whether that meets Target; the
	// verdict is the first that does (see Option).
	Options []Option `json:"options"`
	// Target is what an option must achieve ("" when none could be worked
	// out: no cost model, or no GC time to cut).
	Target   string     `json:"target,omitempty"`
	Evidence []Evidence `json:"evidence"`
	// Confidence is "high", "medium" or "low"; SufficientData is false when
	// the inputs were too thin to model (the verdict then rests on the
	// rules alone and says so in Caveats).
	Confidence     string   `json:"confidence"`
	SufficientData bool     `json:"sufficient_data"`
	Caveats        []string `json:"caveats"`
}

// Outcome is the verdict with the model behind it.
type Outcome struct {
	Verdict Verdict
	Fit     *whatif.Fit
	WhatIf  []whatif.Row
}

// decider carries what the rules read.
type decider struct {
	Case
	v        *Verdict
	gcShare  float64 // GC share of the tail; NaN without requests
	gcSE     float64 // its standard error
	gcCPU    float64
	attr     *analyze.Attribution
	fit      *whatif.Fit
	grid     []whatif.Prediction
	lat      *whatif.LatencyModel
	observed whatif.Prediction
	// tgt is what a remedy must achieve, once cachedTarget has worked it
	// out; nil without a model or without GC time to cut.
	tgt      *target
	tgtTried bool
	// cut is the allocation cut search's result, once run (allocCut).
	cut      *allocCut
	cutFound bool
	// fitErr says why the cost model could not be fitted.
	fitErr string
	// rule is the verdict the rule being tried would give; the evidence it
	// adds carries it.
	rule string
	// nearTold: the near-threshold caveat was given.
	nearTold bool
	// cpu is what the CPU measures outside the trace say, once weighed
	// (cpuSupply); starvedBy says what made the verdict a starved
	// process's: "trace" (who was last to stop) or "cpu" (those measures).
	cpu       *cpuFinding
	starvedBy string
	cpuTold   bool // a caveat already says the process was short of CPU
}

func (d *decider) evidence(metric string, value float64, op string, threshold float64, unit, note string) bool {
	var holds bool
	switch op {
	case "<":
		holds = value < threshold
	case "<=":
		holds = value <= threshold
	case ">":
		holds = value > threshold
	case ">=":
		holds = value >= threshold
	}
	d.v.Evidence = append(d.v.Evidence, Evidence{Metric: metric, Value: value, Op: op, Threshold: threshold, Unit: unit, Holds: holds, Note: note, Rule: d.rule})
	return holds
}

func (d *decider) caveat(format string, args ...any) {
	d.v.Caveats = append(d.v.Caveats, fmt.Sprintf(format, args...))
}

// Decide reaches the verdict for one process.
func Decide(req Case) Outcome {
	d := &decider{Case: req, v: &Verdict{Actions: []string{}, Evidence: []Evidence{}, Caveats: []string{}, SufficientData: true}}
	a := req.Analysis
	d.attr = a.Attribution
	d.gcCPU = a.GC.CPUFraction
	d.gcShare = math.NaN()
	if d.attr != nil && d.attr.Requests > 0 {
		d.gcShare, d.gcSE = d.attr.Tail99.GCShare, d.attr.Tail99.GCShareSE
	}
	d.fitModel()
	d.judgeConfidence()
	d.estimateMigration()
	switch {
	case d.decideSTWDelay():
	case d.decideNotTheCause():
	case d.decideTune():
	default:
		d.decideBeyondTuning()
	}
	d.cpuCaveat()
	d.buildOptions()
	if short := d.shortfalls(); len(short) > 0 {
		d.insufficient(short)
	}
	d.markRecommended()
	out := Outcome{Verdict: *d.v, Fit: d.fit}
	if d.grid != nil {
		out.WhatIf = whatif.Rows(whatif.GridAtRates(*d.fit, d.budgetOrNone(), d.lat))
	}
	return out
}

// fitWholeLog fits the cost model on the gctrace log a trace was lined up
// with, with the settings the run knows (from a capture's manifest).
func fitWholeLog(run *model.Run, user whatif.Known) (whatif.Fit, error) {
	whole := *run.WholeLog
	if run.GOGC != nil {
		whole.GOGC = run.GOGC
	}
	if run.MemoryLimit != nil {
		whole.MemoryLimit = run.MemoryLimit
	}
	if whole.GOMAXPROCS <= 0 {
		whole.GOMAXPROCS = run.GOMAXPROCS
	}
	return whatif.FitRun(&whole, user)
}

// fitModel fits the what-if model when the cycles allow.
func (d *decider) fitModel() {
	fit, err := whatif.FitRun(d.Run, d.Known)
	if errors.Is(err, whatif.ErrTooFewCycles) && d.Run.WholeLog != nil {
		if whole, werr := fitWholeLog(d.Run, d.Known); werr == nil {
			fit, err = whole, nil
			d.caveat("the trace's window holds too few GC cycles to fit the cost model; it was fitted on the whole gctrace log lined up with it (%d complete cycles over %s), so its predictions describe the process over the log, not the window",
				whole.WarmupCycles+whole.Cycles, d.Run.WholeLog.Duration().Round(time.Millisecond))
		}
	}
	if err != nil {
		d.fitErr = err.Error()
		d.caveat("the what-if model could not be fitted (%v): no setting can be predicted; capture longer", err)
		return
	}
	d.fit = &fit
	if d.attr != nil && len(d.attr.Latencies) > 0 {
		if lat, err := whatif.NewPressureLatencyModel(d.attr.Latencies, d.attr.Met, d.attr.GCTimes, d.attr.MetCycle, whatif.CycleLoads(d.Run), fit.Observed.MarkActiveFraction); err == nil {
			d.lat = lat
		}
	}
	d.grid = whatif.Grid(fit, d.budgetOrNone(), d.lat)
	d.observed = whatif.Predict(fit, fit.Settings(), d.lat)
	for _, e := range []float64{fit.Quality.GCPerSecondError, fit.Quality.GCCPUError} {
		if math.Abs(e) > d.Rules.FitErrorMax {
			d.caveat("the model misses the observed GC frequency or CPU by %.0f%%: treat its predictions as rough", math.Abs(e)*100)
			break
		}
	}
	for _, w := range fit.Warnings {
		d.caveat("%s", w)
	}
}

func (d *decider) budgetOrNone() int64 {
	if d.Budget > 0 {
		return d.Budget
	}
	return whatif.NoLimit
}

// confidenceAtMost lowers the confidence to c when it is higher.
func (d *decider) confidenceAtMost(c string) {
	rank := map[string]int{"low": 0, "medium": 1, "high": 2}
	if rank[d.v.Confidence] > rank[c] {
		d.v.Confidence = c
	}
}

func (d *decider) judgeConfidence() {
	score := 2
	r := d.Rules
	cycles := d.Analysis.GC.Cycles - d.Analysis.GC.PartialCycles
	if cycles < r.MinCycles {
		d.caveat("only %d complete GC cycles observed (fewer than %d)", cycles, r.MinCycles)
		score--
	}
	if w := d.Run.Duration(); w < r.MinWindow {
		d.caveat("short capture: %s (less than %s)", w.Round(time.Millisecond), r.MinWindow)
		score--
	}
	if d.attr == nil || d.attr.Requests == 0 {
		d.caveat("no request latency in the inputs: the verdict rests on GC CPU and pauses alone")
		score--
	} else {
		if d.attr.Tail99.Requests < r.MinTailRequests {
			d.caveat("the slowest 1%% is only %d requests", d.attr.Tail99.Requests)
			score--
		}
		if !d.attr.Accounted {
			d.caveat("requests come from a log: only their overlap with stop-the-world pauses is known, not assists or scheduling delay")
		}
		if d.Analysis.Latency.Source == string(model.RequestInferred) {
			// The run's warning (exectrace.InferredLimits) details the limits.
			d.caveat("requests were inferred from net/http and gRPC server goroutines, not annotated: " +
				"kernel, network and client time are not in them")
			score--
		}
	}
	d.v.Confidence = [...]string{"low", "medium", "high"}[max(0, min(2, score))]
}

// estimateMigration says what removing the GC would buy.
func (d *decider) estimateMigration() {
	if d.attr == nil || d.attr.Requests == 0 {
		return
	}
	t := d.attr.Tail99
	without, basis := t.WithoutGC, WithoutGCOwnTime
	if d.lat != nil && d.lat.CleanRequests() >= whatif.MinClean {
		if p, b := d.lat.WithoutGC(); b == whatif.BoundNone {
			without, basis = p, WithoutGCClean
		}
	}
	m := &MigrationEstimate{
		P99Ms: ms(float64(t.Observed)), P99WithoutGCMs: ms(float64(without)), P99WithoutGCBasis: basis,
		ADRP99Change: adrP99Change, ADRMemoryChange: adrMemoryChange,
		PeakHeapBytes: -1, LiveHeapBytes: -1,
	}
	if t.Observed > 0 {
		m.P99Change = float64(without-t.Observed) / float64(t.Observed)
	}
	if d.fit != nil && d.fit.Observed.PeakHeap > 0 && d.fit.LiveHeap > 0 {
		m.PeakHeapBytes, m.LiveHeapBytes = d.fit.Observed.PeakHeap, d.fit.LiveHeap
	} else {
		m.PeakHeapBytes, m.LiveHeapBytes = observedHeaps(d.Run)
	}
	if m.PeakHeapBytes > 0 && m.LiveHeapBytes > 0 {
		m.MemoryChange = float64(m.LiveHeapBytes-m.PeakHeapBytes) / float64(m.PeakHeapBytes)
	}
	m.Comparison = fmt.Sprintf("without GC time p99 would change by %+.0f%% (the decision record's migrated services: %+.0f%%)",
		m.P99Change*100, adrP99Change*100)
	if basis == WithoutGCOwnTime && d.lat != nil {
		m.Comparison = fmt.Sprintf("without GC time p99 would change by at least %+.0f%%: fewer than %d requests stayed clear of the GC, so this keeps the queueing behind GC-slowed requests (the decision record's migrated services: %+.0f%%)",
			m.P99Change*100, whatif.MinClean, adrP99Change*100)
	}
	if m.LiveHeapBytes > 0 {
		m.Comparison += fmt.Sprintf("; a heap without GC headroom would change memory by %+.0f%% (record: %+.0f%%)", m.MemoryChange*100, adrMemoryChange*100)
	}
	d.v.Migration = m
}

// decideSTWDelay tries fix-stw-delay: GC pauses are long because goroutines
// took long to stop. It gives that verdict, or gc-not-the-cause when the
// process was starved of CPU rather than slow to stop, and says whether it
// gave one; either way it adds its evidence rows.
func (d *decider) decideSTWDelay() bool {
	r := d.Rules
	d.rule = FixSTWDelay
	first := len(d.v.Evidence)
	var stw, stopping time.Duration
	var delays []STWDelay
	for _, p := range d.Run.Pauses {
		if !p.IsGC() {
			continue
		}
		stw += p.Duration
		if p.TimeToStop < 0 {
			continue
		}
		stopping += p.TimeToStop
		if p.TimeToStop >= r.TimeToStopMin && float64(p.TimeToStop) >= r.TimeToStopShare*float64(p.Duration) {
			n := 0
			if p.Cycle >= 0 && p.Cycle < len(d.Run.Cycles) {
				n = d.Run.Cycles[p.Cycle].N
			}
			delays = append(delays, STWDelay{Cycle: n, Phase: string(p.Kind), StartMs: ms(float64(p.Start.Sub(d.Run.Start))),
				DurationMs: ms(float64(p.Duration)), TimeToStopMs: ms(float64(p.TimeToStop)), LastToStop: p.LastToStop})
		}
	}
	if len(delays) == 0 || stw == 0 {
		return false
	}
	share := float64(stopping) / float64(stw)
	if !d.evidence("time_to_stop_share_of_gc_stw", share, ">=", r.STWDelayShare, "fraction",
		fmt.Sprintf("%d GC pauses waited at least %s for the world to stop", len(delays), r.TimeToStopMin)) {
		return false
	}
	slices.SortFunc(delays, func(a, b STWDelay) int { return cmp.Compare(b.TimeToStopMs, a.TimeToStopMs) })
	// Threads the OS did not run are slow to stop too; that is not the
	// code's doing, nor (unless the GC's own CPU is high) the GC's.
	d.rule = NotTheCause // a process starved of CPU is not the GC's doing
	starved, told, oneLast := d.starvedOfCPU(delays)
	cpu := d.cpuSupply()
	switch {
	case starved:
		d.starvedBy = "trace"
	case !told && !oneLast && cpu.starved:
		// Too few pauses to tell by who was last to stop, and those
		// there are do not point at one goroutine: the CPU measures
		// tell.
		starved, d.starvedBy = true, "cpu"
	case cpu.starved:
		d.cpuTold = true
		d.caveat("the process was also short of CPU (%s), but the same goroutine was last to stop at most delayed pauses: its code cannot be preempted; fix it, and give the process its CPU too", cpu.why)
	}
	if starved {
		if d.gcCPU >= r.GCCPUHigh { // the rules below weigh it, with its evidence
			d.caveat("GC pauses waited long for the world to stop because the process was starved of CPU, not because of its code; the verdict weighs the GC's own cost instead")
			return false
		}
		d.evidence("gc_cpu_fraction", d.gcCPU, "<", r.GCCPUHigh, "fraction", "")
		// The long waits to stop are this verdict's evidence too.
		for i := first; i < len(d.v.Evidence); i++ {
			d.v.Evidence[i].Rule = NotTheCause
		}
		d.starvedVerdict(delays, cpu)
		return true
	}
	d.rule = FixSTWDelay
	// It must matter: to the tail, or to the pauses themselves.
	if !math.IsNaN(d.gcShare) && !d.gcShareMatters(">=") {
		return false
	}
	d.v.ID = FixSTWDelay
	d.v.STWDelays = delays[:min(len(delays), 10)]
	worst := delays[0]
	d.v.Summary = fmt.Sprintf("GC pauses are long because goroutines take long to stop: up to %.1f ms to stop the world (gc %d); no GC setting changes that", worst.TimeToStopMs, worst.Cycle)
	d.v.Actions = append(d.v.Actions,
		"find the code running when these pauses began: a goroutine that cannot be preempted — a long loop or copy without function calls, a large memmove/clear, a long cgo or assembly call — delays every stop-the-world",
		"in the execution trace, look at what the last goroutine to stop was running at each listed pause (last_to_stop_goroutine)",
		"split the work into smaller steps, or add a call (a function call is a preemption point) inside long tight loops")
	if !told && !cpu.known {
		d.caveat("too few delayed pauses to tell code that cannot be preempted from a process starved of CPU (threads descheduled on a busy host or under a CPU quota below GOMAXPROCS): if the last goroutines to stop differ and run ordinary code, look at the CPU first")
	}
	return true
}

// decideNotTheCause tries gc-not-the-cause: GC time is a small part of the
// tail (and GC CPU is modest). It gives the verdict and says whether it did.
func (d *decider) decideNotTheCause() bool {
	r := d.Rules
	d.rule = NotTheCause
	cpuOK := d.evidence("gc_cpu_fraction", d.gcCPU, "<", r.GCCPUHigh, "fraction", "")
	if math.IsNaN(d.gcShare) {
		if !cpuOK {
			return false
		}
		d.v.ID = NotTheCause
		d.v.Summary = fmt.Sprintf("the GC takes %.1f%% of the CPU and no request latency was given to weigh against it", d.gcCPU*100)
		d.v.Actions = append(d.v.Actions, "capture request latency (runtime/trace tasks, or --latency) to see what the tail is made of")
		return true
	}
	if !d.gcShareMatters("<") || !cpuOK {
		return false
	}
	d.v.ID = NotTheCause
	d.v.TailMadeOf = d.tailMadeOf()
	top, share := "", 0.0
	for k, v := range d.v.TailMadeOf {
		if v > share || (v == share && k < top) {
			top, share = k, v
		}
	}
	d.v.Summary = fmt.Sprintf("GC is %.1f%% of the slowest requests' time; the tail is mostly %s (%.0f%%)", d.gcShare*100, top, share*100)
	if d.nearTold {
		d.v.Summary = fmt.Sprintf("GC is %.1f%% ± %.1f%% of the slowest requests' time, under but close to the %.0f%% threshold; the tail is mostly %s (%.0f%%)",
			d.gcShare*100, d.gcSE*100, r.GCShareSmall*100, top, share*100)
	}
	switch top {
	case "blocked":
		d.v.Actions = append(d.v.Actions, "look at what the slow requests wait on: locks, channels, network or a slow dependency (the trace's blocking profile names them)")
	case "runnable":
		d.v.Actions = append(d.v.Actions, "the slow requests wait for a CPU: the process is CPU-bound; look at GOMAXPROCS against the CPU quota and at CPU profiles")
	case "syscall":
		d.v.Actions = append(d.v.Actions, "the slow requests are in system calls: look at I/O")
	case "non-GC stop-the-world":
		d.v.Actions = append(d.v.Actions, "stop-the-world pauses outside the GC (ReadMemStats, goroutine profiles, trace start) hit the tail: make them rarer")
	default:
		d.v.Actions = append(d.v.Actions, "the slow requests are running their own code: a CPU profile of the slow path is the next step")
	}
	return true
}

// gcShareMatters adds the evidence row for the GC share of the tail and
// says whether it holds: op "<" for gc-not-the-cause, ">=" for a rule that
// needs the GC to matter. The share is compared with gc_share_small as
// measured; when it lies within NoiseSigmas standard errors of it, the
// verdict says it sits beside the threshold and its confidence is low.
//
// Counting a near share as small instead (the side that recommends
// nothing) made five captures of a steady service agree, but it also
// called the GC "not the cause" of bigheap's tail (52 % ± 52 %, one cycle
// in a short capture), whose p99 the GOGC=off re-run cut by 95 %: the
// standard error cannot yet tell an unlucky cycle from a cost every
// cycle brings (docs/verdicts.md).
func (d *decider) gcShareMatters(op string) bool {
	r := d.Rules
	margin := r.NoiseSigmas * d.gcSE
	matters := d.gcShare >= r.GCShareSmall
	near := math.Abs(d.gcShare-r.GCShareSmall) < margin
	note := "GC-attributable share of the slowest 1% of requests' time"
	if near {
		note += fmt.Sprintf("; within %s (%.3f) of the threshold: another capture may land on the other side", sigmas(r.NoiseSigmas), d.gcSE)
	}
	holds := matters == (op == ">=")
	d.v.Evidence = append(d.v.Evidence, Evidence{Metric: "gc_share_of_tail", Value: d.gcShare, Op: op, Threshold: r.GCShareSmall,
		Unit: "fraction", Holds: holds, Note: note, Noise: d.gcSE, ThresholdName: "gc_share_small", NearThreshold: near, Rule: d.rule})
	if near && !d.nearTold {
		d.nearTold = true
		d.v.Confidence = "low"
		d.caveat("near a threshold: the GC's share of the slowest requests' time, %.1f%% ± %.1f%%, is within %s of gc_share_small (%.0f%%); another capture of the same load may land on either side — capture longer (more GC cycles and requests narrow it) before acting on it",
			d.gcShare*100, d.gcSE*100, sigmas(r.NoiseSigmas), r.GCShareSmall*100)
	}
	return holds
}

// sigmas says "one standard error" or "2 standard errors".
func sigmas(n float64) string {
	if n == 1 {
		return "one standard error"
	}
	return fmt.Sprintf("%g standard errors", n)
}

// tailMadeOf splits the slowest 1 %'s time by state.
func (d *decider) tailMadeOf() map[string]float64 {
	t := d.attr.Tail99
	total := float64(t.Latency)
	if total <= 0 {
		return nil
	}
	s := t.Sum
	out := map[string]float64{
		"gc":                    float64(t.Latency) * t.GCShare / total,
		"non-GC stop-the-world": float64(s.NonGCSTW) / total,
	}
	if s.Accounted || s.Running+s.Runnable+s.Blocked+s.Syscall > 0 {
		states := float64(s.Running + s.Runnable + s.Blocked + s.Syscall)
		rest := max(0, 1-out["gc"]-out["non-GC stop-the-world"])
		// States are summed over goroutines; scale them to the rest.
		if states > 0 {
			out["running"] = rest * float64(max(0, s.Running-s.Assist-s.Sweep)) / states
			out["runnable"] = rest * float64(max(0, s.Runnable-s.RunnableGC)) / states
			out["blocked"] = rest * float64(s.Blocked) / states
			out["syscall"] = rest * float64(s.Syscall) / states
		}
	} else {
		out["other"] = max(0, 1-out["gc"]-out["non-GC stop-the-world"])
	}
	return out
}

// observedHeaps is the mean heap at mark termination (the peak of a cycle)
// and the mean live heap over the complete cycles that carry them, for
// when the model could not be fitted; -1 when none does.
func observedHeaps(run *model.Run) (peak, live int64) {
	var sumPeak, sumLive, nPeak, nLive int64
	for _, c := range run.Cycles {
		if c.Partial {
			continue
		}
		if c.HeapEnd > 0 {
			sumPeak += c.HeapEnd
			nPeak++
		}
		if c.HeapLive > 0 {
			sumLive += c.HeapLive
			nLive++
		}
	}
	peak, live = -1, -1
	if nPeak > 0 {
		peak = sumPeak / nPeak
	}
	if nLive > 0 {
		live = sumLive / nLive
	}
	return peak, live
}

// ms converts nanoseconds to milliseconds, the unit of the JSON's _ms
// fields.
func ms(ns float64) float64 { return ns / 1e6 }
