package whatif

import (
	"errors"
	"fmt"
	"math"
	"time"

	"github.com/gcwatch/gcwatch/internal/model"
)

// Fit is the GC cost model fitted on one run's cycles. Sizes are bytes,
// rates per second of the run's clock.
type Fit struct {
	// AllocRate is the bytes allocated per second over the steady window.
	AllocRate float64
	// LiveHeap is the mean marked heap of the steady cycles (gctrace's
	// third heap number, the runtime's heapMarked; it includes what was
	// allocated while marking). LiveHeapMin and LiveHeapMax bound it.
	LiveHeap, LiveHeapMin, LiveHeapMax int64
	// MarkedWhileMarking is the mean of what the program allocated while
	// each steady cycle marked (gctrace's h1−h0): the runtime allocates
	// black during the mark phase, so these bytes are in the marked heap
	// although most are garbage by the next cycle. It scales with the
	// allocation rate: at a lower rate the marked heap is smaller by that
	// share of it (LiveHeapAt). 0 when no cycle carried both sizes.
	MarkedWhileMarking int64
	// Stacks and Globals are the mean scannable roots. RootsKnown is false
	// when no cycle carried them (gctrace before Go 1.18, traces): they
	// are then 0.
	Stacks, Globals int64
	RootsKnown      bool
	// RootsHidden is root memory gctrace's whole-MiB printing hid ("0 MB
	// stacks" may be 0.9 MiB), estimated from the goals when GOGC is known
	// and bounded by the truncation (under 1 MiB per root). It matters on
	// small heaps only; ScanBytes includes it.
	RootsHidden int64
	// NonHeap is the runtime memory outside heap objects that counts
	// against GOMEMLIMIT (span fragmentation, metadata, stacks).
	// NonHeapMeasured says it was measured from cycles whose goal a known
	// memory limit set; otherwise it is the stacks plus
	// defaultNonHeapShare of the live heap.
	NonHeap         int64
	NonHeapMeasured bool
	// MarkCPU is the GC CPU per cycle, idle mark workers included;
	// MarkWall is the time per cycle from the start of sweep termination to
	// the end of mark termination. Both are functions of the bytes scanned:
	// live heap plus roots.
	MarkCPU, MarkWall Linear
	// IdleShare is the share of MarkCPU that idle mark workers did. Their
	// time only used otherwise idle Ps, so it is not counted as GC CPU (as
	// in gctrace's P% and the GC guide).
	IdleShare float64
	// AssistShare is the share of the GC CPU (idle workers excluded) that
	// mark assists did: the mutator paying for marking the background
	// workers could not finish before the heap reached its goal. NaN when
	// no cycle split its mark CPU.
	AssistShare float64
	// ForcedPerSecond is the rate of cycles the program forced
	// (runtime.GC): they happen whatever the settings.
	ForcedPerSecond float64
	// Overshoot is the mean ratio of a cycle's peak heap (at mark
	// termination) to its goal, over cycles paced by GOGC.
	Overshoot float64
	// Procs is the GOMAXPROCS of most cycles.
	Procs int

	// GOGC is the setting in force: from the run, else from the user, else
	// inferred (rounded to a whole percent), else 100; GOGCSource says
	// which ("run", "user", "inferred", "default").
	GOGC       int
	GOGCSource string
	// GOGCInferred is GOGC estimated from each cycle's goal against the
	// previous cycle's marked heap and roots (the median over cycles), and
	// GOGCInferredLow/High the range the MiB truncation of gctrace allows.
	// All three are NaN when no cycle allowed an estimate.
	GOGCInferred, GOGCInferredLow, GOGCInferredHigh float64
	// MemoryLimit is the limit in force, or NoLimit; MemoryLimitSource is
	// "run", "user", "inferred" (from goals below GOGC's) or "" when none is
	// known.
	MemoryLimit       int64
	MemoryLimitSource string
	// LimitBoundCycles counts the cycles whose goal was below what GOGC
	// sets: the memory limit set it.
	LimitBoundCycles int

	// Window is the steady window (first to last steady cycle start);
	// Cycles the number of complete cycles the fit used and WarmupCycles
	// those left out at the start because the heap was still growing to
	// its working size.
	Window       time.Duration
	Cycles       int
	WarmupCycles int

	// Observed is what the run itself showed, for comparison with
	// Predict(fit, fit.Settings()).
	Observed Observed
	// Quality says how well the model reproduces each observed cycle.
	Quality FitQuality
	// Warnings name the assumptions the fit needed.
	Warnings []string
}

