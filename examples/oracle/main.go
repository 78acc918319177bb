// Command oracle is the reference gcwatch's GC figures are checked
// against: a program that allocates under load with every request a
// runtime/trace task, records an execution trace around the load, and
// writes what the Go runtime itself counted over exactly the traced
// interval — runtime/metrics and runtime.MemStats, read in-process.
//
// The interval runs from the end of one runtime.GC() to the end of
// another, both inside the trace: the runtime's CPU classes are brought up
// to date only at mark termination, so a completed cycle at each edge
// makes the readings cover the same time the trace does between the two
// cycles' ends. Run it under GODEBUG=gctrace=1 to get the gctrace log of
// the same process on stderr.
//
//	GODEBUG=gctrace=1 GOMAXPROCS=2 GOGC=50 oracle -trace trace.out -out oracle.json 2>gctrace.log
package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"math/rand/v2"
	"os"
	"runtime"
	"runtime/debug"
	"runtime/metrics"
	"runtime/trace"
	"slices"
	"strconv"
	"sync"
	"syscall"
	"time"
)

func main() {
	tracePath := flag.String("trace", "trace.out", "write the execution trace to `FILE`")
	out := flag.String("out", "", "write the runtime's figures (JSON) to `FILE` instead of standard output")
	duration := flag.Duration("duration", time.Second, "how long the load runs between the two edge cycles")
	workers := flag.Int("workers", 4, "goroutines serving requests")
	live := flag.Int("live", 48, "MiB of pointer-rich live heap kept and slowly replaced")
	flag.Parse()
	if err := run(*tracePath, *out, *duration, *workers, *live); err != nil {
		fmt.Fprintf(os.Stderr, "oracle: %v\n", err)
		os.Exit(1)
	}
}

// Figures is what the runtime counted over the interval. CPU classes are
// in seconds, as runtime/metrics gives them; deltas are end − start.
type Figures struct {
	GOMAXPROCS int `json:"gomaxprocs"`
	GOGC       int `json:"gogc"`

	// Cycles and ForcedCycles ended inside the interval: the last edge
	// cycle counts, the first does not.
	Cycles       uint64 `json:"cycles"`
	ForcedCycles uint64 `json:"forced_cycles"`
	// FirstCycle is the gctrace number ("gc N") of the first cycle
	// inside the interval.
	FirstCycle uint64 `json:"first_cycle"`

	// CPU holds every /cpu/classes/ metric's delta, by name.
	CPU map[string]float64 `json:"cpu_seconds"`

	// PauseTotalNs is MemStats.PauseTotalNs's delta, PauseNs the
	// per-cycle pause totals of the interval's cycles, in order.
	PauseTotalNs uint64   `json:"pause_total_ns"`
	PauseNs      []uint64 `json:"pause_ns"`
	// Pauses is the delta of /sched/pauses/total/gc:seconds: the count
	// of pauses whose length fell in [Bounds[i], Bounds[i+1]).
	Pauses PauseHistogram `json:"pauses"`

	// LiveHeapStart and LiveHeapEnd are /gc/heap/live:bytes right after
	// each edge cycle: the live heap the cycle marked.
	LiveHeapStart uint64 `json:"live_heap_start_bytes"`
	LiveHeapEnd   uint64 `json:"live_heap_end_bytes"`

	// ProcessCPU is the CPU time the process got over the interval
	// (getrusage: user + system, seconds). Beside GOMAXPROCS × wall
	// (/cpu/classes/total) it tells whether the host took CPUs away.
	ProcessCPU float64 `json:"process_cpu_seconds"`

	// Requests are the program's own timing of each task, in
	// nanoseconds, in the order they ended.
	Requests []int64 `json:"request_ns"`
	// TraceStart and TraceEnd bracket the interval in wall time, for
	// lining up the two clocks.
	WallStart time.Time `json:"wall_start"`
	WallEnd   time.Time `json:"wall_end"`
}

// PauseHistogram is a runtime/metrics histogram delta.
type PauseHistogram struct {
	Counts []uint64  `json:"counts"`
	Bounds []float64 `json:"bounds"` // len(Counts)+1; ±Inf as ±1e308
}

// reading is one snapshot of the runtime's counters.
type reading struct {
	samples []metrics.Sample
	mem     runtime.MemStats
}

func read() reading {
	var r reading
	for _, d := range metrics.All() {
		r.samples = append(r.samples, metrics.Sample{Name: d.Name})
	}
	metrics.Read(r.samples)
	runtime.ReadMemStats(&r.mem)
	return r
}

func (r reading) value(name string) metrics.Value {
	for _, s := range r.samples {
		if s.Name == name {
			return s.Value
		}
	}
	panic("no metric " + name)
}

