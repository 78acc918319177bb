package analyze

import (
	"cmp"
	"math"
	"slices"
	"sort"
	"time"

	"github.com/gcwatch/gcwatch/internal/model"
)

// Breakdown splits one request's latency by cause. STW overlaps are wall
// time; Assist, Sweep and the runnable figures are summed over the
// request's goroutines, as ingest measured them.
type Breakdown struct {
	SweepTermination time.Duration // overlap with GC sweep-termination pauses
	MarkTermination  time.Duration // overlap with GC mark-termination pauses
	NonGCSTW         time.Duration // overlap with non-GC stop-the-world pauses
	Assist           time.Duration // its own mark assists, executing
	// RunnableDuringMark is the time its goroutines were runnable but not
	// running while the GC was marking; RunnableGC is the part of it above
	// what the same request was runnable outside marking, at the same rate
	// — the delay GC workers holding Ps added.
	RunnableDuringMark time.Duration
	RunnableGC         time.Duration
	Sweep              time.Duration // incremental sweeping its goroutines did
	// Other is the rest of the latency: running its own code, runnable
	// outside GC, blocked, in syscalls.
	Other time.Duration
	// Running, Runnable, Blocked and Syscall are the request's own state
	// totals, for saying what a tail is made of when GC is not the cause.
	Running, Runnable, Blocked, Syscall time.Duration
	// Accounted says whether per-goroutine figures were measured (tasks);
	// for log requests only the STW overlaps are known.
	Accounted bool
}

// GC is the GC-attributable part of the request's latency, capped at the
// latency itself.
func (b Breakdown) GC(latency time.Duration) time.Duration {
	return min(latency, b.SweepTermination+b.MarkTermination+b.Assist+b.RunnableGC+b.Sweep)
}

// RequestAttribution is one request with its breakdown.
type RequestAttribution struct {
	Request   model.Request
	Latency   time.Duration
	Breakdown Breakdown
	// Cycles are the GC cycles (runtime numbers) the request overlapped, and
	// Phases the GC phases it overlapped.
	Cycles []int
	Phases []string
}

// Tail summarises the slowest requests.
type Tail struct {
	// Quantile is 0.99 or 0.999; Requests is ceil((1−Quantile)·N).
	Quantile float64
	Requests int
	// GCShare is the GC-attributable fraction of the tail's total latency,
	// and GCShareSE its standard error: how far the share of another
	// capture of the same service under the same load would typically
	// be (see shareSE).
	GCShare   float64
	GCShareSE float64
	// STWOverlapFraction is the fraction of tail requests that overlapped
	// a GC stop-the-world pause.
	STWOverlapFraction float64
	// WithoutGC is the quantile recomputed over all requests with each
	// one's GC-attributable time removed.
	Observed  time.Duration
	WithoutGC time.Duration
	// Mean breakdown of the tail (sums over its requests).
	Sum Breakdown
	// Latency is the tail's total latency.
	Latency time.Duration
}

// Spike is a time window whose slowest requests stand out, with the GC
// activity they overlapped.
type Spike struct {
	Start, End model.Time
	Requests   int
	P99, Max   time.Duration
	// GCShare is the GC-attributable fraction of the latency of the
	// window's tail requests.
	GCShare float64
	Cycles  []int
	Phases  []string
}

// Attribution is the answer to "how much of the tail is GC?".
type Attribution struct {
	Requests int
	Tail99   Tail
	Tail999  Tail
	Worst    []RequestAttribution
	Spikes   []Spike
	// WindowSize is the width of the windows spikes are looked for in.
	WindowSize time.Duration
	// Accounted says whether the requests carried per-goroutine timings.
	Accounted bool
	// STWOverlap is the summed overlap of every attributed request with
	// GC stop-the-world pauses (sweep and mark termination).
	STWOverlap time.Duration
	// Latencies and GCTimes are every request's latency and its
	// GC-attributable part, slowest first, and Met whether it overlapped a
	// GC cycle (a pause or the mark phase): the what-if model's input.
	Latencies, GCTimes []time.Duration
	Met                []bool
	// MetCycle is, in the same order, the index in the run's Cycles of the
	// last GC cycle the request overlapped (its pauses or its mark phase),
	// or -1: the what-if model weighs what meeting a cycle cost by how hard
	// that cycle pressed the mutator.
	MetCycle []int32
}

// gcIntervals indexes a run's pauses and mark phases for overlap queries.
type gcIntervals struct {
	pauses []model.Pause // sorted by start
	marks  []markSpan    // sorted by start
	cycles []model.Cycle
	maxLen time.Duration // longest pause, to bound searches
	// index maps a cycle's runtime number to its index in cycles.
	index map[int]int32
}

type markSpan struct {
	start, end model.Time
	cycle      int // index into cycles
}

