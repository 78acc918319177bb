package whatif

import (
	"math"
	"slices"
	"time"
)

// Prediction is what the model expects of the run's program under one
// setting, in the steady state.
type Prediction struct {
	Settings
	// GCPerSecond is the number of cycles per second.
	GCPerSecond float64
	// GCCPUFraction is the GC's share of GOMAXPROCS×time, idle mark
	// workers excluded (as gctrace's P% and the GC guide count it).
	GCCPUFraction float64
	// MarkActiveFraction is the share of time a cycle is in progress.
	MarkActiveFraction float64
	// Goal is the heap goal; PeakHeap the heap in use at the end of a
	// typical cycle (its highest point: goal × the observed overshoot, or
	// more when the limiter lets the heap run past it); PeakMemory adds
	// the runtime's memory outside heap objects (Fit.NonHeap), the figure
	// to compare with a memory limit or budget. All three are -1 when
	// Unbounded.
	Goal, PeakHeap, PeakMemory int64
	// Unbounded is set for GOGC=off without a memory limit: no cycle runs
	// and the heap grows with every allocation.
	Unbounded bool
	// LimitBinds is set when the memory limit, not GOGC, sets the goal;
	// HeapMinimum when the runtime's minimum heap (4 MiB × GOGC/100) does.
	LimitBinds, HeapMinimum bool
	// LimiterEngaged is set when the GC would need more than half the CPU:
	// the GC CPU limiter then holds it at half, cycles stretch and the heap
	// overshoots its goal (OverLimit says whether past the memory limit).
	LimiterEngaged, OverLimit bool
	// BackToBack is set when a new cycle starts as soon as one ends.
	BackToBack bool
	// P99 is the predicted 99th percentile latency; HasP99 is false when
	// no latency model was given.
	P99    time.Duration
	HasP99 bool
	// AllocRateFactor is the allocation rate predicted for, as a share of
	// the observed one: 1 is the program as it runs, 0.5 the same program
	// allocating half as much. Forced cycles (runtime.GC) stay as observed.
	AllocRateFactor float64
	// AssistShare is the share of the GC CPU that mark assists would do;
	// NaN when the run did not show the split (see Fit.AssistShare).
	AssistShare float64
	// MarkPressure is the bytes the program allocates while a cycle marks
	// over the runway from the marked heap to the goal: the pacer must
	// finish marking inside that runway, and the nearer the allocation
	// while marking comes to it, the more the mutator assists. +Inf when
	// there is no runway (the goal at the live heap, or the limiter
	// engaged); 0 with no cycles.
	MarkPressure float64
	// P99Bound says how far P99 can be trusted: BoundNone when the
	// latency model describes the predicted cycles from observed ones;
	// BoundUpper when it had to use cycles pressed harder than predicted,
	// or requests that queued behind the GC, so the real p99 is likely
	// lower; BoundLower when the predicted cycles press harder than any
	// observed, so it is likely higher.
	P99Bound Bound
}

// AllocRateFactors are the allocation rates, as shares of the observed
// one, the what-if grid is predicted at: as observed, halved, quartered.
var AllocRateFactors = []float64{1, 0.5, 0.25}

// Predict applies the fitted model to settings s. lat may be nil.
//
// With live heap L, roots R, allocation rate A and overshoot o:
//
//	goal      = min(L + (L+R)·GOGC/100 ≥ 4 MiB·GOGC/100,  limit goal)
//	peak      = goal·o
//	cycles/s  = A / (peak − L), with the program's forced cycles added
//	            (see withForced), at least one per two minutes with GOGC on
//	GC CPU    = cycles/s × MarkCPU(L+R)·(1−IdleShare) / GOMAXPROCS
//	active    = min(1, cycles/s × MarkWall(L+R))
//
// where the limit goal is (limit − NonHeap) less the pacer's 3 % headroom.
// When GC CPU would pass one half, the limiter holds it there: cycles/s =
// GOMAXPROCS/2 / MarkCPU, and the heap grows by A per cycle period past L.
// The mark pressure is A·MarkWall(L+R) / (goal − L) (+Inf without a
// runway); the p99 comes from the latency model at the predicted active
// share and the pressure relative to the observed settings'.
func Predict(f Fit, s Settings, lat *LatencyModel) Prediction {
	return PredictAt(f, s, 1, lat)
}

