package analyze

import (
	"slices"
	"time"

	"github.com/gcwatch/gcwatch/internal/model"
)

// Sorting a million request latencies with a comparison sort was most of
// the analysis of a request-heavy trace (0.6 s of 1.3 s for 1.1M requests
// in a profile). A least-significant-digit radix sort over the 64-bit key
// does a fixed eight passes at most, fewer when the high bytes of every key
// agree (durations under a few seconds use five bytes), and needs no
// comparisons; below radixMin elements the comparison sort is quicker.
const radixMin = 1 << 11

// sortAscending sorts ds ascending, as slices.Sort does.
func sortAscending(ds []time.Duration) {
	if len(ds) < radixMin {
		slices.Sort(ds)
		return
	}
	radixSort(ds, func(d time.Duration) uint64 { return orderedKey(int64(d)) })
}

// sortSlowest puts all in the order slower(reqs) gives: slowest first,
// ties by start, then by index. The radix sort orders by latency alone;
// runs of equal latency (rare: times are nanoseconds) are then sorted with
// the full comparison, so the result does not depend on the radix sort's
// order within a run.
func sortSlowest(all []ranked, reqs []model.Request) {
	order := slower(reqs)
	if len(all) < radixMin {
		slices.SortFunc(all, order)
		return
	}
	radixSort(all, func(r ranked) uint64 { return ^orderedKey(int64(r.latency)) })
	for i := 0; i < len(all); {
		j := i + 1
		for j < len(all) && all[j].latency == all[i].latency {
			j++
		}
		if j-i > 1 {
			slices.SortFunc(all[i:j], order)
		}
		i = j
	}
}

// orderedKey maps v to an unsigned key with the same order (the sign bit
// flipped, so negative values come first).
func orderedKey(v int64) uint64 { return uint64(v) ^ 1<<63 }

// radixSort sorts s ascending by key, stably, one byte at a time from the
// lowest; a byte on which every key agrees is skipped. It allocates one
// scratch copy of s.
func radixSort[T any](s []T, key func(T) uint64) {
	var counts [8][256]int
	for _, v := range s {
		k := key(v)
		for b := range 8 {
			counts[b][byte(k>>(8*b))]++
		}
	}
	src, dst := s, make([]T, len(s))
	for b := range 8 {
		c := &counts[b]
		if slices.Contains(c[:], len(s)) {
			continue // every key has the same byte here
		}
		// counts become the start offset of each byte value.
		off := 0
		for i, n := range c {
			c[i] = off
			off += n
		}
		shift := 8 * b
		for _, v := range src {
			d := byte(key(v) >> shift)
			dst[c[d]] = v
			c[d]++
		}
		src, dst = dst, src
	}
	if &src[0] != &s[0] {
		copy(s, src)
	}
}
