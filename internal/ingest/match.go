package ingest

import (
	"fmt"
	"math"
	"slices"
	"time"

	"github.com/gcwatch/gcwatch/internal/model"
)

// Lining up a trace with a gctrace log. The two have different clocks: a
// trace's is the runtime's monotonic clock with an arbitrary origin, a
// gctrace line's "@T" is the time since runtime init, truncated to the
// millisecond. Both tick at the same rate, so the same process shows the
// same cycles at a constant offset. We look for the offset under which the
// start of every complete trace cycle's sweep termination falls on a
// gctrace cycle's start, with stop-the-world durations that agree.
const (
	// matchSlack is how far a trace cycle may sit from its gctrace cycle
	// after the offset: the 1 ms truncation of "@T" plus the estimation
	// error of the offset from one truncated anchor.
	matchSlack = 1500 * time.Microsecond
	// durationSlack and durationRatio bound how far a pause seen by both
	// may disagree: gctrace prints pauses rounded, and its sweep
	// termination starts a little before the trace's STW range.
	durationSlack = 250 * time.Microsecond
	durationRatio = 0.5
	// minMatched is how many cycles must agree before we trust an offset:
	// with one cycle any gctrace cycle of a similar pause would do.
	minMatched = 2
)

// match is one way to line up a trace with a gctrace process.
type match struct {
	offset  time.Duration // gctrace time − trace time
	matched int
	pairs   [][2]int // trace cycle index, gctrace cycle index
	wanted  int      // complete trace cycles
}

// lineUp finds the offset that lines up t's cycles with gc's. It fails when
// too few cycles agree or when two offsets explain the data equally well.
func lineUp(t, gc *model.Run) (match, bool) {
	var tc []int
	for i, c := range t.Cycles {
		if !c.Partial {
			tc = append(tc, i)
		}
	}
	if len(tc) < minMatched || len(gc.Cycles) < minMatched {
		return match{}, false
	}
	first := t.Cycles[tc[0]]
	gap := t.Cycles[tc[1]].SweepTerminationAt.Sub(first.SweepTerminationAt)
	var best match
	ambiguous := false
	for j := 0; j+1 < len(gc.Cycles); j++ {
		// Cheap filter: the first two trace cycles are as far apart as
		// gctrace cycles j and j+1 (allowing for two truncations).
		g := gc.Cycles[j+1].Start.Sub(gc.Cycles[j].Start)
		if absDur(g-gap) > 2*time.Millisecond {
			continue
		}
		// "@T" is truncated: the true start lies in [Start, Start+1ms).
		off := gc.Cycles[j].Start.Sub(first.SweepTerminationAt) + 500*time.Microsecond
		m := evaluate(t, gc, tc, off)
		switch {
		case m.matched > best.matched:
			best, ambiguous = m, false
		case m.matched == best.matched && m.matched > 0 && absDur(m.offset-best.offset) > 2*matchSlack:
			ambiguous = true
		}
	}
	if ambiguous || best.matched < minMatched || float64(best.matched) < 0.8*float64(len(tc)) {
		return match{}, false
	}
	return best, true
}

// evaluate counts the trace cycles that fall on a gctrace cycle under off.
func evaluate(t, gc *model.Run, tc []int, off time.Duration) match {
	m := match{offset: off, wanted: len(tc)}
	next := 0
	for _, ti := range tc {
		c := t.Cycles[ti]
		want := c.SweepTerminationAt.Add(off)
		// First gctrace cycle that could match, searching forward only so
		// that pairs stay in order.
		j, _ := slices.BinarySearchFunc(gc.Cycles[next:], want.Add(-matchSlack-time.Millisecond), func(g model.Cycle, at model.Time) int {
			return int(g.Start - at)
		})
		j += next
		for ; j < len(gc.Cycles); j++ {
			g := gc.Cycles[j]
			d := g.Start.Add(500 * time.Microsecond).Sub(want)
			if d > matchSlack {
				break
			}
			// Only sweep termination is compared: gctrace's mark-termination
			// clock stops before the world restarts (tEnd is read before
			// startTheWorldWithSema), so the trace's STW range for it can be
			// several times longer.
			if absDur(d) <= matchSlack && similar(g.SweepTermination, c.SweepTermination) {
				m.pairs = append(m.pairs, [2]int{ti, j})
				m.matched++
				next = j + 1
				break
			}
		}
	}
	return m
}

func similar(a, b time.Duration) bool {
	d := absDur(a - b)
	return d <= durationSlack || float64(d) <= durationRatio*math.Max(float64(a), float64(b))
}

func absDur(d time.Duration) time.Duration {
	if d < 0 {
		return -d
	}
	return d
}

// combine makes one run of a trace and the gctrace process it lined up
// with: the trace's window and measurements, with the gctrace log's runtime
// GC numbers, live heap, roots and cumulative GC CPU on the matched cycles.
func combine(t, gc *model.Run, m match) *model.Run {
	run := *t
	run.Cycles = slices.Clone(t.Cycles)
	run.Inputs = append(slices.Clone(t.Inputs), gc.Inputs...)
	run.Warnings = append(slices.Clone(t.Warnings), gc.Warnings...)
	for _, p := range m.pairs {
		c, g := &run.Cycles[p[0]], gc.Cycles[p[1]]
		c.N = g.N
		if c.HeapLive < 0 {
			c.HeapLive = g.HeapLive
		}
		c.Stacks, c.Globals = g.Stacks, g.Globals
		c.CumulativeCPUPercent = g.CumulativeCPUPercent
		c.Forced = c.Forced || g.Forced
		c.From = model.FromBoth
	}
	// A trace sees every cycle in its window, so the cycles the log did not
	// line up (cut by the window's edge) take their runtime numbers from
	// their neighbours.
	anchorT, anchorN := m.pairs[0][0], gc.Cycles[m.pairs[0][1]].N
	paired := make(map[int]bool, len(m.pairs))
	for _, p := range m.pairs {
		paired[p[0]] = true
	}
	for i := range run.Cycles {
		if !paired[i] {
			run.Cycles[i].N = anchorN + (i - anchorT)
		}
	}
	run.Fidelity.GCTrace = true
	run.Fidelity.LiveHeap = true
	run.WholeLog = gc
	if run.WallStart == nil && gc.WallStart != nil {
		// gc.WallStart is the wall time of gc.Start; run.Start falls at
		// run.Start+offset on the log's clock.
		w := gc.WallStart.Add(time.Duration(run.Start) + m.offset - time.Duration(gc.Start))
		run.WallStart = &w
		run.Fidelity.WallClock = true
	}
	before, after := 0, 0
	for _, g := range gc.Cycles {
		switch {
		case g.End.Add(-m.offset) < run.Start:
			before++
		case g.Start.Add(-m.offset) > run.End:
			after++
		}
	}
	firstN, lastN := gc.Cycles[m.pairs[0][1]].N, gc.Cycles[m.pairs[len(m.pairs)-1][1]].N
	run.Matching = fmt.Sprintf("%s and %s lined up on %d of %d complete GC cycles (gc %d to gc %d); the trace starts %.3fs after process start; the gctrace log has %s before the trace and %d after it",
		t.Inputs[0].Path, gc.Inputs[0].Path, m.matched, m.wanted, firstN, lastN,
		(time.Duration(run.Start) + m.offset).Seconds(), plural(before, "cycle"), after)
	return &run
}

// plural writes n and the noun, with an s unless n is 1.
func plural(n int, noun string) string {
	if n == 1 {
		return "1 " + noun
	}
	return fmt.Sprintf("%d %ss", n, noun)
}
