package main

import (
	"bytes"
	"context"
	"testing"
)

// TestLeanSameResponse: the allocation fix answers every request with the
// bytes price gives, and allocates less for it.
func TestLeanSameResponse(t *testing.T) {
	c := newCatalog(2000)
	ctx := context.Background()
	for id := range 300 {
		body := c.requestBody(id, 1+id%130)
		want, err := c.price(ctx, body)
		if err != nil {
			t.Fatal(err)
		}
		got, err := c.priceLean(ctx, body)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(got, want) {
			t.Fatalf("request %d:\nlean  %s\nprice %s", id, got, want)
		}
	}
	body := c.requestBody(7, 120)
	before := testing.AllocsPerRun(50, func() { c.price(ctx, body) })
	after := testing.AllocsPerRun(50, func() { c.priceLean(ctx, body) })
	t.Logf("allocations per request: price %.0f, lean %.0f", before, after)
	if after > before/2 {
		t.Errorf("lean allocates %.0f times per request, price %.0f: not a fix", after, before)
	}
	// An empty order and a customer name that needs escaping.
	for _, body := range []string{`{"customer":"a\"<b>\u00e9","lines":[]}`, `{"customer":"","lines":null}`} {
		want, _ := c.price(ctx, []byte(body))
		got, _ := c.priceLean(ctx, []byte(body))
		if !bytes.Equal(got, want) {
			t.Errorf("%s:\nlean  %s\nprice %s", body, got, want)
		}
	}
}
