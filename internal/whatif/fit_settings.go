package whatif

import (
	"errors"
	"math"
)

// fitCost fits the GC CPU and wall time per cycle against the bytes
// scanned, over every complete cycle (warm-up included: its smaller heaps
// help separate the fixed cost from the per-byte one). The CPU fitted is
// all of the mark work, idle workers included: how much of it idle workers
// pick up varies from cycle to cycle with how busy the Ps are, but the sum
// follows the heap; IdleShare then takes the idle part back out.
func (f *Fit) fitCost(obs []observation) error {
	var x, cpu, wall []float64
	var idle, total float64
	for _, o := range obs {
		if o.cpu+o.idle <= 0 || !known(o.heapLive) {
			continue
		}
		scan := o.heapLive
		if known(o.roots) {
			scan += o.roots
		}
		if o.truncated {
			scan += float64(f.RootsHidden)
		}
		x = append(x, scan)
		cpu = append(cpu, o.cpu+o.idle)
		wall = append(wall, o.wall)
		idle += o.idle
		total += o.cpu + o.idle
	}
	if len(x) == 0 {
		return errors.New("fit gc cost model: no cycle carries both its gc cpu time and its live heap")
	}
	f.MarkCPU = fitLinear(x, cpu)
	f.MarkWall = fitLinear(x, wall)
	f.IdleShare = idle / total
	f.Quality.CPUR2 = rSquared(f.MarkCPU, x, cpu)
	predicted := make([]float64, len(x))
	for i := range x {
		predicted[i] = f.MarkCPU.At(x[i])
	}
	f.Quality.CPUError = meanAbsPctError(predicted, cpu)
	return nil
}

// fitObserved records the run's own frequency, CPU and activity over the
// steady window [first start, last start): every cycle but the last lies in
// it.
func (f *Fit) fitObserved(steady []observation, span float64) {
	k := len(steady) - 1
	var cpu, wall float64
	var forced int
	for _, o := range steady[:k] {
		cpu += o.cpu
		wall += o.wall
		if o.forced {
			forced++
		}
	}
	f.ForcedPerSecond = float64(forced) / span * 1e9
	f.AssistShare = assistShare(steady)
	f.Observed.GCPerSecond = float64(k) / span * 1e9
	f.Observed.GCCPUFraction = cpu / (float64(f.Procs) * span)
	f.Observed.MarkActiveFraction = math.Min(1, wall/span)
	var peaks []float64
	for _, o := range steady {
		if known(o.heapEnd) {
			peaks = append(peaks, o.heapEnd)
		}
	}
	f.Observed.PeakHeap = -1
	if len(peaks) > 0 {
		f.Observed.PeakHeap = int64(mean(peaks))
	}
}

// assistShare is the assists' share of the GC CPU over the cycles that
// split their mark CPU, or NaN when none did.
func assistShare(steady []observation) float64 {
	var assist, cpu float64
	for _, o := range steady {
		if o.split {
			assist += o.assist
			cpu += o.cpu
		}
	}
	if cpu <= 0 {
		return math.NaN()
	}
	return assist / cpu
}

// goalEstimate is one cycle's evidence about the settings: its goal and
// the marked heap and roots of the cycle before it, from which the runtime
// computed that goal.
type goalEstimate struct {
	index                int // into steady
	goal, live, roots    float64
	gogc, gogcLo, gogcHi float64
	truncated            bool
}

// goalEstimates collects the cycles whose goal can be compared with the
// previous cycle's heap: not forced, previous cycle known, goal above the
// region where the heap minimum may have set it.
func goalEstimates(steady []observation) []goalEstimate {
	var out []goalEstimate
	for i, o := range steady {
		if o.forced || !known(o.goal) || !known(o.prevHeapLive) || o.goal <= heapMinimum+mib {
			continue
		}
		roots := 0.0
		if known(o.prevRoots) {
			roots = o.prevRoots
		}
		e := goalEstimate{index: i, goal: o.goal, live: o.prevHeapLive, roots: roots, truncated: o.truncated}
		e.gogc = 100 * (o.goal - o.prevHeapLive) / (o.prevHeapLive + roots)
		e.gogcLo, e.gogcHi = e.gogc, e.gogc
		if o.truncated {
			// Undo the mid-MiB correction to get the printed values, then
			// take the extremes the truncation allows (two roots, each
			// truncated).
			g, l := o.goal-mib/2, o.prevHeapLive-mib/2
			e.gogcLo = 100 * (g - (l + mib)) / (l + mib + roots + 2*mib)
			if l+roots > 0 {
				e.gogcHi = 100 * (g + mib - l) / (l + roots)
			} else {
				e.gogcHi = math.Inf(1)
			}
		}
		out = append(out, e)
	}
	return out
}

