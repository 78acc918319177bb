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
	// Only windows holding a tail request matter; gather the latencies of
	// those alone.
	type bucket struct {
		all  []time.Duration
		slow []*RequestAttribution
	}
	buckets := map[int64]*bucket{}
	for i := range slow {
		k := window(slow[i].Request.End)
		b := buckets[k]
		if b == nil {
			b = &bucket{}
			buckets[k] = b
		}
		b.slow = append(b.slow, &slow[i])
	}
	keys := make([]int64, 0, len(buckets))
	for k := range buckets {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	// Every request is looked up: a slice over the windows between the
	// first and last tail window is quicker than the map (a tenth of the
	// analysis of a million requests), when that span is not absurd.
	lookup := func(k int64) *bucket { return buckets[k] }
	if n := len(keys); n > 0 && keys[n-1]-keys[0] < maxDenseWindows {
		first, span := keys[0], keys[n-1]-keys[0]+1
		dense := make([]*bucket, span)
		for _, k := range keys {
			dense[k-first] = buckets[k]
		}
		lookup = func(k int64) *bucket {
			if k -= first; k >= 0 && k < span {
				return dense[k]
			}
			return nil
		}
	}
	for _, r := range all {
		if b := lookup(window(reqs.End(int(r.index)))); b != nil {
			b.all = append(b.all, r.latency)
		}
	}
	var out []Spike
	for i := 0; i < len(keys); {
		// Merge runs of adjacent windows into one spike.
		j := i
		for j+1 < len(keys) && keys[j+1] == keys[j]+1 {
			j++
		}
		var lats []time.Duration
		var tail []*RequestAttribution
		for _, k := range keys[i : j+1] {
			lats = append(lats, buckets[k].all...)
			tail = append(tail, buckets[k].slow...)
		}
		d := Distribute(lats)
		s := Spike{
			Start:    run.Start.Add(time.Duration(keys[i]) * w),
			End:      run.Start.Add(time.Duration(keys[j]+1) * w),
			Requests: d.Count, P99: d.P99, Max: d.Max,
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
		i = j + 1
	}
	if len(out) > maxSpikes {
		// Keep the worst, then put them back in time order.
		slices.SortStableFunc(out, func(a, b Spike) int { return cmp.Compare(b.Max, a.Max) })
		out = out[:maxSpikes]
		slices.SortFunc(out, func(a, b Spike) int { return cmp.Compare(a.Start, b.Start) })
	}
	return out, w
}