func newGCIntervals(run *model.Run) *gcIntervals {
	iv := &gcIntervals{pauses: slices.Clone(run.Pauses), cycles: run.Cycles, index: make(map[int]int32, len(run.Cycles))}
	for i, c := range run.Cycles {
		iv.index[c.N] = int32(i)
	}
	slices.SortFunc(iv.pauses, func(a, b model.Pause) int { return cmp.Compare(a.Start, b.Start) })
	for _, p := range iv.pauses {
		iv.maxLen = max(iv.maxLen, p.Duration)
	}
	for i, c := range run.Cycles {
		s := c.SweepTerminationAt.Add(c.SweepTermination)
		if c.Mark > 0 {
			iv.marks = append(iv.marks, markSpan{start: s, end: s.Add(c.Mark), cycle: i})
		}
	}
	slices.SortFunc(iv.marks, func(a, b markSpan) int { return cmp.Compare(a.start, b.start) })
	return iv
}

func overlap(s1, e1, s2, e2 model.Time) time.Duration {
	s, e := max(s1, s2), min(e1, e2)
	if e <= s {
		return 0
	}
	return e.Sub(s)
}

// GC phases a request can overlap, as bits; phaseNames is their order in
// RequestAttribution.Phases.
const (
	phaseSweepTermination uint8 = 1 << iota
	phaseMark
	phaseAssist
	phaseMarkTermination
)

var phaseNames = [...]string{"sweep-termination", "mark", "assist", "mark-termination"}

func phaseList(bits uint8) []string {
	var out []string
	for i, name := range phaseNames {
		if bits&(1<<i) != 0 {
			out = append(out, name)
		}
	}
	return out
}

// breakdown computes r's breakdown and the GC phases it overlapped, and
// appends the runtime numbers of the cycles it overlapped (possibly
// repeated) to cycles. It allocates nothing when cycles has room, since
// it runs once per request.
func (iv *gcIntervals) breakdown(r *model.Request, cycles []int) (Breakdown, uint8, []int) {
	var b Breakdown
	var phases uint8
	latency := r.Duration()
	// Pauses that can overlap [Start, End] start after Start − maxLen.
	from := r.Start.Add(-iv.maxLen)
	i := sort.Search(len(iv.pauses), func(i int) bool { return iv.pauses[i].Start >= from })
	var stw time.Duration
	for ; i < len(iv.pauses) && iv.pauses[i].Start < r.End; i++ {
		p := &iv.pauses[i]
		o := overlap(r.Start, r.End, p.Start, p.End())
		if o <= 0 {
			continue
		}
		stw += o
		switch p.Kind {
		case model.PauseSweepTermination:
			b.SweepTermination += o
			phases |= phaseSweepTermination
		case model.PauseMarkTermination:
			b.MarkTermination += o
			phases |= phaseMarkTermination
		default:
			b.NonGCSTW += o
		}
		if p.IsGC() && p.Cycle >= 0 && p.Cycle < len(iv.cycles) {
			cycles = append(cycles, iv.cycles[p.Cycle].N)
		}
	}
	var marking time.Duration
	j := sort.Search(len(iv.marks), func(j int) bool { return iv.marks[j].end > r.Start })
	for ; j < len(iv.marks) && iv.marks[j].start < r.End; j++ {
		m := iv.marks[j]
		if o := overlap(r.Start, r.End, m.start, m.end); o > 0 {
			marking += o
			phases |= phaseMark
			cycles = append(cycles, iv.cycles[m.cycle].N)
		}
	}
	if r.Accounted {
		b.Accounted = true
		b.Assist, b.Sweep, b.RunnableDuringMark = r.Assist, r.Sweep, r.RunnableDuringMark
		b.Running, b.Runnable, b.Blocked, b.Syscall = r.Running, r.Runnable, r.Blocked, r.Syscall
		// Without the GC, the request would still have been runnable
		// during those mark-phase moments at the rate it was runnable
		// outside them; only the excess is the GC's.
		outside := latency - marking - stw
		var expected time.Duration
		if outside > 0 {
			expected = time.Duration(float64(r.Runnable-r.RunnableDuringMark) * float64(marking) / float64(outside))
		}
		b.RunnableGC = max(0, r.RunnableDuringMark-expected)
		if b.Assist > 0 {
			phases |= phaseAssist
		}
	}
	b.Other = max(0, latency-b.GC(latency)-b.NonGCSTW)
	return b, phases, cycles
}

// lastCycle is the index in the run's cycles of the latest of the cycles
// (runtime numbers) a request overlapped, or -1 when it overlapped none.
func (iv *gcIntervals) lastCycle(numbers []int) int32 {
	last := int32(-1)
	for _, n := range numbers {
		if i, ok := iv.index[n]; ok && i > last {
			last = i
		}
	}
	return last
}

