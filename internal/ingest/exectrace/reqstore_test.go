package exectrace

import (
	"math"
	"math/rand/v2"
	"slices"
	"testing"
	"time"

	"github.com/gcwatch/gcwatch/internal/model"
)

// storedRequest is a request with the goroutines it lists.
type storedRequest struct {
	r    requestRec
	gors []uint64
}

// storeInput makes n requests with deltas of every sign and extreme
// values.
func storeInput(n int) []storedRequest {
	rng := rand.New(rand.NewPCG(1, 2))
	var in []storedRequest
	for i := range n {
		r := requestRec{
			id: uint64(i + 1), start: model.Time(i * 1000), end: model.Time(i*1000 + rng.IntN(1e6)),
			running: time.Duration(rng.IntN(1e6)), runnable: time.Duration(rng.IntN(1e3)),
			blocked: time.Duration(rng.Int64()), total: rng.IntN(100),
			typ: uint32(rng.IntN(4)), open: i%7 == 0,
		}
		var gors []uint64
		for k := range rng.IntN(4) {
			gors = append(gors, uint64(i+k*rng.IntN(1000)))
		}
		if i%3 == 0 {
			r.parent = uint64(rng.IntN(i + 1))
		}
		if i%5 == 0 { // pause stacks, as when reading stacks
			r.pauses, r.pauseN = i*2, uint32(1+rng.IntN(3))
		}
		if i%101 == 0 { // out of order and extreme
			r.id, r.parent = math.MaxUint64-uint64(i), math.MaxUint64
			r.start, r.end = math.MinInt64+1, math.MaxInt64
			r.syscall, r.assist, r.sweep, r.runnableDuringMark = -1, math.MaxInt64, math.MinInt64, 1
			r.typ = math.MaxUint32
			r.pauses, r.pauseN = math.MaxInt64, math.MaxUint32
			gors = []uint64{math.MaxUint64, 0, math.MaxUint64 / 3}
		}
		if i%997 == 0 { // as many goroutines as a request lists
			gors = nil
			for k := range maxListedGoroutines {
				gors = append(gors, uint64(rng.Int64()>>(k%60)))
			}
		}
		r.listed = len(gors)
		in = append(in, storedRequest{r, gors})
	}
	return in
}

// TestRequestStoreRoundTrip checks that requests and their goroutines
// come out of the store as they went in, in order, across blocks.
func TestRequestStoreRoundTrip(t *testing.T) {
	in := storeInput(40_000)
	var s requestStore
	for _, x := range in {
		s.add(x.r, x.gors)
	}
	if s.n != len(in) || len(s.blocks) < 2 {
		t.Fatalf("%d requests in %d blocks, want %d in several", s.n, len(s.blocks), len(in))
	}
	i := 0
	s.drain(func(r *requestRec, gors []uint64) {
		if i < len(in) && (*r != in[i].r || !slices.Equal(gors, in[i].gors)) {
			t.Fatalf("request %d: got %+v %v, want %+v %v", i, *r, gors, in[i].r, in[i].gors)
		}
		i++
	})
	if i != len(in) || s.n != 0 || s.blocks != nil {
		t.Errorf("drained %d of %d; store left with %d requests", i, len(in), s.n)
	}
}
