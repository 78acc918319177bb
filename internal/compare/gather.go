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
	// requestBlocks are, for each run, its requests cut into blocks of
	// consecutive requests (by start), each an index list into the sorted
	// requests: the units the bootstrap resamples.
	requestBlocks [][][]int32
	pauses        []float64 // GC pauses, ms
	toStop        []float64 // GC pauses' time to stop, ms (traces)
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
	var seqs []requestSeq
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
				g.tail = append(g.tail, latencyGC{l, a.GCTimes[k]})
			}
			seq, ordered := inStartOrder(res)
			perCycle := 0.0
			if res.GC.Cycles > 0 {
				perCycle = float64(len(seq)) / float64(res.GC.Cycles)
			}
			seqs = append(seqs, requestSeq{seq, ordered, perCycle})
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
	g.requests, g.requestBlocks = blocked(seqs)
	sortAll(g)
	return g
}

// requestSeq is one run's request latencies (ms), in the order they
// started when ordered is set; perCycle is the run's requests per GC
// cycle (0 when it had none).
type requestSeq struct {
	latencies []float64
	ordered   bool
	perCycle  float64
}

// inStartOrder returns the latencies (ms) of res's counted requests in the
// order they started. They are the requests of res.Attribution; when the
// requests behind it are not at hand, its own (slowest-first) order is all
// there is, and ordered is false.
func inStartOrder(res *analyze.Result) ([]float64, bool) {
	a := res.Attribution
	if res.Requests == nil || len(res.Counted) != len(a.Latencies) {
		out := make([]float64, len(a.Latencies))
		for i, l := range a.Latencies {
			out[i] = ms(l)
		}
		return out, false
	}
	idx := slices.Clone(res.Counted)
	slices.SortStableFunc(idx, func(x, y int32) int {
		return cmp.Compare(res.Requests.Start(int(x)), res.Requests.Start(int(y)))
	})
	out := make([]float64, len(idx))
	for i, k := range idx {
		out[i] = ms(res.Requests.Duration(int(k)))
	}
	return out, true
}

// blocked pools the runs' request sequences: it returns every latency
// sorted, and each run's sequence cut into blocks of consecutive requests,
// as indices into the sorted latencies. Requests close in time share a GC
// cycle, a queue and the machine's load; resampling blocks of them rather
// than single requests keeps that dependence in the bootstrap. A block
// spans √n requests (n the run's count) or two GC cycles' worth, whichever
// is more, but a run is cut into at least minBlocks blocks. A sequence not
// in start order is cut into blocks of one request: its neighbours are
// not its neighbours in time.
func blocked(seqs []requestSeq) ([]float64, [][][]int32) {
	type at struct {
		v   float64
		pos int32 // position in the concatenated sequences
	}
	var all []at
	for _, seq := range seqs {
		for _, v := range seq.latencies {
			all = append(all, at{v, int32(len(all))})
		}
	}
	slices.SortStableFunc(all, func(x, y at) int { return cmp.Compare(x.v, y.v) })
	sorted := make([]float64, len(all))
	rankOf := make([]int32, len(all))
	for i, a := range all {
		sorted[i], rankOf[a.pos] = a.v, int32(i)
	}
	var runs [][][]int32
	pos := int32(0)
	for _, seq := range seqs {
		var blocks [][]int32
		n := len(seq.latencies)
		size := max(1, int(math.Ceil(math.Sqrt(float64(n)))), int(math.Ceil(2*seq.perCycle)))
		size = min(size, max(1, int(math.Ceil(float64(n)/minBlocks))))
		if !seq.ordered {
			size = 1
		}
		for from := 0; from < n; from += size {
			to := min(n, from+size)
			blocks = append(blocks, rankOf[pos+int32(from):pos+int32(to)])
		}
		if len(blocks) > 0 {
			runs = append(runs, blocks)
		}
		pos += int32(n)
	}
	return sorted, runs
}

// sortAll puts g's samples in the order the statistics want.
func sortAll(g *gathered) {
	for _, v := range [][]float64{g.pauses, g.toStop, g.periods, g.cycleCPU, g.cycleAssist, g.live, g.peak} {
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