// Observed are the run's own GC frequency, CPU, GC activity and peak heap
// over the steady window.
type Observed struct {
	GCPerSecond        float64
	GCCPUFraction      float64 // GC CPU (idle workers excluded) / (Procs × window)
	MarkActiveFraction float64 // share of the window inside a cycle
	PeakHeap           int64   // mean heap at mark termination; Unknown without heap sizes
}

// FitQuality says how well the model reproduces the observed cycles.
type FitQuality struct {
	// CPUR2 is the R² of MarkCPU over the cycles (NaN when the CPU did not
	// vary) and CPUError the mean absolute relative error per cycle.
	CPUR2, CPUError float64
	// IntervalError is the mean absolute relative error of the predicted
	// time between consecutive cycle starts, each predicted from the
	// previous cycle's marked heap, the settings and the allocation rate;
	// over IntervalCycles pairs (NaN when there were none).
	IntervalError  float64
	IntervalCycles int
	// GCPerSecondError and GCCPUError are the relative errors,
	// (predicted−observed)/observed, of Predict under the observed
	// settings against Fit.Observed.
	GCPerSecondError, GCCPUError float64
}

// Settings returns the settings the run was observed under.
func (f Fit) Settings() Settings {
	return Settings{GOGC: f.GOGC, MemoryLimit: f.MemoryLimit}
}

// LiveHeapAt is the marked heap with the program allocating allocFactor
// times the observed rate: what it allocated while marking, marked black,
// scales with the rate; the rest is the data the program keeps.
func (f Fit) LiveHeapAt(allocFactor float64) int64 {
	if allocFactor == 1 || f.MarkedWhileMarking <= 0 {
		return f.LiveHeap
	}
	return f.LiveHeap - int64((1-allocFactor)*float64(f.MarkedWhileMarking))
}

// ScanBytes is the bytes a cycle scans: live heap plus roots.
func (f Fit) ScanBytes() float64 {
	return float64(f.LiveHeap + f.Stacks + f.Globals + f.RootsHidden)
}

// defaultNonHeapShare is the runtime memory outside heap objects assumed,
// as a share of the live heap, when no binding limit measured it: a few
// percent of metadata and span fragmentation is typical of Go heaps.
const defaultNonHeapShare = 0.05

// minCycles is the fewest complete cycles a fit needs: two intervals, so
// that one odd cycle cannot pass for a rate.
const minCycles = 3

// ErrTooFewCycles is returned (wrapped) when a run has too few complete
// cycles to fit.
var ErrTooFewCycles = errors.New("too few complete gc cycles to fit the cost model")

// FitRun fits the cost model on run's complete cycles. Settings shown by the
// run's inputs win over known (what the user said); either wins over
// inference.
func FitRun(run *model.Run, user Known) (Fit, error) {
	if run == nil {
		return Fit{}, errors.New("fit gc cost model: no run")
	}
	obs := observe(run)
	if len(obs) < minCycles {
		return Fit{}, fmt.Errorf("fit gc cost model: %d complete cycles, need %d: %w", len(obs), minCycles, ErrTooFewCycles)
	}
	var f Fit
	f.Procs, _ = modeProcs(obs)
	if f.Procs == 0 {
		f.Procs = run.GOMAXPROCS
	}
	if f.Procs <= 0 {
		return Fit{}, errors.New("fit gc cost model: GOMAXPROCS unknown")
	}
	if _, varied := modeProcs(obs); varied {
		f.warnf("GOMAXPROCS changed during the run; the model uses %d, the most common", f.Procs)
	}
	first := steadyStart(obs)
	steady := obs[first:]
	if len(steady) < minCycles {
		// The heap grew all along: use every cycle rather than none.
		first, steady = 0, obs
	}
	f.WarmupCycles = first
	f.Cycles = len(steady)
	span := steady[len(steady)-1].start - steady[0].start
	if span <= 0 {
		return Fit{}, errors.New("fit gc cost model: cycles do not advance in time")
	}
	f.Window = time.Duration(span)

	if err := f.fitHeap(run, steady); err != nil {
		return Fit{}, err
	}
	f.fitObserved(steady, span)
	f.fitSettings(run.GOGC, run.MemoryLimit, user, steady)
	if err := f.fitCost(obs); err != nil {
		return Fit{}, err
	}
	f.fitQuality(steady)
	return f, nil
}

func (f *Fit) warnf(format string, args ...any) {
	f.Warnings = append(f.Warnings, fmt.Sprintf(format, args...))
}

