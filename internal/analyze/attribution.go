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
	// GCShare is the GC-attributable fraction of the tail's total latency.
	GCShare float64
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
	// Latencies and GCTimes are every request's latency and its
	// GC-attributable part, slowest first, and Met whether it overlapped a
	// GC cycle (a pause or the mark phase): the what-if model's input.
	Latencies, GCTimes []time.Duration
	Met                []bool
}

// gcIntervals indexes a run's pauses and mark phases for overlap queries.
type gcIntervals struct {
	pauses []model.Pause // sorted by start
	marks  []markSpan    // sorted by start
	cycles []model.Cycle
	maxLen time.Duration // longest pause, to bound searches
}

type markSpan struct {
	start, end model.Time
	cycle      int // index into cycles
}

func newGCIntervals(run *model.Run) *gcIntervals {
	iv := &gcIntervals{pauses: slices.Clone(run.Pauses), cycles: run.Cycles}
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

// attribute computes one request's breakdown.
func (iv *gcIntervals) attribute(r model.Request) RequestAttribution {
	ra := RequestAttribution{Request: r, Latency: r.Duration()}
	b := &ra.Breakdown
	cycles := map[int]bool{}
	phases := map[string]bool{}
	// Pauses that can overlap [Start, End] start after Start − maxLen.
	i := sort.Search(len(iv.pauses), func(i int) bool { return iv.pauses[i].Start >= r.Start.Add(-iv.maxLen) })
	var stw time.Duration
	for ; i < len(iv.pauses) && iv.pauses[i].Start < r.End; i++ {
		p := iv.pauses[i]
		o := overlap(r.Start, r.End, p.Start, p.End())
		if o <= 0 {
			continue
		}
		stw += o
		switch p.Kind {
		case model.PauseSweepTermination:
			b.SweepTermination += o
		case model.PauseMarkTermination:
			b.MarkTermination += o
		default:
			b.NonGCSTW += o
		}
		if p.IsGC() {
			phases[string(p.Kind)] = true
			if p.Cycle >= 0 && p.Cycle < len(iv.cycles) {
				cycles[iv.cycles[p.Cycle].N] = true
			}
		}
	}
	var marking time.Duration
	j := sort.Search(len(iv.marks), func(j int) bool { return iv.marks[j].end > r.Start })
	for ; j < len(iv.marks) && iv.marks[j].start < r.End; j++ {
		m := iv.marks[j]
		if o := overlap(r.Start, r.End, m.start, m.end); o > 0 {
			marking += o
			phases["mark"] = true
			cycles[iv.cycles[m.cycle].N] = true
		}
	}
	if r.Accounted {
		b.Accounted = true
		b.Assist, b.Sweep, b.RunnableDuringMark = r.Assist, r.Sweep, r.RunnableDuringMark
		b.Running, b.Runnable, b.Blocked, b.Syscall = r.Running, r.Runnable, r.Blocked, r.Syscall
		// Without the GC, the request would still have been runnable
		// during those mark-phase moments at the rate it was runnable
		// outside them; only the excess is the GC's.
		outside := ra.Latency - marking - stw
		var expected time.Duration
		if outside > 0 {
			expected = time.Duration(float64(r.Runnable-r.RunnableDuringMark) * float64(marking) / float64(outside))
		}
		b.RunnableGC = max(0, r.RunnableDuringMark-expected)
		if b.Assist > 0 {
			phases["assist"] = true
		}
	}
	b.Other = max(0, ra.Latency-b.GC(ra.Latency)-b.NonGCSTW)
	for n := range cycles {
		ra.Cycles = append(ra.Cycles, n)
	}
	slices.Sort(ra.Cycles)
	for _, ph := range []string{"sweep-termination", "mark", "assist", "mark-termination"} {
		if phases[ph] {
			ra.Phases = append(ra.Phases, ph)
		}
	}
	return ra
}

// Attribute splits every request's latency by cause and summarises the
// tail. worst is how many of the slowest requests to list.
func Attribute(run *model.Run, reqs []model.Request, worst int) *Attribution {
	iv := newGCIntervals(run)
	all := make([]RequestAttribution, 0, len(reqs))
	for _, r := range reqs {
		if r.Open {
			continue
		}
		all = append(all, iv.attribute(r))
	}
	a := &Attribution{Requests: len(all)}
	if len(all) == 0 {
		return a
	}
	a.Accounted = all[0].Breakdown.Accounted
	// Slowest first; ties by start, so the order is stable.
	slices.SortStableFunc(all, func(x, y RequestAttribution) int {
		return cmp.Or(cmp.Compare(y.Latency, x.Latency), cmp.Compare(x.Request.Start, y.Request.Start))
	})
	a.Latencies = make([]time.Duration, len(all))
	a.GCTimes = make([]time.Duration, len(all))
	a.Met = make([]bool, len(all))
	for i, ra := range all {
		a.Latencies[i], a.GCTimes[i] = ra.Latency, ra.Breakdown.GC(ra.Latency)
		a.Met[i] = len(ra.Cycles) > 0 || a.GCTimes[i] > 0
	}
	a.Tail99 = tail(all, 0.99)
	a.Tail999 = tail(all, 0.999)
	a.Worst = all[:min(worst, len(all))]
	a.Spikes, a.WindowSize = spikes(run, all, a.Tail99.Requests)
	return a
}

// tail summarises the slowest ceil((1−q)·N) requests of all (sorted
// slowest first).
func tail(all []RequestAttribution, q float64) Tail {
	n := len(all)
	k := int(math.Ceil((1-q)*float64(n) - 1e-9))
	k = max(1, min(k, n))
	t := Tail{Quantile: q, Requests: k}
	overlapped := 0
	var gc time.Duration
	for _, ra := range all[:k] {
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
	}
	t.STWOverlapFraction = float64(overlapped) / float64(k)
	observed := make([]time.Duration, n)
	without := make([]time.Duration, n)
	for i, ra := range all {
		observed[i] = ra.Latency
		without[i] = ra.Latency - ra.Breakdown.GC(ra.Latency)
	}
	slices.Sort(observed)
	slices.Sort(without)
	t.Observed = NearestRank(observed, q)
	t.WithoutGC = NearestRank(without, q)
	return t
}