// PredictAt is Predict for the same program allocating allocFactor times
// the observed rate (A above becomes allocFactor·A). The data the program
// keeps, the roots and the cost of a cycle stay as fitted; what it
// allocated while marking, which the runtime marks (Fit.LiveHeapAt), and
// the overshoot past the goal (what it allocates while the pacer finishes
// a late mark) scale with the rate.
//
// The assist share is an estimate, not a fit: assists make up for marking
// the background workers could not finish before the mutator reached the
// goal, so they grow and shrink with the share of the heap's runway the
// mutator allocates while marking, which is also the share of time a cycle
// is in progress (active = A·MarkWall / (peak − L)). The observed share's
// odds, share/(1−share), are scaled by active's relative change: linear
// while assists are rare, and never reaching all of the GC's CPU (the
// background workers always take their part).
func PredictAt(f Fit, s Settings, allocFactor float64, lat *LatencyModel) Prediction {
	ref := predictHeapAndCPU(f, f.Settings(), f.ScanBytes())
	g := f
	g.AllocRate *= allocFactor
	g.LiveHeap = f.LiveHeapAt(allocFactor)
	if f.Overshoot > 1 {
		// The heap passes its goal by what the program allocates while
		// the pacer finishes a late mark: that scales with the rate.
		g.Overshoot = 1 + allocFactor*(f.Overshoot-1)
	}
	p := predictHeapAndCPU(g, s, f.ScanBytes())
	p.AllocRateFactor = allocFactor
	p.AssistShare = f.AssistShare
	if ref.MarkActiveFraction > 0 && f.AssistShare < 1 {
		odds := f.AssistShare / (1 - f.AssistShare) * p.MarkActiveFraction / ref.MarkActiveFraction
		p.AssistShare = odds / (1 + odds)
	}
	if lat != nil {
		share := p.MarkActiveFraction
		if ref.MarkActiveFraction > 0 {
			// Scale the observed share by the model's relative change, so
			// that the observed setting reproduces the observed p99.
			share = lat.observedActive * p.MarkActiveFraction / ref.MarkActiveFraction
		}
		p.P99, p.P99Bound = lat.P99At(share, relativePressure(ref, p))
		p.HasP99 = true
	}
	return p
}

// relativePressure is how hard a cycle under prediction p presses the
// mutator, relative to the observed settings' cycles (ref): the bytes
// allocated while marking over the runway from the marked heap to the
// goal. 1 at the observed settings; +Inf when p leaves no runway; NaN
// when the observed settings left none (nothing to scale from).
func relativePressure(ref, p Prediction) float64 {
	if p.Unbounded || p.GOGC < 0 && p.MemoryLimit < 0 {
		return 0
	}
	return p.MarkPressure / ref.MarkPressure
}

// predictHeapAndCPU predicts the heap, the cycles and their CPU under s;
// costScan is the bytes whose marking the cost per cycle is evaluated at
// (the observed scan: what the program allocates while marking is
// allocated black and not scanned, so a lower rate leaves the cost as it
// was).
func predictHeapAndCPU(f Fit, s Settings, costScan float64) Prediction {
	p := Prediction{Settings: s}
	live := float64(f.LiveHeap)
	scan := f.ScanBytes()
	gogc := gogcGoal(s.GOGC, live, scan-live)
	limit := limitGoal(s.MemoryLimit, float64(f.NonHeap), live)
	goal := math.Min(gogc, limit)
	if math.IsInf(goal, 1) {
		p.Unbounded = true
		p.Goal, p.PeakHeap, p.PeakMemory = -1, -1, -1
		return p
	}
	p.LimitBinds = limit < gogc
	if g := float64(s.GOGC) / 100; !p.LimitBinds && s.GOGC > 0 {
		p.HeapMinimum = heapMinimum*g > max(live+scan*g, live+sweepMinHeapDistance)
	}

	overshoot := f.Overshoot
	if overshoot <= 0 {
		overshoot = 1
	}
	peak := goal * overshoot
	cpuPerCycle := f.MarkCPU.At(costScan) * (1 - f.IdleShare) // ns, idle excluded
	wallPerCycle := f.MarkWall.At(costScan)
	procs := float64(max(f.Procs, 1))

	var perSecond float64
	switch runway := peak - live; {
	case f.AllocRate <= 0:
	case runway > 0:
		perSecond = f.AllocRate / runway
	default:
		perSecond = math.Inf(1)
	}
	perSecond = withForced(perSecond, f.ForcedPerSecond)
	if s.GOGC >= 0 {
		perSecond = math.Max(perSecond, 1.0/forcedPeriodSeconds)
	}
	cpu := perSecond * cpuPerCycle / 1e9 / procs
	if cpu > limiterCap || math.IsInf(perSecond, 1) {
		if cpuPerCycle > 0 {
			p.LimiterEngaged = true
			cpu = limiterCap
			perSecond = limiterCap * procs * 1e9 / cpuPerCycle
		} else if wallPerCycle > 0 {
			perSecond, cpu = 1e9/wallPerCycle, 0
		}
		// The mutator allocates for a whole cycle period past the live heap
		// before the next cycle can start over.
		if math.IsInf(perSecond, 1) {
			// A hand-made fit with neither CPU nor time per cycle: say the
			// GC never stops rather than print an infinity.
			perSecond, p.BackToBack = 0, true
		} else {
			peak = math.Max(peak, live+f.AllocRate/perSecond)
		}
	}
	p.GCPerSecond = perSecond
	p.GCCPUFraction = cpu
	active := perSecond * wallPerCycle / 1e9
	p.BackToBack = p.BackToBack || active >= 1 || p.LimiterEngaged
	p.MarkActiveFraction = math.Min(active, 1)
	if p.LimiterEngaged {
		p.MarkActiveFraction = 1
	}
	p.Goal, p.PeakHeap = int64(goal), int64(peak)
	p.PeakMemory = p.PeakHeap + f.NonHeap
	switch runway := goal - live; {
	case f.AllocRate <= 0:
	case runway <= 0 || p.LimiterEngaged:
		p.MarkPressure = math.Inf(1)
	default:
		p.MarkPressure = f.AllocRate * wallPerCycle / 1e9 / runway
	}
	p.OverLimit = s.MemoryLimit >= 0 && p.PeakMemory > s.MemoryLimit
	return p
}

