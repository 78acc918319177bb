package compare

import (
	"cmp"
	"math"
	"slices"
	"time"

	"github.com/gcwatch/gcwatch/internal/analyze"
	"github.com/gcwatch/gcwatch/internal/model"
)

// gathered is a side's runs pooled: the samples the tests compare and the
// sums the rates are made of.
type gathered struct {
	name string
	// Samples, each ascending.
	requests []float64 // counted requests' latency, ms
	pauses   []float64 // GC pauses, ms
	toStop   []float64 // GC pauses' time to stop, ms (traces)
	// Per interval between the starts of consecutive complete cycles:
	// its length (s), the first cycle's GC CPU over it (a fraction of the
	// Ps), its mark-assist time per second (ms/s).
	periods, cycleCPU, cycleAssist []float64
	live, peak                     []float64 // per complete cycle, bytes
	// tail is every request's latency and GC-attributable part, slowest
	// first, for the GC share of the tail.
	tail []latencyGC

	window   float64 // s, summed
	cycles   int     // complete cycles
	cpuTime  float64 // GC CPU fraction × capacity, summed (s)
	capacity float64 // s
	cpuKnown bool
	assist   float64 // ms; NaN when a run did not measure it
	mmu      map[time.Duration]float64
	procs    []int // distinct GOMAXPROCS
	// latencySource is the runs' request source, "mixed" when they differ.
	latencySource string
}

type latencyGC struct{ latency, gc time.Duration }

// mmuWindows are the windows the MMU rows show.
var mmuWindows = []time.Duration{time.Millisecond, 10 * time.Millisecond, 100 * time.Millisecond}

func gather(s Side, name string) *gathered {
	g := &gathered{name: name, mmu: map[time.Duration]float64{}, cpuKnown: true}
	for _, w := range mmuWindows {
		g.mmu[w] = math.NaN()
	}
	mmuKnown := map[time.Duration]bool{}
	for _, r := range s.Runs {
		res := r.Result
		run := res.Run
		g.window += res.GC.Window.Seconds()
		g.cycles += res.GC.Cycles - res.GC.PartialCycles
		if !slices.Contains(g.procs, run.GOMAXPROCS) {
			g.procs = append(g.procs, run.GOMAXPROCS)
		}
		capacity := analyze.Capacity(run).Seconds()
		g.capacity += capacity
		g.cpuTime += res.GC.CPUFraction * capacity
		g.cpuKnown = g.cpuKnown && res.GC.CPUSource != ""
		if res.GC.MarkAssistTotal != nil {
			g.assist += ms(*res.GC.MarkAssistTotal)
		} else {
			g.assist = math.NaN()
		}
		src := res.Latency.Source
		if res.Latency.Requests == 0 {
			src = ""
		}
		switch {
		case g.latencySource == "":
			g.latencySource = src
		case src != "" && src != g.latencySource:
			g.latencySource = "mixed"
		}
		if a := res.Attribution; a != nil {
			for k, l := range a.Latencies {
				g.requests = append(g.requests, ms(l))
				g.tail = append(g.tail, latencyGC{l, a.GCTimes[k]})
			}
		}
		for _, p := range run.Pauses {
			if !p.IsGC() {
				continue
			}
			g.pauses = append(g.pauses, ms(p.Duration))
			if p.TimeToStop >= 0 && run.Fidelity.Trace {
				g.toStop = append(g.toStop, ms(p.TimeToStop))
			}
		}
		g.addCycles(run)
		if res.MMU != nil {
			for _, pt := range res.MMU.Points {
				if _, ok := g.mmu[pt.Window]; ok {
					if !mmuKnown[pt.Window] || pt.MMU < g.mmu[pt.Window] {
						g.mmu[pt.Window] = pt.MMU // the minimum over the runs
					}
					mmuKnown[pt.Window] = true
				}
			}
		}
	}
	sortAll(g)
	return g
}

// sortAll puts g's samples in the order the statistics want.
func sortAll(g *gathered) {
	for _, v := range [][]float64{g.requests, g.pauses, g.toStop, g.periods, g.cycleCPU, g.cycleAssist, g.live, g.peak} {
		slices.Sort(v)
	}
	slices.SortStableFunc(g.tail, func(a, b latencyGC) int { return cmp.Compare(b.latency, a.latency) })
}

// addCycles adds the per-cycle samples of run's complete cycles.
func (g *gathered) addCycles(run *model.Run) {
	var complete []model.Cycle
	for _, c := range run.Cycles {
		if !c.Partial {
			complete = append(complete, c)
		}
	}
	for i, c := range complete {
		if c.HeapLive >= 0 {
			g.live = append(g.live, float64(c.HeapLive))
		}
		if c.HeapEnd >= 0 {
			g.peak = append(g.peak, float64(c.HeapEnd))
		}
		if i+1 == len(complete) {
			break
		}
		period := complete[i+1].Start.Sub(c.Start)
		if period <= 0 {
			continue
		}
		g.periods = append(g.periods, period.Seconds())
		procs := c.Procs
		if procs <= 0 {
			procs = run.GOMAXPROCS
		}
		cpu := c.CPU.SweepTermination + c.CPU.Assist + c.CPU.Background + c.CPU.MarkTermination
		if procs > 0 && cpu > 0 {
			g.cycleCPU = append(g.cycleCPU, cpu.Seconds()/(float64(procs)*period.Seconds()))
		}
		if run.Fidelity.Trace {
			g.cycleAssist = append(g.cycleAssist, ms(c.CPU.Assist)/period.Seconds())
		}
	}
}

// tailShare is the GC-attributable share of the slowest 1 % of
// requests' time, as analyze counts the tail: the ceil(0.01·n) slowest.
func tailShare(tail []latencyGC) float64 {
	n := len(tail)
	if n == 0 {
		return math.NaN()
	}
	k := max(1, min(n, int(math.Ceil(0.01*float64(n)-1e-9))))
	var lat, gc time.Duration
	for _, t := range tail[:k] {
		lat += t.latency
		gc += t.gc
	}
	if lat <= 0 {
		return math.NaN()
	}
	return float64(gc) / float64(lat)
}
