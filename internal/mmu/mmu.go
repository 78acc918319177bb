package mmu

import (
	"slices"
	"time"

	"github.com/gcwatch/gcwatch/internal/model"
)

// DefaultWindows returns the window sizes of the default MMU curve: 1, 2 and
// 5 steps per decade from 100µs to 1s (13 sizes). Three steps per decade are
// enough to read the curve's knee (the longest effective pause) and its
// long-run level, and keep the per-change cost of the streaming builder low.
func DefaultWindows() []time.Duration {
	var ws []time.Duration
	for decade := 100 * time.Microsecond; decade < time.Second; decade *= 10 {
		ws = append(ws, decade, 2*decade, 5*decade)
	}
	return append(ws, time.Second)
}

// Options configures a Builder.
type Options struct {
	// Windows are the window sizes of the curve; nil means DefaultWindows().
	// Sizes that are not positive are ignored; duplicates are merged.
	Windows []time.Duration
	// Worst is how many worst disjoint windows are kept per window size;
	// 0 means 3, a negative value keeps none. They are picked as the stream
	// goes: a window displaces the kept windows it overlaps only if it is
	// worse than all of them, so the first one is always the MMU's window
	// and each other one is the worst of its neighbourhood.
	Worst int
	// Observe, when set, is called with every Set exactly as made, before
	// the Builder looks at it. It lets tests replay the series a decoder
	// produced into an independent computation; it is not needed otherwise.
	Observe func(t model.Time, procs int, busy [model.NumSources]float64)
}

// series indexes the utilisation series a Builder follows: the total, then
// one per source.
const (
	seriesTotal = 0
	numSeries   = 1 + int(model.NumSources)
)

// sourceSeries is the series index of source s.
func sourceSeries(s model.UtilSource) int { return 1 + int(s) }

// utilisations turns one Set call into the utilisation of every series.
// It runs on every Set, so it multiplies by 1/procs and clamps with plain
// comparisons (math.Min's NaN and signed-zero care is not needed here).
func utilisations(procs int, busy *[model.NumSources]float64) (u [numSeries]float64) {
	p := float64(max(procs, 1))
	inv := 1 / p
	taken := 0.0
	for s := range model.NumSources {
		b := busy[s]
		if !(b > 0) { // also catches NaN
			b = 0
		} else if b > p {
			b = p
		}
		if s != model.SourceSweep {
			taken += b
		}
		u[sourceSeries(s)] = 1 - b*inv
	}
	if taken > p {
		taken = p
	}
	u[seriesTotal] = 1 - taken*inv
	return u
}

// Builder accumulates a utilisation series as it streams and computes its
// MMU curve. Memory is bounded by the number of change points inside the
// largest window plus a little per window size, whatever the length of the
// series. The zero value is not usable; call NewBuilder. A Builder is not
// safe for concurrent use.
type Builder struct {
	windows []window // ascending size
	marks   ring
	started bool
	done    bool
	result  *model.MMU
	// first is the time of the first Set: no window starts before it.
	// latest is the time of the latest Set.
	first, latest model.Time
	// lastU is the utilisation from the newest mark on; it may still be
	// replaced by a Set at the same time.
	lastU [numSeries]float64
	// rebasedAt is the time of the mark the integrals were last rebased to;
	// rebaseEvery is how far the oldest mark moves on before the next one.
	rebasedAt   model.Time
	rebaseEvery time.Duration
	// synthesized marks a series fed by Synthesize, so that Finish can say so.
	synthesized bool
	observe     func(model.Time, int, [model.NumSources]float64)
}

// NewBuilder returns a Builder for opts.
func NewBuilder(opts Options) *Builder {
	ws := opts.Windows
	if ws == nil {
		ws = DefaultWindows()
	}
	var sizes []time.Duration
	for _, w := range ws {
		if w > 0 {
			sizes = append(sizes, w)
		}
	}
	slices.Sort(sizes)
	sizes = slices.Compact(sizes)
	worst := opts.Worst
	if worst == 0 {
		worst = 3
	}
	worst = max(worst, 0)
	b := &Builder{rebaseEvery: time.Second, observe: opts.Observe}
	for _, w := range sizes {
		b.windows = append(b.windows, newWindow(w, worst))
	}
	if n := len(sizes); n > 0 {
		b.rebaseEvery = max(b.rebaseEvery, 4*sizes[n-1])
	}
	return b
}

// Set declares that from time t on there are procs Ps and busy[s] of them
// are taken by source s (model.SourceSTW, SourceAssist, SourceBackground,
// SourceSweep). busy is float64 so that callers can synthesise fractional
// use (from gctrace phases). Calls come in non-decreasing t; a call with the
// same t replaces the previous state at t, and a call with an earlier t is
// treated as one at the latest t seen. The first call starts the series.
// procs below 1 counts as 1; negative or NaN busy counts as 0. Set does not
// allocate except to grow the buffer of recent change points.
func (b *Builder) Set(t model.Time, procs int, busy [model.NumSources]float64) {
	if b.observe != nil {
		b.observe(t, procs, busy)
	}
	if b.done {
		return
	}
	u := utilisations(procs, &busy)
	if !b.started {
		b.started = true
		b.first, b.latest, b.rebasedAt = t, t, t
		b.marks.push(mark{t: t})
		b.lastU = u
		return
	}
	// Deduplicated calls leave no mark, so the latest time seen is kept
	// apart from the newest mark's.
	t = max(t, b.latest)
	b.latest = t
	if t == b.marks.at(b.marks.tail-1).t {
		b.lastU = u
		return
	}
	if u == b.lastU {
		return // not a change point: the windowed means stay linear across t
	}
	b.advance(t)
	b.lastU = u
}

// Finish ends the series at end and returns the curve, with points only for
// windows no longer than the series. An end before the last Set counts as
// the last Set's time. Finish returns nil when Set was never called. The
// Builder is spent afterwards: later Sets are ignored and later Finishes
// return the same curve.
func (b *Builder) Finish(end model.Time) *model.MMU {
	if b.done {
		return b.result
	}
	b.done = true
	if !b.started {
		return nil
	}
	end = max(end, b.latest)
	if end > b.marks.at(b.marks.tail-1).t {
		b.advance(end)
	}
	out := &model.MMU{Synthesized: b.synthesized}
	length := b.marks.at(b.marks.tail - 1).t.Sub(b.first)
	for i := range b.windows {
		if w := &b.windows[i]; w.size <= length {
			out.Points = append(out.Points, w.result())
		}
	}
	b.result = out
	b.marks = ring{} // the buffer can be large; let it go now
	return out
}
