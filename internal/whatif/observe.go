package whatif

import (
	"math"
	"slices"

	"github.com/gcwatch/gcwatch/internal/model"
)

const mib = 1 << 20

// observation is one complete cycle as the fit sees it: float64 bytes and
// nanoseconds, NaN where the input did not carry the value.
type observation struct {
	n         int
	start     float64 // ns on the run's clock
	forced    bool
	heapStart float64 // h0: heap in use when the cycle began
	heapEnd   float64 // h1: heap in use when marking finished: the cycle's peak
	heapLive  float64 // h2: marked heap
	goal      float64
	roots     float64 // stacks + globals, NaN when unknown
	truncated bool    // heap values are gctrace's whole MiB
	cpu       float64 // GC CPU excluding idle mark workers, ns
	idle      float64 // idle mark worker CPU, ns
	assist    float64 // mark assist CPU, ns (part of cpu)
	split     bool    // the input split marking into assist and background
	wall      float64 // sweep termination start to mark termination end, ns
	procs     int
	// prevHeapLive, prevRoots and prevStart describe the previous cycle
	// when it is cycle n-1 (NaN otherwise).
	prevHeapLive, prevRoots, prevStart float64
}

// observe turns the run's complete cycles into observations. Partial
// cycles (cut by the window) are left out: their numbers are incomplete.
func observe(run *model.Run) []observation {
	obs := make([]observation, 0, len(run.Cycles))
	for _, c := range run.Cycles {
		if c.Partial {
			continue
		}
		o := observation{
			n:         c.N,
			start:     float64(c.Start),
			forced:    c.Forced,
			heapStart: size(c.HeapStart),
			heapEnd:   size(c.HeapEnd),
			heapLive:  size(c.HeapLive),
			goal:      size(c.HeapGoal),
			roots:     math.NaN(),
			cpu: float64(c.CPU.SweepTermination + c.CPU.Assist + c.CPU.Background +
				c.CPU.MarkTermination),
			idle:         float64(c.CPU.Idle),
			assist:       float64(c.CPU.Assist),
			split:        c.CPU.Assist+c.CPU.Background+c.CPU.Dedicated+c.CPU.Fractional > 0,
			wall:         float64(c.End - c.Start),
			procs:        c.Procs,
			prevHeapLive: math.NaN(),
			prevRoots:    math.NaN(),
			prevStart:    math.NaN(),
		}
		if c.Stacks >= 0 && c.Globals >= 0 {
			o.roots = float64(c.Stacks + c.Globals)
		}
		if c.From != model.FromTrace && wholeMiB(c.HeapStart, c.HeapEnd, c.HeapLive, c.HeapGoal) {
			// gctrace prints heap sizes truncated to MiB: the middle of
			// the MiB is the unbiased estimate. The differences the
			// allocation rate is built from are unaffected. Roots are
			// left as printed: they are usually far below a MiB.
			o.truncated = true
			o.heapStart += mib / 2
			o.heapEnd += mib / 2
			o.heapLive += mib / 2
			o.goal += mib / 2
		}
		if k := len(obs); k > 0 && obs[k-1].n == c.N-1 {
			o.prevHeapLive, o.prevRoots, o.prevStart = obs[k-1].heapLive, obs[k-1].roots, obs[k-1].start
		}
		obs = append(obs, o)
	}
	return obs
}

func size(v int64) float64 {
	if v < 0 {
		return math.NaN()
	}
	return float64(v)
}

// wholeMiB reports whether every value is known and a whole number of MiB.
func wholeMiB(vs ...int64) bool {
	for _, v := range vs {
		if v < 0 || v%mib != 0 {
			return false
		}
	}
	return true
}

func known(v float64) bool { return !math.IsNaN(v) }

// steadyStart returns the index of the first cycle after the warm-up: the
// first whose marked heap reaches half the median. Cycles before it (a
// program loading its data) would bias the live heap and allocation rate
// of the service that follows.
func steadyStart(obs []observation) int {
	var lives []float64
	for _, o := range obs {
		if known(o.heapLive) {
			lives = append(lives, o.heapLive)
		}
	}
	if len(lives) == 0 {
		return 0
	}
	half := median(lives) / 2
	for i, o := range obs {
		if known(o.heapLive) && o.heapLive >= half {
			return i
		}
	}
	return 0
}

// median returns the median of vs (the mean of the middle two for an even
// count). It sorts a copy.
func median(vs []float64) float64 {
	if len(vs) == 0 {
		return math.NaN()
	}
	s := slices.Clone(vs)
	slices.Sort(s)
	m := len(s) / 2
	if len(s)%2 == 1 {
		return s[m]
	}
	return (s[m-1] + s[m]) / 2
}

func mean(vs []float64) float64 {
	if len(vs) == 0 {
		return math.NaN()
	}
	var sum float64
	for _, v := range vs {
		sum += v
	}
	return sum / float64(len(vs))
}

// modeProcs returns the most frequent GOMAXPROCS among the cycles (the
// larger on a tie), or 0 when none carried it.
func modeProcs(obs []observation) (procs int, varied bool) {
	count := map[int]int{}
	for _, o := range obs {
		if o.procs > 0 {
			count[o.procs]++
		}
	}
	for p, c := range count {
		if c > count[procs] || (c == count[procs] && p > procs) {
			procs = p
		}
	}
	return procs, len(count) > 1
}
