package mmu

import (
	"math"
	"sort"
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
	// 0 means 3, a negative value keeps none.
	Worst int
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
func utilisations(procs int, busy [model.NumSources]float64) [numSeries]float64 {
	if procs < 1 {
		procs = 1
	}
	p := float64(procs)
	var u [numSeries]float64
	taken := 0.0
	for s := range model.NumSources {
		b := busy[s]
		if !(b > 0) { // also catches NaN
			b = 0
		}
		if s != model.SourceSweep {
			taken += b
		}
		u[sourceSeries(s)] = 1 - math.Min(p, b)/p
	}
	u[seriesTotal] = 1 - math.Min(p, taken)/p
	return u
}

// point is a change of utilisation: from t on, the series take the values u.
type point struct {
	t model.Time
	u [numSeries]float64
}

// Builder accumulates a utilisation series and computes its MMU curve.
// The zero value is not usable; call NewBuilder.
type Builder struct {
	windows []time.Duration
	worst   int
	points  []point
	started bool
	// synthesized marks a series fed by Synthesize, so that Finish can say so.
	synthesized bool
}

// NewBuilder returns a Builder for opts.
func NewBuilder(opts Options) *Builder {
	ws := opts.Windows
	if ws == nil {
		ws = DefaultWindows()
	}
	var clean []time.Duration
	for _, w := range ws {
		if w > 0 {
			clean = append(clean, w)
		}
	}
	sort.Slice(clean, func(i, j int) bool { return clean[i] < clean[j] })
	uniq := clean[:0]
	for i, w := range clean {
		if i == 0 || w != clean[i-1] {
			uniq = append(uniq, w)
		}
	}
	worst := opts.Worst
	if worst == 0 {
		worst = 3
	}
	if worst < 0 {
		worst = 0
	}
	return &Builder{windows: uniq, worst: worst}
}

// Set declares that from time t on there are procs Ps and busy[s] of them
// are taken by source s (model.SourceSTW, SourceAssist, SourceBackground,
// SourceSweep). busy is float64 so that callers can synthesise fractional
// use (from gctrace phases). Calls come in non-decreasing t; a call with the
// same t replaces the previous state at t, and a call with an earlier t is
// treated as one at the latest t seen. The first call starts the series.
// procs below 1 counts as 1; negative or NaN busy counts as 0.
func (b *Builder) Set(t model.Time, procs int, busy [model.NumSources]float64) {
	u := utilisations(procs, busy)
	if !b.started {
		b.started = true
		b.points = append(b.points, point{t: t, u: u})
		return
	}
	last := &b.points[len(b.points)-1]
	if t <= last.t {
		last.u = u
		return
	}
	b.points = append(b.points, point{t: t, u: u})
}

// Finish ends the series at end and returns the curve, with points only for
// windows no longer than the series. An end before the last Set counts as
// the last Set's time. Finish returns nil when Set was never called.
func (b *Builder) Finish(end model.Time) *model.MMU {
	if !b.started {
		return nil
	}
	pts := b.points
	if last := pts[len(pts)-1].t; end < last {
		end = last
	}
	out := &model.MMU{Synthesized: b.synthesized}
	for _, w := range b.windows {
		if pts[0].t.Add(w) > end {
			continue
		}
		out.Points = append(out.Points, slowPoint(pts, end, w, b.worst))
	}
	return out
}