// withForced combines paced cycles (paced per second, were nothing else
// to run) with cycles the program forces at random (forced per second): a
// forced cycle restarts the heap's runway, so with forced arrivals as a
// Poisson process the cycles per second are forced/(1−exp(−forced/paced)).
func withForced(paced, forced float64) float64 {
	switch {
	case forced <= 0:
		return paced
	case paced <= 0:
		return forced
	case math.IsInf(paced, 1):
		return paced
	}
	return forced / -math.Expm1(-forced/paced)
}

// gridGOGC are the GOGC values Grid always tries; Off is added last.
var gridGOGC = []int{25, 50, 100, 200, 400, 800}

// gridBudgetShares are the memory limits Grid tries, as shares of the
// memory budget: from a roomy half down to the budget itself.
var gridBudgetShares = []float64{0.5, 0.7, 0.85, 0.95, 1}

// Grid predicts every combination of GOGC 25, 50, 100, 200, 400, 800, the
// observed GOGC and off, with no limit and with limits at 50, 70, 85, 95 and
// 100 % of budget (rounded down to a MiB; budget < 0 means none) and the
// observed limit. Limits that leave no room above the live heap and the
// runtime's other memory are skipped: no setting can meet them. Rows are
// ordered by GOGC (off last), then limit (none first).
func Grid(f Fit, budget int64, lat *LatencyModel) []Prediction {
	return GridAt(f, budget, 1, lat)
}

// GridAtRates is Grid at each of AllocRateFactors in turn: the settings at
// the observed allocation rate first, in Grid's order, then the same
// settings at half and at a quarter of it.
func GridAtRates(f Fit, budget int64, lat *LatencyModel) []Prediction {
	var out []Prediction
	for _, k := range AllocRateFactors {
		out = append(out, GridAt(f, budget, k, lat)...)
	}
	return out
}

// GridAt is Grid for the program allocating allocFactor times the observed
// rate (see PredictAt).
func GridAt(f Fit, budget int64, allocFactor float64, lat *LatencyModel) []Prediction {
	gogcs := slices.Clone(gridGOGC)
	if f.GOGC >= 0 && !slices.Contains(gogcs, f.GOGC) {
		gogcs = append(gogcs, f.GOGC)
		slices.Sort(gogcs)
	}
	gogcs = append(gogcs, Off)

	floor := f.LiveHeap + f.NonHeap
	var limits []int64
	if budget > 0 {
		for _, share := range gridBudgetShares {
			limits = append(limits, int64(share*float64(budget))&^(mib-1))
		}
	}
	if f.MemoryLimit >= 0 {
		limits = append(limits, f.MemoryLimit)
	}
	slices.Sort(limits)
	limits = slices.Compact(limits)
	limits = slices.DeleteFunc(limits, func(l int64) bool { return l <= floor })
	limits = append([]int64{NoLimit}, limits...)

	out := make([]Prediction, 0, len(gogcs)*len(limits))
	for _, g := range gogcs {
		for _, l := range limits {
			out = append(out, PredictAt(f, Settings{GOGC: g, MemoryLimit: l}, allocFactor, lat))
		}
	}
	return out
}