// attribute computes one request's breakdown with the cycles and phases
// it overlapped.
func (iv *gcIntervals) attribute(r model.Request) RequestAttribution {
	b, phases, cycles := iv.breakdown(&r, nil)
	slices.Sort(cycles)
	return RequestAttribution{Request: r, Latency: r.Duration(), Breakdown: b,
		Cycles: slices.Compact(cycles), Phases: phaseList(phases)}
}

// ranked is what the whole-population statistics need of one request,
// small so that a million of them sort quickly; the full attribution is
// made again only for the few slowest. It takes 16 bytes, not the 24 of
// two durations, an index and a flag: the GC-attributable time, which is
// well under 2 s but for the odd request, shares 32 bits with the flag
// (rankedGC), the largest array of a request-dense trace's analysis.
type ranked struct {
	latency time.Duration
	index   int32 // in the requests given to attribute
	gc      rankedGC
}

// rankedGC is a request's GC-attributable time in nanoseconds, below
// gcWide, with metBit when it overlapped a GC cycle or lost time to the
// GC. A time that does not fit is gcWide, the time in wideGC by index.
type rankedGC uint32

const (
	metBit rankedGC = 1 << 31
	gcWide rankedGC = metBit - 1
)

// wideGC holds the GC times that do not fit a rankedGC, by request index.
type wideGC map[int32]time.Duration

// rank makes the ranked entry of request index with latency lat, GC time
// gc, and met, noting gc in wide when it does not fit.
func (wide *wideGC) rank(lat, gc time.Duration, index int32, met bool) ranked {
	r := ranked{latency: lat, index: index, gc: rankedGC(gc)}
	if gc < 0 || gc >= time.Duration(gcWide) {
		if *wide == nil {
			*wide = wideGC{}
		}
		(*wide)[index] = gc
		r.gc = gcWide
	}
	if met {
		r.gc |= metBit
	}
	return r
}

// gcTime is r's GC-attributable time.
func (wide wideGC) gcTime(r ranked) time.Duration {
	if g := r.gc &^ metBit; g != gcWide {
		return time.Duration(g)
	}
	return wide[r.index]
}

// met reports whether r overlapped a GC cycle or lost time to the GC.
func (r ranked) met() bool { return r.gc&metBit != 0 }

// slower returns the order slowest first; ties by start, then by input
// order, which is the order a stable sort by latency and start would give.
func slower(reqs *model.Requests) func(x, y ranked) int {
	return func(x, y ranked) int {
		if c := cmp.Compare(y.latency, x.latency); c != 0 {
			return c
		}
		return cmp.Or(cmp.Compare(reqs.Start(int(x.index)), reqs.Start(int(y.index))), cmp.Compare(x.index, y.index))
	}
}

// Attribute splits every request's latency by cause and summarises the
// tail. worst is how many of the slowest requests to list. Open requests
// are left out.
func Attribute(run *model.Run, reqs *model.Requests, worst int) *Attribution {
	sel := make([]int32, 0, reqs.Len())
	for i := range reqs.Len() {
		if !reqs.Open(i) {
			sel = append(sel, int32(i))
		}
	}
	return attributeSelected(run, reqs, sel, worst)
}

// attributeSelected is Attribute over the requests reqs[i] for i in sel
// (none of them open).
func attributeSelected(run *model.Run, reqs *model.Requests, sel []int32, worst int) *Attribution {
	a := &Attribution{Requests: len(sel)}
	if len(sel) == 0 {
		return a
	}
	iv := newGCIntervals(run)
	all := make([]ranked, len(sel))
	// The last cycle each request overlapped, by its index in reqs: kept
	// beside the ranking, which it would grow from 16 to 24 bytes.
	cycleOf := make([]int32, reqs.Len())
	var wide wideGC
	var cycles []int
	for k, i := range sel {
		r := reqs.At(int(i))
		var b Breakdown
		b, _, cycles = iv.breakdown(&r, cycles[:0])
		lat := r.Duration()
		gc := b.GC(lat)
		a.STWOverlap += b.SweepTermination + b.MarkTermination
		all[k] = wide.rank(lat, gc, i, len(cycles) > 0 || gc > 0)
		cycleOf[i] = iv.lastCycle(cycles)
	}
	a.Accounted = reqs.At(int(sel[0])).Accounted
	sortSlowest(all, reqs)
	// Only the tail and the listed requests need their full attribution.
	n := len(all)
	k99 := tailSize(n, 0.99)
	slowest := make([]RequestAttribution, max(k99, min(worst, n)))
	for i := range slowest {
		slowest[i] = iv.attribute(reqs.At(int(all[i].index)))
	}
	a.Spikes, a.WindowSize = spikes(run, reqs, all, slowest[:k99])
	// From here on the ranking is needed only as these columns: all, the
	// analysis's largest array, is not used again and the GC may take it
	// before the latencies without GC are worked out (it and that sorted
	// copy were alive together before: 8 of the ~60 bytes a request the
	// analysis held at its peak on a request-dense trace).
	a.Latencies = make([]time.Duration, n)
	a.GCTimes = make([]time.Duration, n)
	a.Met = make([]bool, n)
	a.MetCycle = make([]int32, n)
	for i, r := range all {
		a.Latencies[i], a.GCTimes[i], a.Met[i], a.MetCycle[i] = r.latency, wide.gcTime(r), r.met(), cycleOf[r.index]
	}
	without := withoutGC(a.Latencies, a.GCTimes)
	a.Tail99 = tail(slowest, a.Latencies, without, 0.99)
	a.Tail999 = tail(slowest, a.Latencies, without, 0.999)
	a.Worst = slowest[:min(worst, n):min(worst, n)]
	return a
}

