package main

import (
	"bytes"
	"runtime"
	"testing"
)

// TestReusedBuffersRenderTheSame: rendering into a reused buffer gives the
// statement the original renders into a new one.
func TestReusedBuffersRenderTheSame(t *testing.T) {
	l := newLedger(64, 8)
	a := l.find(17)
	a.post(42, "payment 1")
	want := a.statement(4 << 10)
	buf := make([]byte, 0, 4<<10)
	buf = append(buf, "stale bytes from an earlier statement"...)
	if got := a.statementInto(buf, 4<<10); !bytes.Equal(got, want) || len(want) == 0 {
		t.Fatalf("statements differ:\n%q\n%q", got, want)
	}
}

// TestReuseBuffersAllocates: -reuse-buffers N allocates a statement buffer
// on one request in N (1: every request), 0 only when none is free.
func TestReuseBuffersAllocates(t *testing.T) {
	l := newLedger(64, 8)
	a := l.find(3)
	const size, requests = 256 << 10, 400
	for _, tc := range []struct {
		every int
		share float64 // buffers allocated per request
	}{{1, 1}, {4, 0.25}, {0, 0}} {
		b := &buffers{free: make(chan []byte, 4), size: size, every: tc.every}
		b.render(a, 1) // fill the free list
		var before, after runtime.MemStats
		runtime.ReadMemStats(&before)
		for id := range requests {
			b.render(a, id+2)
		}
		runtime.ReadMemStats(&after)
		// Besides the buffers, a render allocates its small builder.
		perRequest := float64(after.TotalAlloc-before.TotalAlloc) / requests
		if want := tc.share * size; perRequest < want || perRequest > want+size/20 {
			t.Errorf("-reuse-buffers %d: %.0f bytes per request, want %.0f and a little", tc.every, perRequest, want)
		}
	}
}
