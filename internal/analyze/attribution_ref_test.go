package analyze

import (
	"cmp"
	"math"
	"math/rand/v2"
	"reflect"
	"slices"
	"testing"
	"time"

	gocmp "github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/gcwatch/gcwatch/internal/model"
)

// referenceAttribute is Attribute done the plain way: every request
// attributed in full, a stable sort of the whole attributions, and each
// request's cycles and phases found by scanning every pause and cycle. The
// fast path must agree with it exactly.
func referenceAttribute(run *model.Run, reqs []model.Request, worst int) *Attribution {
	var all []RequestAttribution
	for _, r := range reqs {
		if !r.Open {
			all = append(all, referenceOne(run, r))
		}
	}
	a := &Attribution{Requests: len(all)}
	if len(all) == 0 {
		return a
	}
	a.Accounted = all[0].Breakdown.Accounted
	// The GC pause overlap total, by scanning every pause per request.
	for _, ra := range all {
		for _, p := range run.Pauses {
			if !p.IsGC() {
				continue
			}
			if s, e := max(ra.Request.Start, p.Start), min(ra.Request.End, p.End()); e > s {
				a.STWOverlap += e.Sub(s)
			}
		}
	}
	slices.SortStableFunc(all, func(x, y RequestAttribution) int {
		return cmp.Or(cmp.Compare(y.Latency, x.Latency), cmp.Compare(x.Request.Start, y.Request.Start))
	})
	var observed, without []time.Duration
	for _, ra := range all {
		gc := ra.Breakdown.GC(ra.Latency)
		a.Latencies = append(a.Latencies, ra.Latency)
		a.GCTimes = append(a.GCTimes, gc)
		a.Met = append(a.Met, len(ra.Cycles) > 0 || gc > 0)
		last := int32(-1)
		for i, c := range run.Cycles {
			if slices.Contains(ra.Cycles, c.N) {
				last = int32(i)
			}
		}
		a.MetCycle = append(a.MetCycle, last)
		observed = append(observed, ra.Latency)
		without = append(without, ra.Latency-gc)
	}
	slices.Sort(observed)
	slices.Sort(without)
	a.Tail99 = refTail(all, observed, without, 0.99)
	a.Tail999 = refTail(all, observed, without, 0.999)
	a.Worst = all[:min(worst, len(all))]
	// Spikes: every window's latencies, the tail's cycles and phases.
	w := spikeWindow(run.Duration())
	win := func(t model.Time) int64 { return int64(t.Sub(run.Start) / w) }
	slowWins := map[int64]bool{}
	for _, ra := range all[:a.Tail99.Requests] {
		slowWins[win(ra.Request.End)] = true
	}
	var keys []int64
	for k := range slowWins {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for i := 0; i < len(keys); {
		j := i
		for j+1 < len(keys) && keys[j+1] == keys[j]+1 {
			j++
		}
		in := func(t model.Time) bool { return win(t) >= keys[i] && win(t) <= keys[j] }
		var lats []time.Duration
		for _, ra := range all {
			if in(ra.Request.End) {
				lats = append(lats, ra.Latency)
			}
		}
		d := Distribute(lats)
		s := Spike{Start: run.Start.Add(time.Duration(keys[i]) * w), End: run.Start.Add(time.Duration(keys[j]+1) * w),
			Requests: d.Count, P99: d.P99, Max: d.Max}
		cycles, phases := map[int]bool{}, map[string]bool{}
		var gc, total time.Duration
		for _, ra := range all[:a.Tail99.Requests] {
			if !in(ra.Request.End) {
				continue
			}
			gc += ra.Breakdown.GC(ra.Latency)
			total += ra.Latency
			for _, c := range ra.Cycles {
				cycles[c] = true
			}
			for _, p := range ra.Phases {
				phases[p] = true
			}
		}
		if total > 0 {
			s.GCShare = float64(gc) / float64(total)
		}
		for c := range cycles {
			s.Cycles = append(s.Cycles, c)
		}
		slices.Sort(s.Cycles)
		for _, p := range phaseNames {
			if phases[p] {
				s.Phases = append(s.Phases, p)
			}
		}
		a.Spikes = append(a.Spikes, s)
		i = j + 1
	}
	a.WindowSize = w
	if len(a.Spikes) > maxSpikes {
		slices.SortStableFunc(a.Spikes, func(x, y Spike) int { return cmp.Compare(y.Max, x.Max) })
		a.Spikes = a.Spikes[:maxSpikes]
		slices.SortFunc(a.Spikes, func(x, y Spike) int { return cmp.Compare(x.Start, y.Start) })
	}
	return a
}

// referenceOne attributes r by scanning every pause and mark phase.
func referenceOne(run *model.Run, r model.Request) RequestAttribution {
	ra := RequestAttribution{Request: r, Latency: r.Duration()}
	b := &ra.Breakdown
	cycles, phases := map[int]bool{}, map[string]bool{}
	var stw, marking time.Duration
	for _, p := range run.Pauses {
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
			if p.Cycle >= 0 && p.Cycle < len(run.Cycles) {
				cycles[run.Cycles[p.Cycle].N] = true
			}
		}
	}
	for _, c := range run.Cycles {
		s := c.SweepTerminationAt.Add(c.SweepTermination)
		if o := overlap(r.Start, r.End, s, s.Add(c.Mark)); c.Mark > 0 && o > 0 {
			marking += o
			phases["mark"] = true
			cycles[c.N] = true
		}
	}
	if r.Accounted {
		b.Accounted = true
		b.Assist, b.Sweep, b.RunnableDuringMark = r.Assist, r.Sweep, r.RunnableDuringMark
		b.Running, b.Runnable, b.Blocked, b.Syscall = r.Running, r.Runnable, r.Blocked, r.Syscall
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
	for _, ph := range phaseNames {
		if phases[ph] {
			ra.Phases = append(ra.Phases, ph)
		}
	}
	return ra
}

// randomAttributionRun is a run with cycles, GC and non-GC pauses and
// many requests on a coarse clock, so that latencies and starts tie often.
func randomAttributionRun(rng *rand.Rand, nreq int) *model.Run {
	run := &model.Run{Start: 0, End: model.Time(10 * time.Second)}
	at := func(ms int) model.Time { return model.Time(time.Duration(ms) * time.Millisecond) }
	for c, t := 0, 50; t < 9500; c, t = c+1, t+200+rng.IntN(600) {
		mark := 10 + rng.IntN(80)
		cy := model.Cycle{N: 7 + c, Start: at(t), SweepTerminationAt: at(t), SweepTermination: time.Millisecond,
			Mark: time.Duration(mark) * time.Millisecond, MarkTerminationAt: at(t + 1 + mark), MarkTermination: 2 * time.Millisecond}
		cy.End = cy.MarkTerminationAt.Add(cy.MarkTermination)
		run.Cycles = append(run.Cycles, cy)
		run.Pauses = append(run.Pauses,
			model.Pause{Start: cy.SweepTerminationAt, Duration: cy.SweepTermination, Kind: model.PauseSweepTermination, Cycle: c},
			model.Pause{Start: cy.MarkTerminationAt, Duration: cy.MarkTermination, Kind: model.PauseMarkTermination, Cycle: c})
		if rng.IntN(3) == 0 {
			run.Pauses = append(run.Pauses, model.Pause{Start: at(t + 100 + rng.IntN(90)), Duration: time.Duration(1+rng.IntN(5)) * time.Millisecond, Kind: model.PauseNonGC, Cycle: -1})
		}
	}
	for i := range nreq {
		start := at(rng.IntN(9900))
		d := time.Duration(1+rng.IntN(40)) * time.Millisecond
		if rng.IntN(50) == 0 {
			d *= 10
		}
		r := model.Request{ID: uint64(i + 1), Kind: model.RequestTask, Start: start, End: start.Add(d), Accounted: true,
			Running: d / 3, Runnable: d / 4, RunnableDuringMark: d / time.Duration(5+rng.IntN(5)), Assist: time.Duration(rng.IntN(2)) * d / 20,
			Blocked: d / 5, Sweep: time.Duration(rng.IntN(2)) * d / 50, Open: rng.IntN(40) == 0}
		run.Requests = appendRequests(run.Requests, r)
	}
	return run
}

func TestAttributeMatchesReference(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for _, n := range []int{1, 7, 150, 5000} {
		run := randomAttributionRun(rng, n)
		got := Attribute(run, run.Requests, 10)
		want := referenceAttribute(run, run.Requests.Slice(), 10)
		if diff := gocmp.Diff(want, got, cmpopts.EquateEmpty()); diff != "" {
			t.Errorf("%d requests: -reference +fast:\n%s", n, diff)
		}
		// spikes looks windows up by map when their span is too wide for
		// a slice.
		saved := maxDenseWindows
		maxDenseWindows = 0
		byMap := Attribute(run, run.Requests, 10)
		maxDenseWindows = saved
		if diff := gocmp.Diff(want, byMap, cmpopts.EquateEmpty()); diff != "" {
			t.Errorf("%d requests, windows by map: -reference +fast:\n%s", n, diff)
		}
		if n > 100 && got.STWOverlap == 0 {
			t.Errorf("%d requests: none overlapped a GC pause", n)
		}
		if n > 1000 && (len(got.Spikes) == 0 || got.Tail99.Requests < 2) {
			t.Errorf("%d requests: the test run has no tail to speak of: %d spikes, tail %d", n, len(got.Spikes), got.Tail99.Requests)
		}
	}
}

// refTail summarises the slowest ceil((1−q)·N) of all (slowest first),
// field by field; observed and without are sorted ascending.
func refTail(all []RequestAttribution, observed, without []time.Duration, q float64) Tail {
	k := int(math.Ceil((1-q)*float64(len(all)) - 1e-9))
	k = max(1, min(k, len(all)))
	t := Tail{Quantile: q, Requests: k}
	var gc time.Duration
	overlapped := 0
	for _, ra := range all[:k] {
		b := ra.Breakdown
		t.Latency += ra.Latency
		gc += b.GC(ra.Latency)
		if b.SweepTermination > 0 || b.MarkTermination > 0 {
			overlapped++
		}
		addDurations(&t.Sum, b)
	}
	if t.Latency > 0 {
		t.GCShare = float64(gc) / float64(t.Latency)
		t.GCShareSE = refShareSE(all[:k], t.Latency)
	}
	t.STWOverlapFraction = float64(overlapped) / float64(k)
	// Nearest rank: the ceil(q·N)-th smallest.
	rank := max(1, min(int(math.Ceil(q*float64(len(observed))-1e-9)), len(observed)))
	t.Observed, t.WithoutGC = observed[rank-1], without[rank-1]
	return t
}

// refShareSE is the GC share's standard error the slow way: for each
// cycle, the GC time of the tail requests that overlapped it first, then
// every request that overlapped none on its own; squared, summed, rooted.
func refShareSE(tail []RequestAttribution, total time.Duration) float64 {
	var sq float64
	seen := map[int]bool{}
	for _, ra := range tail {
		if len(ra.Cycles) == 0 {
			g := float64(ra.Breakdown.GC(ra.Latency))
			sq += g * g
			continue
		}
		c := ra.Cycles[0]
		if seen[c] {
			continue
		}
		seen[c] = true
		var g float64
		for _, rb := range tail {
			if len(rb.Cycles) > 0 && rb.Cycles[0] == c {
				g += float64(rb.Breakdown.GC(rb.Latency))
			}
		}
		sq += g * g
	}
	return math.Sqrt(sq) / float64(total)
}

// addDurations adds every time.Duration field of b to sum's, found by
// reflection so that a field Breakdown gains is summed too.
func addDurations(sum *Breakdown, b Breakdown) {
	dst, src := reflect.ValueOf(sum).Elem(), reflect.ValueOf(b)
	for i := range dst.NumField() {
		if f := dst.Field(i); f.Type() == reflect.TypeFor[time.Duration]() {
			f.SetInt(f.Int() + src.Field(i).Int())
		}
	}
}
