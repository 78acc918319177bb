package harness

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"runtime/metrics"
	"runtime/pprof"
	"runtime/trace"
	"slices"
	"sync"
	"sync/atomic"
	"time"
)

// Config holds the flags every example takes.
type Config struct {
	Duration  time.Duration // how long the load runs (and the trace records)
	TracePath string        // where to write the execution trace; "" = no trace
	RPS       int           // requests per second offered by the load generator
	Workers   int           // requests served at once; the rest queue
	// Warmup is how long the load runs before the trace starts, so that
	// the recording shows the steady state (GC pacing, the GC CPU limiter)
	// rather than the start-up.
	Warmup time.Duration
	// AllocsPath, when set, is where the allocs profile (pprof) is written
	// when the trace window closes: the allocation sites gcwatch names.
	AllocsPath string
}

// Register adds -duration, -trace, -rps and -workers to fs with the given
// defaults and returns the config they fill in.
func Register(fs *flag.FlagSet, defaults Config) *Config {
	c := defaults
	fs.DurationVar(&c.Duration, "duration", c.Duration, "how long to serve load")
	fs.StringVar(&c.TracePath, "trace", c.TracePath, "write a runtime/trace execution trace to `FILE`")
	fs.IntVar(&c.RPS, "rps", c.RPS, "requests per second to offer")
	fs.IntVar(&c.Workers, "workers", c.Workers, "requests served concurrently")
	fs.DurationVar(&c.Warmup, "warmup", c.Warmup, "serve load this long before recording")
	fs.StringVar(&c.AllocsPath, "allocs", c.AllocsPath, "write the allocs profile (pprof) to `FILE` when the trace window closes")
	return &c
}

// Summary is what an example prints on stdout as one JSON line when it ends.
// Latencies cover every request served, the warm-up included.
// The recorder keeps it in meta.json; the GC cycle counts let tests line up
// the trace's cycles with the gctrace log's.
type Summary struct {
	Program  string  `json:"program"`
	Requests int     `json:"requests"`
	P50ms    float64 `json:"p50_ms"`
	P99ms    float64 `json:"p99_ms"`
	MaxMs    float64 `json:"max_ms"`
	// GC cycle counts around the trace window, read without stopping the
	// world. BeforeTrace is read before runtime/trace.Start (which can take
	// ~100 ms to calibrate its clock before it stops the world), AtTraceStart
	// right after Start returned, AtTraceStop right before trace.Stop and
	// AfterTrace after Stop returned. Cycles AtTraceStart+1 … AtTraceStop
	// (gctrace's "gc N") ended inside the trace; those in (BeforeTrace,
	// AtTraceStart] and (AtTraceStop, AfterTrace] may or may not appear in
	// it, the first of them possibly cut by the trace start.
	GCCyclesBeforeTrace  uint64 `json:"gc_cycles_before_trace"`
	GCCyclesAtTraceStart uint64 `json:"gc_cycles_at_trace_start"`
	GCCyclesAtTraceStop  uint64 `json:"gc_cycles_at_trace_stop"`
	GCCyclesAfterTrace   uint64 `json:"gc_cycles_after_trace"`
	// AllocBytes is what the program allocated on the heap between the
	// trace's start and stop (/gc/heap/allocs:bytes): what a code fix of a
	// hot path changes, to compare between two runs of the same load.
	AllocBytes uint64 `json:"alloc_bytes_in_trace"`
	// Extra holds program-specific facts (live heap built, lock waits...).
	Extra map[string]any `json:"extra,omitempty"`
}

// Logf writes one line of application output to stderr. The recorder keeps
// stderr as the gctrace log, so these lines are the ordinary program output
// that a gctrace parser must skip.
func Logf(program, format string, args ...any) {
	fmt.Fprintf(os.Stderr, "%s: %s\n", program, fmt.Sprintf(format, args...))
}

// gcCycles reads the number of completed GC cycles without stopping the
// world (runtime.ReadMemStats would add a pause to the trace).
func gcCycles() uint64 { return readMetric("/gc/cycles/total:gc-cycles") }

// heapAllocs reads the bytes allocated on the heap since the process
// started, without stopping the world.
func heapAllocs() uint64 { return readMetric("/gc/heap/allocs:bytes") }

func readMetric(name string) uint64 {
	s := []metrics.Sample{{Name: name}}
	metrics.Read(s)
	return s[0].Value.Uint64()
}

// Window records the execution trace around the load. Open it after setup,
// Close it when the load has drained.
type Window struct {
	file                           *os.File
	before, atStart, atStop, after uint64
	allocStart, allocStop          uint64
}

// OpenWindow starts the trace when path is not empty.
func OpenWindow(path string) (*Window, error) {
	w := &Window{before: gcCycles()}
	if path == "" {
		w.atStart = w.before
		w.allocStart = heapAllocs()
		return w, nil
	}
	f, err := os.Create(path)
	if err != nil {
		return nil, fmt.Errorf("create trace: %w", err)
	}
	if err := trace.Start(f); err != nil {
		f.Close()
		return nil, fmt.Errorf("start trace: %w", err)
	}
	w.file = f
	w.atStart = gcCycles()
	w.allocStart = heapAllocs()
	return w, nil
}