// tailSize is ceil((1−q)·n), at least 1 and at most n.
func tailSize(n int, q float64) int {
	k := int(math.Ceil((1-q)*float64(n) - 1e-9))
	return max(1, min(k, n))
}

// withoutGC returns every latency without its GC-attributable part,
// sorted ascending.
func withoutGC(latencies, gcTimes []time.Duration) []time.Duration {
	without := make([]time.Duration, len(latencies))
	for i, l := range latencies {
		without[i] = l - gcTimes[i]
	}
	SortDurations(without)
	return without
}

// shareSE is the standard error of a tail's GC share R = Σgc/Σlatency
// from one capture, as another capture of the same service under the same
// load would see it. The GC time in the tail comes in clusters: the
// requests that overlapped one GC cycle share its luck (how long it
// paused and marked, what ran beside it, whether it fell on a burst of
// slow requests at all), and how many cycles land on the slowest requests
// is itself a count of chance events. Taking those arrivals as Poisson,
// the variance of the tail's GC time is the sum of the squared GC time
// each cycle brought (a compound Poisson sum), so SE = sqrt(Σ_c G_c²) /
// Σ latency, with G_c the GC time of the tail requests whose first
// overlapped cycle is c (a request that lost time to the GC without
// overlapping a cycle is a cluster of its own). A share one cycle brought
// has an error as large as itself; one spread evenly over k cycles,
// share/√k. (Treating requests as independent instead would call a share
// certain when one cycle stalled a burst of requests alike.)
func shareSE(tail []RequestAttribution, total time.Duration) float64 {
	if total <= 0 {
		return 0
	}
	// Summed in the order clusters first appear, so the result does not
	// depend on map order.
	var sums []float64
	first := map[int]int{} // cycle → index in sums
	for _, ra := range tail {
		g := float64(ra.Breakdown.GC(ra.Latency))
		if len(ra.Cycles) == 0 {
			sums = append(sums, g)
			continue
		}
		i, ok := first[ra.Cycles[0]]
		if !ok {
			i = len(sums)
			first[ra.Cycles[0]] = i
			sums = append(sums, 0)
		}
		sums[i] += g
	}
	var sq float64
	for _, g := range sums {
		sq += g * g
	}
	return math.Sqrt(sq) / float64(total)
}

// tail summarises the slowest ceil((1−q)·N) requests; slowest holds at
// least that many of them, slowest first; slowestFirst is every request's
// latency in that order, and without every latency without GC, sorted
// ascending.
func tail(slowest []RequestAttribution, slowestFirst, without []time.Duration, q float64) Tail {
	n := len(slowestFirst)
	k := tailSize(n, q)
	t := Tail{Quantile: q, Requests: k}
	overlapped := 0
	var gc time.Duration
	for _, ra := range slowest[:k] {
		b := ra.Breakdown
		t.Latency += ra.Latency
		gc += b.GC(ra.Latency)
		if b.SweepTermination+b.MarkTermination > 0 {
			overlapped++
		}
		s := &t.Sum
		s.SweepTermination += b.SweepTermination
		s.MarkTermination += b.MarkTermination
		s.NonGCSTW += b.NonGCSTW
		s.Assist += b.Assist
		s.RunnableDuringMark += b.RunnableDuringMark
		s.RunnableGC += b.RunnableGC
		s.Sweep += b.Sweep
		s.Other += b.Other
		s.Running += b.Running
		s.Runnable += b.Runnable
		s.Blocked += b.Blocked
		s.Syscall += b.Syscall
	}
	if t.Latency > 0 {
		t.GCShare = float64(gc) / float64(t.Latency)
		t.GCShareSE = shareSE(slowest[:k], t.Latency)
	}
	t.STWOverlapFraction = float64(overlapped) / float64(k)
	t.Observed = slowestFirst[n-nearestRank(n, q)] // NearestRank of the ascending order
	t.WithoutGC = NearestRank(without, q)
	return t
}
