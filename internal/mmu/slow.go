package mmu

import (
	"math"
	"sort"
	"time"

	"github.com/gcwatch/gcwatch/internal/model"
)

// integrate returns the integral of every series over [a, b].
func integrate(pts []point, end model.Time, a, b model.Time) [numSeries]float64 {
	var sum [numSeries]float64
	for i, p := range pts {
		next := end
		if i+1 < len(pts) {
			next = pts[i+1].t
		}
		lo, hi := max(a, p.t), min(b, next)
		if hi <= lo {
			continue
		}
		for k := range sum {
			sum[k] += p.u[k] * float64(hi-lo)
		}
	}
	return sum
}

// slowPoint evaluates every candidate window of size w directly.
func slowPoint(pts []point, end model.Time, w time.Duration, worst int) model.MMUPoint {
	first := pts[0].t
	var starts []model.Time
	for _, p := range pts {
		if s := p.t; s.Add(w) <= end {
			starts = append(starts, s)
		}
		if s := p.t.Add(-w); s >= first {
			starts = append(starts, s)
		}
	}
	starts = append(starts, end.Add(-w))
	sort.Slice(starts, func(i, j int) bool { return starts[i] < starts[j] })
	mp := model.MMUPoint{Window: w, MMU: math.Inf(1)}
	for s := range mp.BySource {
		mp.BySource[s] = math.Inf(1)
	}
	type cand struct {
		start model.Time
		mean  [numSeries]float64
	}
	var cands []cand
	for _, s := range starts {
		sum := integrate(pts, end, s, s.Add(w))
		var c cand
		c.start = s
		for k := range sum {
			c.mean[k] = sum[k] / float64(w)
		}
		mp.MMU = math.Min(mp.MMU, c.mean[seriesTotal])
		for s := range model.NumSources {
			mp.BySource[s] = math.Min(mp.BySource[s], c.mean[sourceSeries(s)])
		}
		cands = append(cands, c)
	}
	var kept []cand
	for _, c := range cands {
		worse := true
		var rest []cand
		for _, k := range kept {
			if overlaps(k.start, c.start, w) {
				if k.mean[seriesTotal] <= c.mean[seriesTotal] {
					worse = false
				}
				continue
			}
			rest = append(rest, k)
		}
		if !worse {
			continue
		}
		kept = append(rest, c)
		sort.Slice(kept, func(i, j int) bool { return kept[i].mean[seriesTotal] < kept[j].mean[seriesTotal] })
		if len(kept) > worst {
			kept = kept[:worst]
		}
	}
	for _, k := range kept {
		win := model.MMUWindow{Start: k.start, Utilization: k.mean[seriesTotal]}
		for s := range model.NumSources {
			win.Lost[s] = 1 - k.mean[sourceSeries(s)]
		}
		mp.Worst = append(mp.Worst, win)
	}
	return mp
}

// overlaps reports whether windows of size w starting at a and b share time.
func overlaps(a, b model.Time, w time.Duration) bool {
	d := a - b
	if d < 0 {
		d = -d
	}
	return d < model.Time(w)
}
