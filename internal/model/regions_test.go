package model

import (
	"encoding/json"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"testing"
)

// TestRegionsRoundTrip checks that regions come out of the compact store
// as they went in, in order, across blocks, with starts out of order,
// extreme values and many types.
func TestRegionsRoundTrip(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	var in []Region
	for i := range 30_000 {
		start := Time(rng.Int64N(1e12))
		r := Region{
			Task: rng.Uint64N(1e6), Type: fmt.Sprintf("type-%d", rng.IntN(7)), Goroutine: rng.Uint64N(1e5),
			Start: start, End: start + Time(rng.Int64N(1e9)), Open: i%5 == 0,
		}
		if i%997 == 0 {
			r = Region{Task: math.MaxUint64, Type: "", Goroutine: math.MaxUint64, Start: math.MinInt64 / 2, End: math.MaxInt64 / 2}
		}
		in = append(in, r)
	}
	s := RegionsOf(in...)
	if s.Len() != len(in) || len(s.blocks) < 2 {
		t.Fatalf("%d regions in %d blocks, want %d in several", s.Len(), len(s.blocks), len(in))
	}
	if got := s.Slice(); !slices.Equal(got, in) {
		for i := range in {
			if got[i] != in[i] {
				t.Fatalf("region %d: got %+v, want %+v", i, got[i], in[i])
			}
		}
	}
	if perByte := float64(len(in)) / float64(len(s.blocks)*regionBlockSize); perByte < 1.0/24 {
		t.Errorf("%.1f bytes per region: the store is not compact", 1/perByte)
	}

	b, err := json.Marshal(s)
	if err != nil {
		t.Fatal(err)
	}
	var back Regions
	if err := json.Unmarshal(b, &back); err != nil {
		t.Fatal(err)
	}
	if !back.Equal(s) || !s.Equal(&back) {
		t.Errorf("JSON round trip changed the regions")
	}
	var plain []Region
	json.Unmarshal(b, &plain)
	if !slices.Equal(plain, in) {
		t.Errorf("JSON is not an array of Region")
	}
	back.Add(Region{Type: "one more"})
	if back.Equal(s) {
		t.Errorf("Equal ignores an extra region")
	}
}

func TestRegionsNilAndEmpty(t *testing.T) {
	var nilSet *Regions
	if nilSet.Len() != 0 || len(nilSet.Slice()) != 0 || !nilSet.Equal(&Regions{}) {
		t.Errorf("a nil set is not empty")
	}
	for range nilSet.All() {
		t.Errorf("a nil set yields a region")
	}
	first := RegionsOf(Region{Type: "a", End: 5}, Region{Type: "b", Start: 1, End: 2})
	n := 0
	for range first.All() {
		n++
		break
	}
	if n != 1 {
		t.Errorf("All did not stop when asked")
	}
}

// BenchmarkRegionsAdd measures storing a region the way ingest does: a
// few types, starts close together.
func BenchmarkRegionsAdd(b *testing.B) {
	types := []string{"handle", "fanout", "db", "render"}
	var s Regions
	b.ReportAllocs()
	for i := range b.N {
		start := Time(i * 300)
		s.Add(Region{Task: uint64(i / 4), Type: types[i%4], Goroutine: uint64(i % 100), Start: start, End: start + 150})
	}
	b.ReportMetric(float64(len(s.blocks)*regionBlockSize)/float64(b.N), "bytes/region")
}
