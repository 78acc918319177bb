package exectrace

import (
	"math"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/gcwatch/gcwatch/internal/model"
)

// TestRequestStoreRoundTrip checks that requests come out of the store
// as they went in, in order, across blocks, with deltas of every sign and
// extreme values.
func TestRequestStoreRoundTrip(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	var in []requestRec
	for i := range 20_000 {
		r := requestRec{
			id: uint64(i + 1), start: model.Time(i * 1000), end: model.Time(i*1000 + rng.IntN(1e6)),
			running: time.Duration(rng.IntN(1e6)), runnable: time.Duration(rng.IntN(1e3)),
			blocked: time.Duration(rng.Int64()), goroutines: i * 2, listed: rng.IntN(3), total: rng.IntN(100),
			typ: uint32(rng.IntN(4)), open: i%7 == 0,
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
			r.goroutines, r.typ = 0, math.MaxUint32
			r.pauses, r.pauseN = math.MaxInt64, math.MaxUint32
		}
		in = append(in, r)
	}
	var s requestStore
	for _, r := range in {
		s.add(r)
	}
	if s.n != len(in) || len(s.blocks) < 2 {
		t.Fatalf("%d requests in %d blocks, want %d in several", s.n, len(s.blocks), len(in))
	}
	i := 0
	s.drain(func(r *requestRec) {
		if i < len(in) && *r != in[i] {
			t.Fatalf("request %d: got %+v, want %+v", i, *r, in[i])
		}
		i++
	})
	if i != len(in) || s.n != 0 || s.blocks != nil {
		t.Errorf("drained %d of %d; store left with %d requests", i, len(in), s.n)
	}
}

// TestChunkedView reads ranges of a chunked store inside one chunk, across
// one boundary and across several, against the plain sequence.
func TestChunkedView(t *testing.T) {
	var c chunked[uint64]
	const n = 3*storeChunk + 17
	for i := range n {
		c.add(uint64(i) * 3)
	}
	var scratch []uint64
	for _, r := range [][2]int{{0, 1}, {5, 40}, {storeChunk - 3, 3}, {storeChunk - 3, 7}, {storeChunk, 2}, {10, 2*storeChunk + 5}, {n - 4, 4}} {
		got := c.view(r[0], r[1], &scratch)
		if len(got) != r[1] || cap(got) != r[1] && r[0]%storeChunk+r[1] <= storeChunk {
			t.Fatalf("view(%d, %d): len %d cap %d", r[0], r[1], len(got), cap(got))
		}
		for k, v := range got {
			if v != uint64(r[0]+k)*3 {
				t.Fatalf("view(%d, %d)[%d] = %d, want %d", r[0], r[1], k, v, (r[0]+k)*3)
			}
		}
	}
}
