package analyze

import (
	"math/bits"
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

// SortDurations sorts ds ascending, as slices.Sort does (quicker on long
// slices).
func SortDurations(ds []time.Duration) {
	if len(ds) < radixMin {
		slices.Sort(ds)
		return
	}
	flagSort(ds, func(d time.Duration) uint64 { return orderedKey(int64(d)) }, 56)
}

// sortSlowest puts all in the order slower(reqs) gives: slowest first,
// ties by start, then by index.
//
// Trace clocks tick in tens of ns, so a request-dense trace has long runs
// of equal latency; sorting those with slower was a third of its analysis
// (each comparison looks up two requests' starts, scattered in memory).
// Requests of equal latency that ended in input order began in it too,
// which is how a trace's tasks come, so the radix sort's key is latency
// (descending) then index, when both fit in 64 bits. When all comes in
// index order and the requests' ends do not decrease along it (one pass,
// in memory order), that is slower's order; otherwise slower checks each
// run of equal latency, and sorts it when it is not already in order.
// When the key does not fit, the radix sort orders by latency alone and
// every run is sorted by slower.
func sortSlowest(all []ranked, reqs *model.Requests) {
	order := slower(reqs)
	if len(all) < radixMin {
		slices.SortFunc(all, order)
		return
	}
	maxLat, maxIndex, signed := time.Duration(0), int32(0), false
	for _, r := range all {
		maxLat, maxIndex = max(maxLat, r.latency), max(maxIndex, r.index)
		signed = signed || r.latency < 0 || r.index < 0
	}
	ib := uint(bits.Len32(uint32(maxIndex)))
	composite := !signed && ib+uint(bits.Len64(uint64(maxLat))) <= 64
	ordered := composite && endsInOrder(all, reqs)
	if composite {
		flagSort(all, func(r ranked) uint64 { return uint64(maxLat-r.latency)<<ib | uint64(r.index) }, 56)
	} else {
		flagSort(all, func(r ranked) uint64 { return ^orderedKey(int64(r.latency)) }, 56)
	}
	for i := 0; i < len(all); {
		j := i + 1
		for j < len(all) && all[j].latency == all[i].latency {
			j++
		}
		if run := all[i:j]; len(run) > 1 && !ordered && (!composite || !slices.IsSortedFunc(run, order)) {
			slices.SortFunc(run, order)
		}
		i = j
	}
}

// endsInOrder reports whether all is in increasing index order with the
// requests' ends not decreasing along it: then, among requests of equal
// latency, index order is start order.
func endsInOrder(all []ranked, reqs *model.Requests) bool {
	for k := 1; k < len(all); k++ {
		if all[k].index <= all[k-1].index || reqs.End(int(all[k].index)) < reqs.End(int(all[k-1].index)) {
			return false
		}
	}
	return true
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
