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
	if len(r.utils) != len(r.states) {
		r.utils = r.utils[:0]
		for _, st := range r.states {
			r.utils = append(r.utils, refUtil(st))
		}
	}
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
		m := r.mean(s, w)
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