func run(tracePath, out string, duration time.Duration, workers, liveMiB int) error {
	f, err := os.Create(tracePath)
	if err != nil {
		return err
	}
	defer f.Close()
	heap := newLiveHeap(liveMiB)
	runtime.GC() // start from a settled heap, before the trace
	if err := trace.Start(f); err != nil {
		return err
	}
	runtime.GC()
	start := read()
	cpuStart := processCPU()
	wallStart := time.Now()

	reqs := serve(duration, workers, heap)

	runtime.GC()
	wallEnd := time.Now()
	cpuEnd := processCPU()
	end := read()
	trace.Stop()
	runtime.KeepAlive(heap)

	fig := Figures{
		GOMAXPROCS: runtime.GOMAXPROCS(0),
		GOGC:       debug.SetGCPercent(-1),
		Requests:   reqs,
		WallStart:  wallStart,
		WallEnd:    wallEnd,
		CPU:        map[string]float64{},
		ProcessCPU: cpuEnd - cpuStart,
	}
	debug.SetGCPercent(fig.GOGC)
	c0 := start.value("/gc/cycles/total:gc-cycles").Uint64()
	c1 := end.value("/gc/cycles/total:gc-cycles").Uint64()
	fig.Cycles = c1 - c0
	fig.FirstCycle = c0 + 1
	fig.ForcedCycles = end.value("/gc/cycles/forced:gc-cycles").Uint64() - start.value("/gc/cycles/forced:gc-cycles").Uint64()
	if uint64(start.mem.NumGC) != c0 || uint64(end.mem.NumGC) != c1 {
		return fmt.Errorf("a cycle ran between reading the metrics and MemStats (%d/%d, %d/%d)", c0, start.mem.NumGC, c1, end.mem.NumGC)
	}
	for _, s := range end.samples {
		if len(s.Name) > 13 && s.Name[:13] == "/cpu/classes/" {
			fig.CPU[s.Name] = s.Value.Float64() - start.value(s.Name).Float64()
		}
	}
	fig.PauseTotalNs = end.mem.PauseTotalNs - start.mem.PauseTotalNs
	if fig.Cycles > uint64(len(end.mem.PauseNs)) {
		return fmt.Errorf("%d cycles: more than MemStats keeps (%d); shorten -duration", fig.Cycles, len(end.mem.PauseNs))
	}
	for n := c0 + 1; n <= c1; n++ {
		fig.PauseNs = append(fig.PauseNs, end.mem.PauseNs[(n+255)%256])
	}
	h0 := start.value("/sched/pauses/total/gc:seconds").Float64Histogram()
	h1 := end.value("/sched/pauses/total/gc:seconds").Float64Histogram()
	for i := range h1.Counts {
		fig.Pauses.Counts = append(fig.Pauses.Counts, h1.Counts[i]-h0.Counts[i])
	}
	for _, b := range h1.Buckets {
		fig.Pauses.Bounds = append(fig.Pauses.Bounds, max(min(b, 1e308), -1e308))
	}
	fig.LiveHeapStart = start.value("/gc/heap/live:bytes").Uint64()
	fig.LiveHeapEnd = end.value("/gc/heap/live:bytes").Uint64()

	b, err := json.Marshal(fig)
	if err != nil {
		return err
	}
	if out == "" {
		_, err = os.Stdout.Write(append(b, '\n'))
		return err
	}
	return os.WriteFile(out, append(b, '\n'), 0o644)
}

// processCPU is the process's user and system CPU time so far, in seconds.
func processCPU() float64 {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	sec := func(t syscall.Timeval) float64 { return float64(t.Sec) + float64(t.Usec)/1e6 }
	return sec(ru.Utime) + sec(ru.Stime)
}

// node is the live heap's unit: a pointer-rich tree node, so that marking
// has pointers to follow.
type node struct {
	left, right *node
	name        string
	vals        []int64
}

// liveHeap is a pointer-rich structure of about the given size, part of
// which each request replaces.
type liveHeap struct {
	mu    sync.Mutex
	roots []*node
}

func newLiveHeap(mib int) *liveHeap {
	h := &liveHeap{roots: make([]*node, mib*64)}
	for i := range h.roots {
		h.roots[i] = tree(6, i)
	}
	return h
}

// tree builds a full binary tree of the given depth: 2^depth−1 nodes of
// about 128 bytes each, so a depth-6 tree is about 8 KiB.
func tree(depth, seed int) *node {
	if depth == 0 {
		return nil
	}
	return &node{left: tree(depth-1, seed), right: tree(depth-1, seed+1), name: strconv.Itoa(seed), vals: make([]int64, 4)}
}

// serve runs requests on workers goroutines for d and returns each one's
// duration as the program measured it.
func serve(d time.Duration, workers int, heap *liveHeap) []int64 {
	var mu sync.Mutex
	var lat []int64
	deadline := time.Now().Add(d)
	var wg sync.WaitGroup
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			rng := rand.New(rand.NewPCG(uint64(w), 1))
			mine := make([]int64, 0, 1<<16) // no allocation between the two timings
			for time.Now().Before(deadline) {
				// The task's two events fall just inside the two readings.
				t0 := time.Now()
				ctx, task := trace.NewTask(context.Background(), "request")
				request(ctx, rng, heap)
				task.End()
				mine = append(mine, time.Since(t0).Nanoseconds())
				if rng.IntN(16) == 0 {
					time.Sleep(time.Duration(rng.IntN(200)) * time.Microsecond)
				}
			}
			mu.Lock()
			lat = append(lat, mine...)
			mu.Unlock()
		}()
	}
	wg.Wait()
	slices.Sort(lat)
	return lat
}

var sink any

// request allocates garbage (a map and strings) and now and then replaces
// a part of the live heap.
func request(ctx context.Context, rng *rand.Rand, heap *liveHeap) {
	trace.WithRegion(ctx, "work", func() {
		m := make(map[string][]byte, 256)
		for i := range 256 + rng.IntN(256) {
			m[strconv.Itoa(i)] = make([]byte, 64+rng.IntN(512))
		}
		sink = m
	})
	if rng.IntN(8) == 0 {
		t := tree(6, rng.IntN(1000))
		heap.mu.Lock()
		heap.roots[rng.IntN(len(heap.roots))] = t
		heap.mu.Unlock()
	}
}
