package exectrace

import (
	"bytes"
	"context"
	"io"
	"runtime"
	"runtime/trace"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gcwatch/gcwatch/internal/tracetest"
	exptrace "golang.org/x/exp/trace"
)

// sink keeps allocations reachable long enough to make the GC work.
var (
	sinkMu sync.Mutex
	sink   [][]byte
)

// workload is an allocating, task-annotated program run under the tracer.
type workload struct {
	tasks   int           // tasks begun (each with regions)
	workers int           // goroutines per task besides the one that begins it
	alloc   int           // bytes allocated per region
	forced  int           // runtime.GC calls
	minTime time.Duration // keep going at least this long (generations)
}

// traced runs w under runtime/trace and returns the trace and how many
// GC cycles the runtime counted meanwhile.
func traced(t testing.TB, w workload) (data []byte, numGC uint32) {
	t.Helper()
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	var buf bytes.Buffer
	if err := trace.Start(&buf); err != nil {
		t.Fatalf("trace.Start: %v", err)
	}
	w.run()
	trace.Stop()
	runtime.ReadMemStats(&after)
	return buf.Bytes(), after.NumGC - before.NumGC
}

func (w workload) run() {
	start := time.Now()
	var ms runtime.MemStats
	for i := 0; i < w.tasks || time.Since(start) < w.minTime; i++ {
		ctx, task := trace.NewTask(context.Background(), "request")
		var wg sync.WaitGroup
		for range w.workers {
			wg.Add(1)
			go func() {
				defer wg.Done()
				trace.WithRegion(ctx, "fanout", func() { allocate(w.alloc) })
			}()
		}
		trace.WithRegion(ctx, "handle", func() {
			allocate(w.alloc)
			time.Sleep(50 * time.Microsecond)
		})
		wg.Wait()
		task.End()
		if w.forced > 0 && i%max(1, w.tasks/w.forced) == 0 {
			runtime.GC()
		}
		if i%10 == 0 {
			runtime.ReadMemStats(&ms) // a non-GC stop-the-world
		}
	}
	sinkMu.Lock()
	sink = nil
	sinkMu.Unlock()
}

func allocate(n int) {
	var local [][]byte
	for n > 0 {
		b := make([]byte, 4096)
		local = append(local, b)
		n -= len(b)
	}
	sinkMu.Lock()
	sink = append(sink[:min(len(sink), 256)], local...)
	sinkMu.Unlock()
}

// rawFacts is what an independent pass over x/exp's events finds, used
// to check Read's numbers.
type rawFacts struct {
	gcBegins   int
	gcActive   int
	stwByCause map[string]time.Duration // the trace's stop-the-world ranges
	stwCount   map[string]int
	// pauseByCause is the same pauses as the runtime counts them: a
	// mark-termination range ends at the first heap-goal metric inside it
	// (where gcMarkTermination stops the pause clock).
	pauseByCause map[string]time.Duration
	tasks        int
	regions      int
	regionsOf    map[string]int // regions begun, by type
	events       int64
	syncs        int
	gomaxprocs   int
}

func rawRead(t testing.TB, data []byte) rawFacts {
	t.Helper()
	f := rawFacts{stwByCause: map[string]time.Duration{}, stwCount: map[string]int{}, pauseByCause: map[string]time.Duration{}, regionsOf: map[string]int{}}
	open := map[string]exptrace.Time{}
	released := map[string]exptrace.Time{}
	stopper := map[string]exptrace.GoID{}
	for ev := range tracetest.EventsOf(t, "trace", data) {
		f.events++
		switch ev.Kind() {
		case exptrace.EventSync:
			f.syncs++
		case exptrace.EventMetric:
			if m := ev.Metric(); m.Name == "/sched/gomaxprocs:threads" && f.gomaxprocs == 0 {
				f.gomaxprocs = int(m.Value.Uint64())
			}
			const markTerm = "stop-the-world (GC mark termination)"
			if _, ok := open[markTerm]; ok && ev.Metric().Name == "/gc/heap/goal:bytes" && ev.Goroutine() == stopper[markTerm] {
				if _, done := released[markTerm]; !done {
					released[markTerm] = ev.Time()
				}
			}
		case exptrace.EventRangeBegin, exptrace.EventRangeActive:
			name := ev.Range().Name
			switch {
			case name == "GC concurrent mark phase" && ev.Kind() == exptrace.EventRangeBegin:
				f.gcBegins++
			case name == "GC concurrent mark phase":
				f.gcActive++
			case strings.HasPrefix(name, "stop-the-world"):
				open[name] = ev.Time()
				stopper[name] = ev.Goroutine()
			}
		case exptrace.EventRangeEnd:
			name := ev.Range().Name
			if begin, ok := open[name]; ok {
				reason := strings.TrimSuffix(strings.TrimPrefix(name, "stop-the-world ("), ")")
				f.stwByCause[reason] += ev.Time().Sub(begin)
				end, ok := released[name]
				if !ok {
					end = ev.Time()
				}
				f.pauseByCause[reason] += end.Sub(begin)
				f.stwCount[reason]++
				delete(open, name)
				delete(released, name)
			}
		case exptrace.EventTaskBegin:
			f.tasks++
		case exptrace.EventRegionBegin:
			f.regions++
			f.regionsOf[ev.Region().Type]++
		}
	}
	return f
}

func startTrace(t testing.TB, w io.Writer) {
	t.Helper()
	if err := trace.Start(w); err != nil {
		t.Fatalf("trace.Start: %v", err)
	}
}

func stopTrace() { trace.Stop() }