// rootsMissing says why a run's cycles carry no stack and global root
// sizes: only gctrace lines from Go 1.18 on print them.
func rootsMissing(run *model.Run) string {
	if !run.Fidelity.GCTrace {
		return "an execution trace does not record them; a GODEBUG=gctrace=1 log of the same process does"
	}
	return "gctrace lines before Go 1.18 do not show them"
}

// fitHeap measures the allocation rate, live heap and roots.
func (f *Fit) fitHeap(run *model.Run, steady []observation) error {
	rate, ok := allocRate(steady)
	if !ok {
		rate, ok = allocRateFromSamples(run.Heap, steady[0].start, steady[len(steady)-1].start)
		if ok {
			f.warnf("allocation rate from heap samples (cycles carried no heap sizes); samples are thinned, so it is a lower bound")
		}
	}
	if !ok {
		return errors.New("fit gc cost model: no heap sizes in the cycles or heap samples: cannot measure the allocation rate")
	}
	f.AllocRate = rate

	var lives, roots []float64
	for _, o := range steady {
		if known(o.heapLive) {
			lives = append(lives, o.heapLive)
		}
		if known(o.roots) {
			roots = append(roots, o.roots)
		}
	}
	if len(lives) == 0 {
		return errors.New("fit gc cost model: no cycle carries its marked (live) heap size")
	}
	f.LiveHeap = int64(mean(lives))
	var during []float64
	for _, o := range steady {
		if known(o.heapStart + o.heapEnd) {
			during = append(during, math.Max(0, o.heapEnd-o.heapStart))
		}
	}
	if len(during) > 0 {
		f.MarkedWhileMarking = min(int64(mean(during)), f.LiveHeap)
	}
	f.LiveHeapMin, f.LiveHeapMax = int64(minOf(lives)), int64(maxOf(lives))
	if third := len(lives) / 3; third >= 2 {
		early, late := mean(lives[:third]), mean(lives[len(lives)-third:])
		if late > 1.25*early || late < 0.8*early {
			f.warnf("live heap not steady: %d MiB in the first third of the cycles, %d MiB in the last; predictions use the mean, %d MiB",
				int64(early)>>20, int64(late)>>20, f.LiveHeap>>20)
		}
	}
	if len(roots) == 0 {
		f.warnf("stack and global roots unknown (%s): taken as 0", rootsMissing(run))
		return nil
	}
	f.RootsKnown = true
	var stacks, globals []float64
	for _, c := range run.Cycles {
		if !c.Partial && c.Stacks >= 0 && c.Globals >= 0 {
			stacks = append(stacks, float64(c.Stacks))
			globals = append(globals, float64(c.Globals))
		}
	}
	f.Stacks, f.Globals = int64(mean(stacks)), int64(mean(globals))
	return nil
}

// allocRate is the bytes allocated between consecutive cycle starts, over
// the time between them: during cycle i's mark the heap grows h1−h0 (nothing
// is freed while marking), and after it from the marked h2 to the next
// cycle's h0.
func allocRate(steady []observation) (float64, bool) {
	var bytes, ns float64
	for i := 1; i < len(steady); i++ {
		prev, o := steady[i-1], steady[i]
		if o.n != prev.n+1 || !known(prev.heapStart+prev.heapEnd+prev.heapLive+o.heapStart) {
			continue
		}
		bytes += (prev.heapEnd - prev.heapStart) + (o.heapStart - prev.heapLive)
		ns += o.start - prev.start
	}
	if ns <= 0 {
		return 0, false
	}
	return math.Max(bytes, 0) / ns * 1e9, true
}

// allocRateFromSamples sums the heap's rises between samples in [from, to].
func allocRateFromSamples(samples []model.HeapSample, from, to float64) (float64, bool) {
	var bytes float64
	var prev int64 = -1
	for _, s := range samples {
		if float64(s.At) < from || float64(s.At) > to || s.Live < 0 {
			continue
		}
		if prev >= 0 && s.Live > prev {
			bytes += float64(s.Live - prev)
		}
		prev = s.Live
	}
	if prev < 0 || to <= from {
		return 0, false
	}
	return bytes / (to - from) * 1e9, true
}

func minOf(vs []float64) float64 {
	m := math.Inf(1)
	for _, v := range vs {
		m = math.Min(m, v)
	}
	return m
}

func maxOf(vs []float64) float64 {
	m := math.Inf(-1)
	for _, v := range vs {
		m = math.Max(m, v)
	}
	return m
}
