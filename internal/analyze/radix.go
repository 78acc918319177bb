package analyze

import (
	"slices"
	"time"

	"github.com/gcwatch/gcwatch/internal/model"
)

// Sorting a million request latencies with a comparison sort was most of
// the analysis of a request-heavy trace (0.6 s of 1.3 s for 1.1M requests
// in a profile). A radix sort over the 64-bit key needs no comparisons,
// and skips the bytes on which every key agrees (durations under a few
// seconds differ in their low five); below radixMin elements the
// comparison sort is quicker.
const radixMin = 1 << 11

// sortAscending sorts ds ascending, as slices.Sort does.
func sortAscending(ds []time.Duration) {
	if len(ds) < radixMin {
		slices.Sort(ds)
		return
	}
	flagSort(ds, func(d time.Duration) uint64 { return orderedKey(int64(d)) }, 56)
}

// sortSlowest puts all in the order slower(reqs) gives: slowest first,
// ties by start, then by index. The radix sort orders by latency alone;
// runs of equal latency are then sorted with the full comparison, so the
// result does not depend on the radix sort's order within a run.
func sortSlowest(all []ranked, reqs []model.Request) {
	order := slower(reqs)
	if len(all) < radixMin {
		slices.SortFunc(all, order)
		return
	}
	flagSort(all, func(r ranked) uint64 { return ^orderedKey(int64(r.latency)) }, 56)
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

// flagSort sorts s ascending by key in place, most significant byte first
// (an "American flag" sort: each byte's buckets are filled by swapping
// elements into place, then each bucket is sorted on the next byte).
// shift is the bit offset of the byte to start at (56 for a whole key).
// It needs no scratch copy (a least-significant-byte-first radix sort,
// which needs one as big as s, was no quicker); it is not stable.
func flagSort[T any](s []T, key func(T) uint64, shift uint) {
	for len(s) > 1 {
		if len(s) <= 32 {
			insertionSort(s, key)
			return
		}
		var counts [256]int
		for _, v := range s {
			counts[byte(key(v)>>shift)]++
		}
		if slices.Contains(counts[:], len(s)) {
			// Every key has the same byte here: go on with the next.
			if shift == 0 {
				return
			}
			shift -= 8
			continue
		}
		var next, end [256]int
		off := 0
		for i, n := range counts {
			next[i] = off
			off += n
			end[i] = off
		}
		for i := range next {
			for next[i] < end[i] {
				// Carry s[next[i]] to its bucket, and what was there to
				// its own, until one belongs in bucket i.
				v := s[next[i]]
				for d := byte(key(v) >> shift); d != byte(i); d = byte(key(v) >> shift) {
					s[next[d]], v = v, s[next[d]]
					next[d]++
				}
				s[next[i]] = v
				next[i]++
			}
		}
		if shift == 0 {
			return
		}
		start := 0
		for _, n := range counts {
			if n > 1 {
				flagSort(s[start:start+n], key, shift-8)
			}
			start += n
		}
		return
	}
}

func insertionSort[T any](s []T, key func(T) uint64) {
	for i := 1; i < len(s); i++ {
		for j := i; j > 0 && key(s[j]) < key(s[j-1]); j-- {
			s[j], s[j-1] = s[j-1], s[j]
		}
	}
}
