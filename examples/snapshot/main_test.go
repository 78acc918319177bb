//go:build unix

package main

import (
	"bytes"
	"context"
	"testing"
	"time"
)

// TestChunkedBackupCopiesTheSame: the chunked backup copies the whole
// arena, as the single copy() does, also when the size is not a multiple of
// the chunk.
func TestChunkedBackupCopiesTheSame(t *testing.T) {
	arena := make([]byte, 1<<20+123)
	for i := range arena {
		arena[i] = byte(i * 131)
	}
	for _, chunk := range []int{0, 4 << 10, 256 << 10} {
		b := &backup{arena: arena, copy: make([]byte, len(arena)), chunk: chunk, period: time.Millisecond}
		ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
		b.run(ctx)
		cancel()
		if b.runs == 0 || !bytes.Equal(b.copy, arena) {
			t.Errorf("chunk %d: %d runs, copy equal %v", chunk, b.runs, bytes.Equal(b.copy, arena))
		}
	}
}

// TestMisses: one request in N waits for the backing store.
func TestMisses(t *testing.T) {
	arena := make([]byte, 1<<16)
	m := &miss{every: 4, latency: 200 * time.Millisecond}
	for id, want := range []bool{true, false, false, false, true} {
		start := time.Now()
		get(context.Background(), arena, id, 256, m)
		if waited := time.Since(start) >= m.latency; waited != want {
			t.Errorf("request %d: waited %v, want %v", id, waited, want)
		}
	}
}
