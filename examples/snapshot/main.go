//go:build unix

// Command snapshot is a key-value cache whose values live in a memory
// mapping outside the Go heap (as a cache backed by a mapped file keeps
// them), so its Go heap is small and collected often. A backup job copies
// the whole value arena into a second mapping every -backup-every with one
// copy(). Copying bytes is a single call to the runtime's memmove, written
// in assembly, which the runtime cannot preempt asynchronously: a GC that
// wants to stop the world while the copy runs waits for it to finish, and
// every request in flight waits too.
//
// With -chunk-kb N the job copies the arena N KB at a time (the fix), each
// chunk in a call to an ordinary Go function whose entry checks for a
// preemption request: the world waits at most one chunk's copy to stop.
// (A loop of copy() calls alone is not enough: the goroutine spends nearly
// all its time inside memmove, where the preemption signal finds no safe
// point.) The bytes copied stay the same.
//
// With -miss-every N one request in N misses the cache and waits
// -miss-latency for the backing store, as a cache's misses do.
package main

import (
	"context"
	"encoding/hex"
	"flag"
	"fmt"
	"os"
	"runtime/trace"
	"strings"
	"syscall"
	"time"

	"github.com/gcwatch/gcwatch/examples/internal/harness"
)

const program = "snapshot"

func main() {
	if err := run(os.Args[1:]); err != nil {
		fmt.Fprintf(os.Stderr, "%s: %v\n", program, err)
		os.Exit(1)
	}
}

// mapAnon returns n bytes of anonymous memory outside the Go heap.
func mapAnon(n int) ([]byte, error) {
	return syscall.Mmap(-1, 0, n, syscall.PROT_READ|syscall.PROT_WRITE, syscall.MAP_ANON|syscall.MAP_PRIVATE)
}

// backup copies the arena into its copy every period until ctx ends.
type backup struct {
	arena, copy []byte
	chunk       int // bytes per copy() call; 0 = the whole arena at once
	period      time.Duration
	runs        int
	longest     time.Duration
}

func (b *backup) run(ctx context.Context) {
	t := time.NewTicker(b.period)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		start := time.Now()
		trace.WithRegion(ctx, "backup", func() {
			if b.chunk <= 0 {
				copy(b.copy, b.arena)
				return
			}
			for off := 0; off < len(b.arena); off += b.chunk {
				end := min(off+b.chunk, len(b.arena))
				copyChunk(b.copy[off:end], b.arena[off:end])
			}
		})
		b.longest = max(b.longest, time.Since(start))
		b.runs++
	}
}

// copyChunk copies one chunk. It is not inlined, so every chunk begins with
// the function's stack check, where a goroutine asked to stop does so.
//
//go:noinline
func copyChunk(dst, src []byte) int { return copy(dst, src) }

// miss says which requests miss the cache and how long the backing store
// takes to answer them.
type miss struct {
	every   int
	latency time.Duration
}

// get serves one key: it reads the value from the arena and returns it
// hex-encoded, one line per 64 bytes, the way a text protocol would.
func get(ctx context.Context, arena []byte, id, valueBytes int, miss *miss) int {
	if miss.every > 0 && id%miss.every == 0 {
		trace.WithRegion(ctx, "backing store", func() { time.Sleep(miss.latency) })
	}
	off := (id * 7919 * valueBytes) % (len(arena) - valueBytes)
	var text string
	trace.WithRegion(ctx, "read", func() { text = hex.EncodeToString(arena[off : off+valueBytes]) })
	var out string
	trace.WithRegion(ctx, "format", func() {
		var lines []string
		for len(text) > 128 {
			lines = append(lines, text[:128])
			text = text[128:]
		}
		lines = append(lines, text)
		out = strings.Join(lines, "\r\n")
	})
	return len(out)
}

func run(args []string) error {
	fs := flag.NewFlagSet(program, flag.ContinueOnError)
	cfg := harness.Register(fs, harness.Config{Duration: time.Second, RPS: 1000, Workers: 8})
	arenaMB := fs.Int("arena-mb", 128, "size of the value arena (outside the Go heap), in MB")
	valueBytes := fs.Int("value-bytes", 4096, "bytes per value read by a request")
	period := fs.Duration("backup-every", 50*time.Millisecond, "how often the backup job copies the arena")
	chunkKB := fs.Int("chunk-kb", 0, "copy the arena this many KB at a time in a preemptible loop (the fix); 0 copies it with one copy() call")
	var m miss
	fs.IntVar(&m.every, "miss-every", 0, "one request in `N` misses the cache and waits for the backing store (0: none miss)")
	fs.DurationVar(&m.latency, "miss-latency", 5*time.Millisecond, "how long the backing store takes to answer a miss")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *chunkKB < 0 {
		return fmt.Errorf("-chunk-kb %d: want 0 or more", *chunkKB)
	}
	size := *arenaMB << 20
	if size <= *valueBytes {
		return fmt.Errorf("-arena-mb %d: want more than one value (-value-bytes %d)", *arenaMB, *valueBytes)
	}
	arena, err := mapAnon(size)
	if err != nil {
		return fmt.Errorf("map the arena: %w", err)
	}
	dup, err := mapAnon(size)
	if err != nil {
		return fmt.Errorf("map the backup: %w", err)
	}
	for i := range arena {
		arena[i] = byte(i * 131)
	}
	copy(dup, arena) // fault the backup's pages in before the load
	job := &backup{arena: arena, copy: dup, chunk: *chunkKB << 10, period: *period}
	harness.Logf(program, "arena of %d MB, backup every %v (chunk %d KB); serving %d rps for %v", *arenaMB, *period, *chunkKB, cfg.RPS, cfg.Duration)

	var lat harness.Latencies
	pool := harness.NewPool(cfg.Workers, &lat)
	win, err := cfg.Serve(func(ctx context.Context, id int) {
		pool.Serve(ctx, func(ctx context.Context) { get(ctx, arena, id, *valueBytes, &m) })
	}, job.run)
	if err != nil {
		return err
	}
	s := harness.Summary{Program: program, Extra: map[string]any{
		"arena_mb": *arenaMB, "chunk_kb": *chunkKB, "backups": job.runs, "miss_every": m.every, "backup_longest_ms": float64(job.longest) / 1e6,
	}}
	lat.Summarize(&s)
	harness.Logf(program, "served %d requests, %d backups (longest %v), p99 %.2f ms", s.Requests, job.runs, job.longest.Round(time.Millisecond), s.P99ms)
	return s.Print(win)
}