// fitSettings settles GOGC and the memory limit: given ones first, then
// inferred from the goals; flags cycles whose goal the limit set; measures
// the memory outside the heap and the pacer's overshoot.
func (f *Fit) fitSettings(runGOGC *int, runLimit *int64, user Known, steady []observation) {
	f.GOGCInferred, f.GOGCInferredLow, f.GOGCInferredHigh = math.NaN(), math.NaN(), math.NaN()
	estimates := goalEstimates(steady)
	if len(estimates) > 0 {
		var est, lo, hi []float64
		for _, e := range estimates {
			est, lo, hi = append(est, e.gogc), append(lo, e.gogcLo), append(hi, e.gogcHi)
		}
		f.GOGCInferred, f.GOGCInferredLow, f.GOGCInferredHigh = median(est), median(lo), median(hi)
	}
	f.MemoryLimit = NoLimit
	switch {
	case runLimit != nil:
		f.MemoryLimit, f.MemoryLimitSource = max(*runLimit, NoLimit), "run"
	case user.MemoryLimit != nil:
		f.MemoryLimit, f.MemoryLimitSource = max(*user.MemoryLimit, NoLimit), "user"
	}
	switch {
	case runGOGC != nil:
		f.GOGC, f.GOGCSource = max(*runGOGC, Off), "run"
	case user.GOGC != nil:
		f.GOGC, f.GOGCSource = max(*user.GOGC, Off), "user"
	case known(f.GOGCInferred):
		f.GOGC, f.GOGCSource = int(math.Round(math.Max(f.GOGCInferred, 0))), "inferred"
		switch {
		case f.MemoryLimit >= 0:
			f.warnf("GOGC inferred as %d while a memory limit is set: if the limit set the goals, GOGC is higher; pass --gogc", f.GOGC)
		case f.GOGC <= lowInferredGOGC:
			f.warnf("GOGC inferred as %d: the heap goals stay near the live heap, as they also do under a GOMEMLIMIT just above it; "+
				"if a limit is set, pass --memlimit and --gogc, or the advice treats the process as running at GOGC=%d", f.GOGC, f.GOGC)
		}
	default:
		f.GOGC, f.GOGCSource = 100, "default"
		f.warnf("GOGC unknown and not inferable from the cycles: assumed 100")
	}

	bound := f.limitBound(estimates)
	f.fitNonHeap(estimates, bound)
	f.fitHiddenRoots(estimates, bound)
	if f.GOGCSource != "inferred" && known(f.GOGCInferred) && f.GOGC >= 0 &&
		2*f.LimitBoundCycles < len(estimates) {
		g := float64(f.GOGC)
		if g < 0.9*f.GOGCInferredLow || g > 1.1*f.GOGCInferredHigh {
			f.warnf("GOGC given as %d but the cycles' goals suggest %.0f (%.0f–%.0f with gctrace's MiB truncation)",
				f.GOGC, f.GOGCInferred, f.GOGCInferredLow, f.GOGCInferredHigh)
		}
	}
	f.fitOvershoot(steady, estimates, bound)
}

// lowInferredGOGC is the inferred GOGC at or below which the goals may as
// well have been a memory limit's.
const lowInferredGOGC = 25

// limitBound marks the estimates whose goal was well below what GOGC sets:
// a memory limit set those goals. With GOGC off every goal is the limit's.
// An inferred GOGC cannot tell (it was inferred from those very goals).
func (f *Fit) limitBound(estimates []goalEstimate) []bool {
	bound := make([]bool, len(estimates))
	if f.GOGCSource == "inferred" {
		return bound
	}
	for i, e := range estimates {
		gg := gogcGoal(f.GOGC, e.live, e.roots)
		// Slack: the pacer's own rounding, and gctrace's truncation.
		slack := 0.1*(gg-e.live) + 1.5*mib
		bound[i] = e.goal < gg-slack
		if bound[i] {
			f.LimitBoundCycles++
		}
	}
	return bound
}

