package main

import (
	"bytes"
	"context"
	"encoding/json"
	"reflect"
	"testing"
)

// TestFixedServesTheSame: the fixed hot path reads the same request bytes
// and answers the same quote as the original, so that the proof compares
// one program's allocation with and without the fix, not two programs.
func TestFixedServesTheSame(t *testing.T) {
	cat := newCatalog(2000)
	ctx := context.Background()
	sc := scratchPool.Get().(*scratch)
	for _, id := range []int{0, 1, 7, 999, 123456} {
		body := cat.requestBody(id, 120)
		sc.body = cat.appendRequestBody(sc.body[:0], id, 120)
		if !bytes.Equal(body, sc.body) {
			t.Fatalf("request %d: bodies differ:\n%s\n%s", id, body, sc.body)
		}
		want, err := cat.price(ctx, body)
		if err != nil {
			t.Fatal(err)
		}
		got, err := cat.priceFixed(ctx, sc)
		if err != nil {
			t.Fatal(err)
		}
		var a, b quote
		if err := json.Unmarshal(want, &a); err != nil {
			t.Fatal(err)
		}
		if err := json.Unmarshal(got, &b); err != nil {
			t.Fatalf("request %d: the fixed response is not JSON: %v\n%s", id, err, got)
		}
		if !reflect.DeepEqual(a, b) || len(a.Lines) != 120 {
			t.Fatalf("request %d: quotes differ:\n%+v\n%+v", id, a, b)
		}
	}
}

// TestFixedAllocatesLess: with its scratch warm, the fixed path allocates a
// small fraction of what the original does per request.
func TestFixedAllocatesLess(t *testing.T) {
	cat := newCatalog(2000)
	ctx := context.Background()
	sc := &scratch{byTag: map[string]int64{}}
	id := 0
	fixed := testing.AllocsPerRun(50, func() {
		id++
		sc.body = cat.appendRequestBody(sc.body[:0], id, 120)
		if _, err := cat.priceFixed(ctx, sc); err != nil {
			t.Fatal(err)
		}
	})
	orig := testing.AllocsPerRun(50, func() {
		id++
		if _, err := cat.price(ctx, cat.requestBody(id, 120)); err != nil {
			t.Fatal(err)
		}
	})
	t.Logf("allocations per request: %.0f original, %.0f fixed", orig, fixed)
	if fixed > orig/3 {
		t.Errorf("fixed path: %.0f allocations per request, original %.0f", fixed, orig)
	}
}
