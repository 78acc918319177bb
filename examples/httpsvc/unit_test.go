package main

import (
	"io"
	"math"
	"math/rand/v2"
	"runtime/metrics"
	"slices"
	"strings"
	"testing"
	"time"
)

// TestSearchMatchesScan checks the index against a scan of every product.
func TestSearchMatchesScan(t *testing.T) {
	c := newCatalogue(2000)
	for _, q := range []string{"kettle", "Blue lamp", "acme kitchen", "durable", "nothing-like-this", "", "red red"} {
		terms := strings.Fields(strings.ToLower(q))
		var want []int
		brands := map[string]int{}
		for _, p := range c.products {
			words := append(strings.Fields(p.Name+" "+p.Brand+" "+p.Category), p.Tags...)
			all := len(terms) > 0
			for _, term := range terms {
				all = all && slices.Contains(words, term)
			}
			if all {
				want = append(want, p.ID)
				brands[p.Brand]++
			}
		}
		res := c.search(q, 10)
		if res.Total != len(want) || len(res.Hits) != min(10, len(want)) || !mapsEqual(res.Brands, brands) {
			t.Errorf("search %q: total %d, %d hits, brands %v; want %d, %v", q, res.Total, len(res.Hits), res.Brands, len(want), brands)
		}
		for i, h := range res.Hits {
			if !slices.Contains(want, h.ID) {
				t.Errorf("search %q: hit %d does not match", q, h.ID)
			}
			if i > 0 && (h.Stars > res.Hits[i-1].Stars) {
				t.Errorf("search %q: hits not best rated first", q)
			}
		}
	}
}

func mapsEqual(a, b map[string]int) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if b[k] != v {
			return false
		}
	}
	return true
}

// TestHistQuantile checks the bucket quantiles against the counts
// expanded into one value per pause (its bucket's reported bound).
func TestHistQuantile(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	for range 200 {
		n := 1 + rng.IntN(8)
		h := &metrics.Float64Histogram{Buckets: []float64{math.Inf(-1)}}
		for i := range n {
			h.Buckets = append(h.Buckets, float64(i+1)*1e-4)
			h.Counts = append(h.Counts, uint64(rng.IntN(4)))
		}
		h.Buckets = append(h.Buckets, math.Inf(1))
		h.Counts = append(h.Counts, uint64(rng.IntN(2)))
		var values []float64 // sorted, as buckets are
		var total uint64
		for i, c := range h.Counts {
			bound := h.Buckets[i+1]
			if math.IsInf(bound, 1) {
				bound = h.Buckets[i]
			}
			for range c {
				values = append(values, bound)
			}
			total += c
		}
		for _, q := range []float64{0, 0.25, 0.5, 0.75, 0.9, 1} {
			got := histQuantile(h, total, q)
			want := 0.0
			if len(values) > 0 {
				want = values[max(int(math.Ceil(q*float64(len(values))))-1, 0)]
			}
			if got != want {
				t.Fatalf("counts %v q=%v: %v, want %v", h.Counts, q, got, want)
			}
		}
	}
}

func TestHistogramBuckets(t *testing.T) {
	var h histogram
	base := time.Now()
	defer func(f func() time.Time) { now = f }(now)
	for _, d := range []time.Duration{0, 500 * time.Microsecond, 501 * time.Microsecond, 7 * time.Millisecond, time.Minute} {
		now = func() time.Time { return base.Add(d) }
		h.observe(base)
	}
	// le=0.0005 holds 0 and 0.5ms (bounds are inclusive); 0.501ms is in
	// le=0.001, 7ms in le=0.01, a minute only in +Inf.
	want := map[int]uint64{0: 2, 1: 1, 4: 1, 13: 1}
	for i := range h.buckets {
		if h.buckets[i].Load() != want[i] {
			t.Errorf("bucket %d (le %v): %d, want %d", i, append(latencyBounds, math.Inf(1))[i], h.buckets[i].Load(), want[i])
		}
	}
	if h.count.Load() != 5 || time.Duration(h.sumNS.Load()) != time.Minute+7*time.Millisecond+1001*time.Microsecond {
		t.Errorf("count %d, sum %v", h.count.Load(), time.Duration(h.sumNS.Load()))
	}
}

func TestCartsEvictOldest(t *testing.T) {
	s := newCarts(2)
	p := &product{ID: 1, Name: "x", PriceCents: 100}
	s.add("a", p, 1)
	s.add("b", p, 2)
	s.add("a", p, 1)
	c := s.add("c", p, 3)
	if _, ok := s.get("a"); ok || s.len() != 2 || c.TotalCents != 300 {
		t.Errorf("after a, b, a, c with room for 2: a kept %v, %d carts, c total %d", ok, s.len(), c.TotalCents)
	}
	for range maxCartItems + 5 {
		c = s.add("b", p, 1)
	}
	if len(c.Items) != maxCartItems || c.TotalCents != maxCartItems*100 {
		t.Errorf("cart of %d items, total %d", len(c.Items), c.TotalCents)
	}
}

func TestParseFlags(t *testing.T) {
	for _, args := range [][]string{{"-load", "-1"}, {"-items", "0"}, {"-flightrec-slow", "-1s"}, {"-flightrec-keep", "0"}, {"extra"}, {"-nope"}} {
		if _, err := parseFlags(args, io.Discard); err == nil {
			t.Errorf("%q accepted", args)
		}
	}
	o, err := parseFlags([]string{"-load", "100", "-duration", "2s", "-flightrec-slow", "50ms"}, io.Discard)
	if err != nil || o.load != 100 || o.duration != 2*time.Second || o.slow != 50*time.Millisecond || o.addr != "127.0.0.1:0" {
		t.Errorf("%+v, %v", o, err)
	}
}