// Close stops the trace and flushes it to its file.
func (w *Window) Close() error {
	w.atStop = gcCycles()
	w.allocStop = heapAllocs()
	if w.file != nil {
		trace.Stop()
	}
	w.after = gcCycles()
	if w.file == nil {
		return nil
	}
	if err := w.file.Close(); err != nil {
		return fmt.Errorf("close trace: %w", err)
	}
	return nil
}

// Latencies collects request durations from many goroutines.
type Latencies struct {
	mu  sync.Mutex
	all []time.Duration
}

// Add records one request's duration.
func (l *Latencies) Add(d time.Duration) {
	l.mu.Lock()
	l.all = append(l.all, d)
	l.mu.Unlock()
}

// Summarize fills the request count and percentiles of s.
func (l *Latencies) Summarize(s *Summary) {
	l.mu.Lock()
	defer l.mu.Unlock()
	sorted := slices.Clone(l.all)
	slices.Sort(sorted)
	s.Requests = len(sorted)
	if len(sorted) == 0 {
		return
	}
	at := func(q float64) float64 {
		i := int(q * float64(len(sorted)-1))
		return float64(sorted[i]) / 1e6
	}
	s.P50ms, s.P99ms, s.MaxMs = at(0.50), at(0.99), at(1)
}

// Print writes the summary as one JSON line on stdout.
func (s *Summary) Print(w *Window) error {
	s.GCCyclesBeforeTrace, s.GCCyclesAtTraceStart = w.before, w.atStart
	s.GCCyclesAtTraceStop, s.GCCyclesAfterTrace = w.atStop, w.after
	s.AllocBytes = w.allocStop - w.allocStart
	return json.NewEncoder(os.Stdout).Encode(s)
}

// Serve offers the load for the warm-up, then records the trace window
// (when c.TracePath is set) while offering it for c.Duration. Each of
// during runs in its own goroutine for the length of the window (its
// context ends with the load) and has returned before the trace stops. The
// window's GC cycle counts are valid once Serve returns.
func (c *Config) Serve(issue func(ctx context.Context, id int), during ...func(ctx context.Context)) (*Window, error) {
	if c.Warmup > 0 {
		Drive(context.Background(), c.Warmup, c.RPS, issue)
	}
	win, err := OpenWindow(c.TracePath)
	if err != nil {
		return nil, err
	}
	ctx, stop := context.WithCancel(context.Background())
	var background sync.WaitGroup
	for _, f := range during {
		background.Go(func() { f(ctx) })
	}
	Drive(ctx, c.Duration, c.RPS, issue)
	stop()
	background.Wait()
	if err := win.Close(); err != nil {
		return nil, err
	}
	if c.AllocsPath != "" {
		if err := writeAllocs(c.AllocsPath); err != nil {
			return nil, err
		}
	}
	return win, nil
}

// writeAllocs writes the allocs profile as of the last GC cycle (no cycle
// is forced, so the gctrace log shows only the program's own).
func writeAllocs(path string) error {
	f, err := os.Create(path)
	if err != nil {
		return fmt.Errorf("create allocs profile: %w", err)
	}
	if err := pprof.Lookup("allocs").WriteTo(f, 0); err != nil {
		f.Close()
		return fmt.Errorf("write allocs profile: %w", err)
	}
	return f.Close()
}

// Drive offers load at rps requests per second for d, open loop: a request
// is issued on schedule whether or not earlier ones finished, each in its
// own goroutine (as net/http does), so slow service shows up as queueing
// and not as a lower offered rate. It returns when every request issued has
// finished.
func Drive(ctx context.Context, d time.Duration, rps int, issue func(ctx context.Context, id int)) {
	if rps <= 0 {
		rps = 1
	}
	var inflight sync.WaitGroup
	var next atomic.Int64
	start := time.Now()
	tick := time.NewTicker(time.Millisecond)
	defer tick.Stop()
	issued := 0
	for now := start; now.Sub(start) < d; now = <-tick.C {
		due := int(now.Sub(start).Seconds() * float64(rps))
		for ; issued < due; issued++ {
			id := int(next.Add(1))
			inflight.Go(func() { issue(ctx, id) })
		}
	}
	inflight.Wait()
}

// Pool limits how many requests are served at once; the others wait in a
// "queue" region, so queueing delay is part of each task's span.
type Pool struct {
	slots chan struct{}
	lat   *Latencies
}

// NewPool returns a pool serving up to workers requests at once.
func NewPool(workers int, lat *Latencies) *Pool {
	return &Pool{slots: make(chan struct{}, max(workers, 1)), lat: lat}
}

// Serve runs one request as a runtime/trace task named "request": it waits
// for a slot, then calls handle with the task's context.
func (p *Pool) Serve(ctx context.Context, handle func(ctx context.Context)) {
	begin := time.Now()
	ctx, task := trace.NewTask(ctx, "request")
	trace.WithRegion(ctx, "queue", func() { p.slots <- struct{}{} })
	handle(ctx)
	<-p.slots
	task.End()
	p.lat.Add(time.Since(begin))
}