// fitHiddenRoots estimates the roots gctrace's truncation hid, from the
// goals GOGC set: roots = (goal − live)·100/GOGC − live, less the printed
// roots, kept within what the truncation can hide (two roots, under a MiB
// each). Only a GOGC that was given, not inferred, can tell.
func (f *Fit) fitHiddenRoots(estimates []goalEstimate, bound []bool) {
	if f.GOGCSource == "inferred" || f.GOGC <= 0 {
		return
	}
	var hidden []float64
	for i, e := range estimates {
		if bound[i] || !e.truncated {
			continue
		}
		hidden = append(hidden, (e.goal-e.live)*100/float64(f.GOGC)-e.live-e.roots)
	}
	if len(hidden) > 0 {
		f.RootsHidden = int64(min(max(median(hidden), 0), 2*mib-1))
	}
}

// fitNonHeap measures the memory outside heap objects from goals a known
// limit set, or infers a limit when goals were set by an unknown one.
func (f *Fit) fitNonHeap(estimates []goalEstimate, bound []bool) {
	f.NonHeap = f.Stacks + int64(defaultNonHeapShare*float64(f.LiveHeap))
	var goals []float64
	for i, e := range estimates {
		if bound[i] {
			goals = append(goals, e.goal)
		}
	}
	if len(goals) == 0 {
		return
	}
	if f.MemoryLimit >= 0 {
		nonHeap := nonHeapFromLimitGoal(f.MemoryLimit, median(goals))
		f.NonHeap = int64(math.Min(math.Max(nonHeap, 0), float64(f.MemoryLimit)))
		f.NonHeapMeasured = true
		return
	}
	if 2*len(goals) >= len(estimates) {
		g := median(goals)
		f.MemoryLimit = int64(g/(1-limitHeadroomPercent/100.0)) + f.NonHeap
		f.MemoryLimitSource = "inferred"
		f.warnf("%d of %d cycles had goals below what GOGC=%d sets: a memory limit near %d MiB seems to bind; pass --memlimit",
			len(goals), len(estimates), f.GOGC, f.MemoryLimit>>20)
	} else {
		f.warnf("%d of %d cycles had goals below what GOGC=%d sets", len(goals), len(estimates), f.GOGC)
	}
}

// fitOvershoot is the mean peak/goal over cycles GOGC paced.
func (f *Fit) fitOvershoot(steady []observation, estimates []goalEstimate, bound []bool) {
	skip := make([]bool, len(steady))
	for i, e := range estimates {
		skip[e.index] = bound[i]
	}
	var ratios []float64
	for i, o := range steady {
		if !o.forced && !skip[i] && known(o.heapEnd) && known(o.goal) && o.goal > 0 {
			ratios = append(ratios, o.heapEnd/o.goal)
		}
	}
	f.Overshoot = 1
	if len(ratios) > 0 {
		f.Overshoot = mean(ratios)
	}
}

// fitQuality predicts, from each steady cycle's predecessor, the time from
// the predecessor's start to the cycle's start, and compares the model's
// frequency and CPU under the observed settings with what the run showed.
func (f *Fit) fitQuality(steady []observation) {
	var predicted, observed []float64
	for _, o := range steady {
		if o.forced || !known(o.prevHeapLive) || f.AllocRate <= 0 {
			continue
		}
		roots := 0.0
		if known(o.prevRoots) {
			roots = o.prevRoots
		}
		if o.truncated {
			roots += float64(f.RootsHidden)
		}
		goal := math.Min(gogcGoal(f.GOGC, o.prevHeapLive, roots),
			limitGoal(f.MemoryLimit, float64(f.NonHeap), o.prevHeapLive))
		// Between two starts the program allocates what the previous
		// cycle allocated while marking plus the runway to the next
		// start; in a steady state that is the next peak minus the
		// previous marked heap.
		runway := goal*f.Overshoot - o.prevHeapLive
		if math.IsInf(goal, 1) || runway <= 0 {
			continue
		}
		predicted = append(predicted, runway/f.AllocRate*1e9)
		observed = append(observed, o.start-o.prevStart)
	}
	f.Quality.IntervalCycles = len(observed)
	f.Quality.IntervalError = meanAbsPctError(predicted, observed)

	self := predictHeapAndCPU(*f, f.Settings(), f.ScanBytes())
	f.Quality.GCPerSecondError = relError(self.GCPerSecond, f.Observed.GCPerSecond)
	f.Quality.GCCPUError = relError(self.GCCPUFraction, f.Observed.GCCPUFraction)
}

// relError is (predicted−observed)/observed, NaN when observed is 0.
func relError(predicted, observed float64) float64 {
	if observed == 0 {
		return math.NaN()
	}
	return (predicted - observed) / observed
}
