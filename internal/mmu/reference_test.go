package mmu

import (
	"math"
	"slices"
	"sort"
	"time"

	"github.com/gcwatch/gcwatch/internal/model"
)

// refSeries is the slow, obviously correct model the Builder is checked
// against: it keeps every state and integrates windows directly.
type refSeries struct {
	states []refState
	end    model.Time
	utils  [][1 + model.NumSources]float64 // refUtil of each state, filled by mean
	// fast makes mmu use prefix integrals instead of direct integration,
	// for series too long to integrate window by window.
	fast   bool
	prefix [][1 + model.NumSources]float64 // ∫u from the first state to each state
}

type refState struct {
	t     model.Time
	procs int
	busy  [model.NumSources]float64
}

// set follows Builder.Set's contract: same or earlier time replaces.
func (r *refSeries) set(t model.Time, procs int, busy [model.NumSources]float64) {
	if n := len(r.states); n > 0 && t <= r.states[n-1].t {
		r.states[n-1].procs, r.states[n-1].busy = procs, busy
		return
	}
	r.states = append(r.states, refState{t, procs, busy})
}

// refUtil is the utilisation of every series in one state, written out
// from the package documentation: index 0 is the total, 1+s is source s.
func refUtil(st refState) [1 + model.NumSources]float64 {
	p := float64(max(st.procs, 1))
	taken := func(x float64) float64 {
		if math.IsNaN(x) || x < 0 {
			return 0
		}
		return math.Min(x, p)
	}
	var u [1 + model.NumSources]float64
	gc := taken(st.busy[model.SourceSTW]) + taken(st.busy[model.SourceAssist]) + taken(st.busy[model.SourceBackground])
	u[0] = 1 - math.Min(gc, p)/p
	for s := range model.NumSources {
		u[1+s] = 1 - taken(st.busy[s])/p
	}
	return u
}

// mean integrates every series over [a, a+w] segment by segment, starting
// from the last state at or before a.
func (r *refSeries) mean(a model.Time, w time.Duration) [1 + model.NumSources]float64 {
	b := a.Add(w)
	var sum [1 + model.NumSources]float64
	r.fill()
	from := max(0, sort.Search(len(r.states), func(i int) bool { return r.states[i].t > a })-1)
	for i := from; i < len(r.states) && r.states[i].t < b; i++ {
		st := r.states[i]
		next := r.end
		if i+1 < len(r.states) {
			next = r.states[i+1].t
		}
		lo, hi := max(a, st.t), min(b, next)
		if hi <= lo {
			continue
		}
		u := r.utils[i]
		for k := range sum {
			sum[k] += u[k] * float64(hi-lo)
		}
	}
	for k := range sum {
		sum[k] /= float64(w)
	}
	return sum
}

// fill computes the utilisation of every state and the prefix integrals.
// The series must not change afterwards.
func (r *refSeries) fill() {
	if len(r.utils) == len(r.states) {
		return
	}
	r.utils, r.prefix = r.utils[:0], r.prefix[:0]
	var sum [1 + model.NumSources]float64
	for i, st := range r.states {
		u := refUtil(st)
		if i > 0 {
			prev := r.states[i-1]
			for k := range sum {
				sum[k] += r.utils[i-1][k] * float64(st.t-prev.t)
			}
		}
		r.utils = append(r.utils, u)
		r.prefix = append(r.prefix, sum)
	}
}

// integralTo is ∫u from the first state to x, from the prefix integrals.
func (r *refSeries) integralTo(x model.Time) [1 + model.NumSources]float64 {
	r.fill()
	i := max(0, sort.Search(len(r.states), func(i int) bool { return r.states[i].t > x })-1)
	out := r.prefix[i]
	for k := range out {
		out[k] += r.utils[i][k] * float64(x-r.states[i].t)
	}
	return out
}

// meanFast is mean computed from prefix integrals.
func (r *refSeries) meanFast(a model.Time, w time.Duration) [1 + model.NumSources]float64 {
	lo, hi := r.integralTo(a), r.integralTo(a.Add(w))
	var out [1 + model.NumSources]float64
	for k := range out {
		out[k] = (hi[k] - lo[k]) / float64(w)
	}
	return out
}

// fits reports whether a window of size w fits in the series.
func (r *refSeries) fits(w time.Duration) bool {
	return len(r.states) > 0 && r.end.Sub(r.states[0].t) >= w
}

// starts lists every window start where an edge meets a change point.
func (r *refSeries) starts(w time.Duration) []model.Time {
	first, last := r.states[0].t, r.end.Add(-w)
	var out []model.Time
	add := func(s model.Time) {
		if s >= first && s <= last {
			out = append(out, s)
		}
	}
	for _, st := range r.states {
		add(st.t)
		add(st.t.Add(-w))
	}
	add(last)
	slices.Sort(out)
	return slices.Compact(out)
}

// mmu is the exact MMU of every series at window w.
func (r *refSeries) mmu(w time.Duration) [1 + model.NumSources]float64 {
	var best [1 + model.NumSources]float64
	for k := range best {
		best[k] = math.Inf(1)
	}
	for _, s := range r.starts(w) {
		var m [1 + model.NumSources]float64
		if r.fast {
			m = r.meanFast(s, w)
		} else {
			m = r.mean(s, w)
		}
		for k := range best {
			best[k] = math.Min(best[k], m[k])
		}
	}
	return best
}

// gridMMU is the minimum total mean over n+1 evenly spaced window starts.
func (r *refSeries) gridMMU(w time.Duration, n int) float64 {
	first, last := r.states[0].t, r.end.Add(-w)
	best := math.Inf(1)
	for i := 0; i <= n; i++ {
		s := first + model.Time(float64(last-first)*float64(i)/float64(n))
		best = math.Min(best, r.mean(s, w)[0])
	}
	return best
}
