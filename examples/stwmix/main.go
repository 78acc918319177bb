// Command stwmix is a service with an admin side that stops the world for
// reasons other than the GC's own pacing: it forces a GC (runtime.GC) on a
// timer to release a cache, exports runtime.ReadMemStats as metrics, serves
// goroutine profiles (and once a full goroutine dump), and changes
// GOMAXPROCS in the middle of the run, as an autoscaler adjusting to a new
// CPU quota would. The recording shows forced cycles beside paced ones and
// non-GC stop-the-world pauses by reason.
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"runtime"
	"runtime/pprof"
	"runtime/trace"
	"strconv"
	"strings"
	"time"

	"github.com/gcwatch/gcwatch/examples/internal/harness"
)

const program = "stwmix"

func main() {
	if err := run(os.Args[1:]); err != nil {
		fmt.Fprintf(os.Stderr, "%s: %v\n", program, err)
		os.Exit(1)
	}
}

// handle does a modest amount of work with some garbage: it tokenizes a
// generated document and counts words.
func handle(ctx context.Context, id, words int) int {
	var doc string
	trace.WithRegion(ctx, "fetch", func() {
		var b strings.Builder
		for i := range words {
			b.WriteString("word")
			b.WriteString(strconv.Itoa((id + i*13) % 97))
			b.WriteByte(' ')
		}
		doc = b.String()
	})
	counts := map[string]int{}
	trace.WithRegion(ctx, "count", func() {
		for _, w := range strings.Fields(doc) {
			counts[w]++
		}
	})
	return len(counts)
}

// admin runs the periodic maintenance tasks until ctx ends.
type admin struct {
	gcEvery, memStatsEvery, profileEvery time.Duration
	forced, memStats, profiles           int
	lastHeap                             uint64
}

func (a *admin) run(ctx context.Context) {
	tick := func(d time.Duration) <-chan time.Time {
		if d <= 0 {
			return nil
		}
		return time.NewTicker(d).C
	}
	gcTick, msTick, profTick := tick(a.gcEvery), tick(a.memStatsEvery), tick(a.profileEvery)
	for {
		select {
		case <-ctx.Done():
			return
		case <-gcTick:
			runtime.GC() // "release the cache": a forced cycle
			a.forced++
		case <-msTick:
			var ms runtime.MemStats
			runtime.ReadMemStats(&ms) // a metrics exporter's scrape
			a.lastHeap = ms.HeapAlloc
			a.memStats++
		case <-profTick:
			pprof.Lookup("goroutine").WriteTo(io.Discard, 0) // a profiling agent
			a.profiles++
		}
	}
}

// resize changes GOMAXPROCS at one third of the run and restores it at two
// thirds; at the middle it also dumps every goroutine's stack once, as a
// debug endpoint would.
func resize(ctx context.Context, d time.Duration, procs int) {
	steps := []struct {
		at  time.Duration
		act func()
	}{
		{d / 3, func() { runtime.GOMAXPROCS(max(procs/2, 1)) }},
		{d / 2, func() { pprof.Lookup("goroutine").WriteTo(io.Discard, 2) }},
		{2 * d / 3, func() { runtime.GOMAXPROCS(procs) }},
	}
	start := time.Now()
	for _, s := range steps {
		select {
		case <-ctx.Done():
			return
		case <-time.After(s.at - time.Since(start)):
			s.act()
		}
	}
}

func run(args []string) error {
	fs := flag.NewFlagSet(program, flag.ContinueOnError)
	cfg := harness.Register(fs, harness.Config{Duration: 1200 * time.Millisecond, RPS: 800, Workers: 8})
	words := fs.Int("words", 400, "words per generated document")
	gcEvery := fs.Duration("gc-every", 300*time.Millisecond, "force a GC this often (0 = never)")
	memStatsEvery := fs.Duration("memstats-every", 100*time.Millisecond, "read runtime.MemStats this often (0 = never)")
	profileEvery := fs.Duration("profile-every", 250*time.Millisecond, "take a goroutine profile this often (0 = never)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	procs := runtime.GOMAXPROCS(0)
	harness.Logf(program, "GOMAXPROCS %d; serving %d rps for %v", procs, cfg.RPS, cfg.Duration)

	var lat harness.Latencies
	pool := harness.NewPool(cfg.Workers, &lat)
	adm := &admin{gcEvery: *gcEvery, memStatsEvery: *memStatsEvery, profileEvery: *profileEvery}
	// The admin tasks and the resize run inside the recorded window.
	win, err := cfg.Serve(func(ctx context.Context, id int) {
		pool.Serve(ctx, func(ctx context.Context) { handle(ctx, id, *words) })
	}, adm.run, func(ctx context.Context) { resize(ctx, cfg.Duration, procs) })
	if err != nil {
		return err
	}
	s := harness.Summary{Program: program, Extra: map[string]any{
		"gomaxprocs": procs, "forced_gcs": adm.forced, "memstats_reads": adm.memStats, "goroutine_profiles": adm.profiles,
	}}
	lat.Summarize(&s)
	harness.Logf(program, "served %d requests, %d forced GCs, %d MemStats reads, %d profiles, p99 %.2f ms", s.Requests, adm.forced, adm.memStats, adm.profiles, s.P99ms)
	return s.Print(win)
}
