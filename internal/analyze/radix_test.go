package analyze

import (
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
	"time"
	"unsafe"

	"github.com/gcwatch/gcwatch/internal/model"
)

// TestSortDurationsMatchesSlices compares the radix sort with slices.Sort
// on inputs above and below the radix threshold, with negative values,
// heavy ties and keys differing only in high bytes.
func TestSortDurationsMatchesSlices(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	gens := map[string]func() time.Duration{
		"small":    func() time.Duration { return time.Duration(rng.IntN(5000)) * time.Microsecond },
		"signed":   func() time.Duration { return time.Duration(rng.Int64() - rng.Int64()) },
		"ties":     func() time.Duration { return time.Duration(rng.IntN(7)) },
		"highbyte": func() time.Duration { return time.Duration(rng.IntN(4)) << 56 },
	}
	for name, gen := range gens {
		for _, n := range []int{0, 1, 17, radixMin - 1, radixMin, 3*radixMin + 5} {
			ds := make([]time.Duration, n)
			for i := range ds {
				ds[i] = gen()
			}
			want := slices.Clone(ds)
			slices.Sort(want)
			SortDurations(ds)
			if !slices.Equal(ds, want) {
				t.Errorf("%s, n=%d: radix sort differs from slices.Sort", name, n)
			}
		}
	}
}

// TestSortSlowestMatchesComparison checks that sortSlowest gives exactly
// the order of the comparison sort with slower, ties by start and index
// included, from a shuffled input.
func TestSortSlowestMatchesComparison(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	for _, n := range []int{5, radixMin - 1, 4*radixMin + 3} {
		for _, spread := range []int{3, 1000, 1 << 40, 1 << 62} { // the last too wide for a key with the index
			// Requests in no order, starting in input order, ending in it (as
			// a trace's tasks do); the last also unshuffled, in index order.
			for _, layout := range []string{"random", "starts", "ends", "ends-unshuffled"} {
				reqs := make([]model.Request, n)
				all := make([]ranked, n)
				for i := range reqs {
					start := model.Time(rng.IntN(50))
					if layout == "starts" {
						start = model.Time(i / 3)
					}
					lat := time.Duration(rng.IntN(spread))
					if strings.HasPrefix(layout, "ends") {
						start = model.Time(i/3) - model.Time(lat)
					}
					reqs[i] = model.Request{Start: start, End: start.Add(lat)}
					all[i] = ranked{latency: lat, gc: rankedGC(rng.IntN(10)), index: int32(i)}
				}
				if layout != "ends-unshuffled" {
					rng.Shuffle(n, func(i, j int) { all[i], all[j] = all[j], all[i] })
				}
				want := slices.Clone(all)
				rs := model.RequestsOf(reqs...)
				slices.SortFunc(want, slower(rs))
				sortSlowest(all, rs)
				if !slices.Equal(all, want) {
					t.Errorf("n=%d spread=%d %s: order differs from the comparison sort", n, spread, layout)
				}
			}
		}
	}
}

// BenchmarkSortSlowest ranks a million requests whose latencies tick in
// 64 ns, as a trace's do: ended in input order (a trace's tasks) or not.
func BenchmarkSortSlowest(b *testing.B) {
	const n = 1 << 20
	for _, ended := range []bool{true, false} {
		rng := rand.New(rand.NewPCG(5, 6))
		reqs := make([]model.Request, n)
		in := make([]ranked, n)
		for i := range reqs {
			lat := time.Duration(rng.IntN(int(50*time.Microsecond/64))) * 64
			start := model.Time(i)
			if ended {
				start = model.Time(i) - model.Time(lat)
			}
			reqs[i] = model.Request{Start: start, End: start.Add(lat)}
			in[i] = ranked{latency: lat, index: int32(i)}
		}
		rs := model.RequestsOf(reqs...)
		all := make([]ranked, n)
		b.Run(fmt.Sprintf("ended-in-order=%v/radix", ended), func(b *testing.B) {
			for b.Loop() {
				copy(all, in)
				sortSlowest(all, rs)
			}
		})
		b.Run(fmt.Sprintf("ended-in-order=%v/comparison", ended), func(b *testing.B) {
			for b.Loop() {
				copy(all, in)
				slices.SortFunc(all, slower(rs))
			}
		})
	}
}

// TestRankedGC checks that a ranked entry gives back the GC time and the
// flag it was made with, for times that fit its 31 bits and times that
// do not, and that it stays 16 bytes.
func TestRankedGC(t *testing.T) {
	if s := unsafe.Sizeof(ranked{}); s != 16 {
		t.Errorf("ranked takes %d bytes, want 16", s)
	}
	var wide wideGC
	times := []time.Duration{0, 1, 999, time.Duration(gcWide) - 1, time.Duration(gcWide), time.Duration(gcWide) + 1,
		time.Duration(metBit), 10 * time.Second, time.Duration(math.MaxInt64), -1, math.MinInt64}
	var all []ranked
	for i, gc := range times {
		for _, met := range []bool{false, true} {
			all = append(all, wide.rank(time.Duration(i), gc, int32(2*i+btoi(met)), met))
		}
	}
	for k, r := range all {
		gc, met := times[k/2], k%2 == 1
		if got := wide.gcTime(r); got != gc || r.met() != met || r.latency != time.Duration(k/2) || r.index != int32(k) {
			t.Errorf("entry %d: GC %v met %v latency %v index %d, want %v %v %v %d", k, got, r.met(), r.latency, r.index, gc, met, time.Duration(k/2), k)
		}
	}
	if len(wide) != 2*7 {
		t.Errorf("%d wide GC times, want 14", len(wide))
	}
}

func btoi(b bool) int {
	if b {
		return 1
	}
	return 0
}
