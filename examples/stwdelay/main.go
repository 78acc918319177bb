// Command stwdelay is a service whose GC pauses are long although its heap
// is small: a background job runs a checksum loop in a function the runtime
// cannot preempt (marked //go:nosplit, so the compiler makes every
// instruction of it an unsafe point for asynchronous preemption). When the GC
// wants to stop the world while the loop runs, it has to wait for the loop to
// end: the pause is mostly time-to-stop, and every request in flight waits
// too.
//
// With -preemptible the job runs the same loop in an ordinary function
// (checksumPreemptible, without //go:nosplit): the fix. The runtime can
// then preempt it asynchronously, and the world stops in microseconds.
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"runtime/trace"
	"strconv"
	"strings"
	"time"

	"github.com/gcwatch/gcwatch/examples/internal/harness"
)

const program = "stwdelay"

func main() {
	if err := run(os.Args[1:]); err != nil {
		fmt.Fprintf(os.Stderr, "%s: %v\n", program, err)
		os.Exit(1)
	}
}

// checksum hashes data rounds times. It must not be preemptible, which is
// the point of this example: //go:nosplit makes the whole function an unsafe
// point for asynchronous preemption, and //go:noinline keeps it from being
// inlined into a caller that would be preemptible. It calls nothing, so it
// stays within the nosplit stack limit.
//
//go:nosplit
//go:noinline
func checksum(data []uint64, rounds int) uint64 {
	var h uint64 = 14695981039346656037
	for r := 0; r < rounds; r++ {
		for _, v := range data {
			h = (h ^ v) * 1099511628211
		}
	}
	return h
}

// checksumPreemptible is checksum as ordinary Go code: the fix. The loop
// is the same; without //go:nosplit the runtime may preempt it at any
// instruction.
//
//go:noinline
func checksumPreemptible(data []uint64, rounds int) uint64 {
	var h uint64 = 14695981039346656037
	for r := 0; r < rounds; r++ {
		for _, v := range data {
			h = (h ^ v) * 1099511628211
		}
	}
	return h
}

// batch runs the checksum job every period until ctx ends.
type batch struct {
	data    []uint64
	sum     func([]uint64, int) uint64
	rounds  int
	period  time.Duration
	runs    int
	longest time.Duration
}

func (b *batch) run(ctx context.Context) {
	t := time.NewTicker(b.period)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		start := time.Now()
		trace.WithRegion(ctx, "checksum job", func() { b.sum(b.data, b.rounds) })
		b.longest = max(b.longest, time.Since(start))
		b.runs++
	}
}

func handle(ctx context.Context, id, fields int) int {
	var rec []string
	trace.WithRegion(ctx, "parse", func() {
		line := strings.Repeat("field"+strconv.Itoa(id)+",", fields)
		rec = strings.Split(line, ",")
	})
	var out string
	trace.WithRegion(ctx, "format", func() { out = strings.Join(rec, ";") })
	return len(out)
}

func run(args []string) error {
	fs := flag.NewFlagSet(program, flag.ContinueOnError)
	cfg := harness.Register(fs, harness.Config{Duration: time.Second, RPS: 1000, Workers: 8})
	fields := fs.Int("fields", 1000, "fields per parsed record (garbage per request)")
	words := fs.Int("job-words", 1<<16, "64-bit words the checksum job hashes per round")
	rounds := fs.Int("job-rounds", 250, "rounds per checksum job")
	period := fs.Duration("job-every", 60*time.Millisecond, "how often the checksum job starts")
	preemptible := fs.Bool("preemptible", false, "run the job's loop in an ordinary, preemptible function (the fix) instead of the //go:nosplit one")
	if err := fs.Parse(args); err != nil {
		return err
	}
	job := &batch{data: make([]uint64, *words), sum: checksum, rounds: *rounds, period: *period}
	if *preemptible {
		job.sum = checksumPreemptible
	}
	for i := range job.data {
		job.data[i] = uint64(i) * 2654435761
	}
	harness.Logf(program, "checksum job of %d words x %d rounds every %v; serving %d rps for %v", *words, *rounds, *period, cfg.RPS, cfg.Duration)

	var lat harness.Latencies
	pool := harness.NewPool(cfg.Workers, &lat)
	win, err := cfg.Serve(func(ctx context.Context, id int) {
		pool.Serve(ctx, func(ctx context.Context) { handle(ctx, id, *fields) })
	}, job.run)
	if err != nil {
		return err
	}
	s := harness.Summary{Program: program, Extra: map[string]any{
		"job_runs": job.runs, "job_longest_ms": float64(job.longest) / 1e6, "job_words": *words, "job_rounds": *rounds, "preemptible": *preemptible,
	}}
	lat.Summarize(&s)
	harness.Logf(program, "served %d requests, %d checksum jobs (longest %v), p99 %.2f ms", s.Requests, job.runs, job.longest.Round(time.Millisecond), s.P99ms)
	return s.Print(win)
}
