package analyze

import (
	"cmp"
	"slices"
	"time"

	"github.com/gcwatch/gcwatch/internal/model"
)

// maxSpikes bounds how many spikes a report lists.
const maxSpikes = 20

// maxDenseWindows bounds the span of windows spikes indexes by slice
// rather than by map (a variable so that tests can take the map path).
var maxDenseWindows int64 = 1 << 16

// spikeWindow picks the width of the windows latency is looked at in: about
// a hundred windows over the run, rounded to 1, 2 or 5 times a power of
// ten, between 10 ms and 10 s.
func spikeWindow(d time.Duration) time.Duration {
	target := d / 100
	w := 10 * time.Millisecond
	for _, step := range []time.Duration{1, 2, 5, 10, 20, 50, 100, 200, 500, 1000} {
		cand := step * 10 * time.Millisecond
		if cand <= target {
			w = cand
		}
	}
	return w
}

// spikes finds the windows, by request end time, that hold requests of the
// tail (slow: the slowest requests, the same tail the attribution
// summarises), merges adjacent ones, and links each to the GC cycles and
// phases its tail requests overlapped. all is every request, ranked, of
// reqs.
func spikes(run *model.Run, reqs *model.Requests, all []ranked, slow []RequestAttribution) ([]Spike, time.Duration) {
	if len(all) == 0 {
		return nil, 0
	}
	w := spikeWindow(run.Duration())
	window := func(end model.Time) int64 { return int64(end.Sub(run.Start) / w) }
	// Only windows holding a tail request matter.
	tailOf := map[int64][]*RequestAttribution{}
	for i := range slow {
		k := window(slow[i].Request.End)
		tailOf[k] = append(tailOf[k], &slow[i])
	}
	keys := make([]int64, 0, len(tailOf))
	for k := range tailOf {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	// Runs of adjacent windows merge into one spike: spikeOf[k] is the
	// spike window k belongs to, and first[s] the index in keys of spike
	// s's first window.
	spikeOf := make(map[int64]int32, len(keys))
	var first []int
	for i, k := range keys {
		if i == 0 || k != keys[i-1]+1 {
			first = append(first, i)
		}
		spikeOf[k] = int32(len(first) - 1)
	}
	// Every request is looked up: a slice over the windows between the
	// first and last tail window is quicker than the map (a tenth of the
	// analysis of a million requests), when that span is not absurd.
	lookup := func(k int64) int32 {
		if s, ok := spikeOf[k]; ok {
			return s
		}
		return -1
	}
	if n := len(keys); n > 0 && keys[n-1]-keys[0] < maxDenseWindows {
		lo, span := keys[0], keys[n-1]-keys[0]+1
		dense := make([]int32, span)
		for i := range dense {
			dense[i] = -1
		}
		for k, s := range spikeOf {
			dense[k-lo] = s
		}
		lookup = func(k int64) int32 {
			if k -= lo; k >= 0 && k < span {
				return dense[k]
			}
			return -1
		}
	}
	// A spike's requests, their maximum and their p99 come from all, which
	// is slowest first, without gathering their latencies: the maximum is
	// the first met, and the p99 (nearest rank r of n) the (n−r+1)-th.
	spikeN := make([]int, len(first))
	spikeMax := make([]time.Duration, len(first))
	of := make([]int32, len(all))
	for i, r := range all {
		s := lookup(window(reqs.End(int(r.index))))
		of[i] = s
		if s >= 0 {
			if spikeN[s] == 0 {
				spikeMax[s] = r.latency
			}
			spikeN[s]++
		}
	}
	want := make([]int, len(first))
	for s, n := range spikeN {
		want[s] = n - nearestRank(n, 0.99) + 1
	}
	spikeP99 := make([]time.Duration, len(first))
	for i, s := range of {
		if s >= 0 {
			if want[s]--; want[s] == 0 {
				spikeP99[s] = all[i].latency
			}
		}
	}
	var out []Spike
	for sp, i := range first {
		j := len(keys) - 1
		if sp+1 < len(first) {
			j = first[sp+1] - 1
		}
		var tail []*RequestAttribution
		for _, k := range keys[i : j+1] {
			tail = append(tail, tailOf[k]...)
		}
		s := Spike{
			Start:    run.Start.Add(time.Duration(keys[i]) * w),
			End:      run.Start.Add(time.Duration(keys[j]+1) * w),
			Requests: spikeN[sp], P99: spikeP99[sp], Max: spikeMax[sp],
		}
		var phases uint8
		var gc, total time.Duration
		for _, ra := range tail {
			gc += ra.Breakdown.GC(ra.Latency)
			total += ra.Latency
			s.Cycles = append(s.Cycles, ra.Cycles...)
			for p, name := range phaseNames {
				if slices.Contains(ra.Phases, name) {
					phases |= 1 << p
				}
			}
		}
		if total > 0 {
			s.GCShare = float64(gc) / float64(total)
		}
		slices.Sort(s.Cycles)
		s.Cycles = slices.Clip(slices.Compact(s.Cycles))
		s.Phases = phaseList(phases)
		out = append(out, s)
	}
	if len(out) > maxSpikes {
		// Keep the worst, then put them back in time order.
		slices.SortStableFunc(out, func(a, b Spike) int { return cmp.Compare(b.Max, a.Max) })
		out = out[:maxSpikes]
		slices.SortFunc(out, func(a, b Spike) int { return cmp.Compare(a.Start, b.Start) })
	}
	return out, w
}
