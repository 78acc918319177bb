package exectrace

import (
	"bytes"
	"context"
	"runtime/trace"
	"sync"
	"testing"
	"time"
)

// traceShape is a program run under the tracer whose task, region and
// goroutine structure once made ingest quadratic.
type traceShape struct {
	name string
	run  func(n int)
}

var traceShapes = []traceShape{
	{"tasks never ended", func(n int) {
		for range n {
			trace.NewTask(context.Background(), "leak")
		}
	}},
	{"regions left open", func(n int) {
		for range n / 2 {
			ctx, _ := trace.NewTask(context.Background(), "leak")
			trace.StartRegion(ctx, "open")
		}
	}},
	{"goroutines in one task", func(n int) {
		// Each goroutine makes a handful of events; all of them work for
		// the task at once, then leave it one by one.
		ctx, task := trace.NewTask(context.Background(), "fanout")
		release := make(chan struct{})
		var started, done sync.WaitGroup
		for range n / 8 {
			started.Add(1)
			done.Add(1)
			go func() {
				defer done.Done()
				r := trace.StartRegion(ctx, "wait")
				started.Done()
				<-release
				r.End()
			}()
		}
		started.Wait()
		close(release)
		done.Wait()
		task.End()
	}},
}

// tracedShape records run(n) and returns the trace and its event count.
func tracedShape(t *testing.T, run func(int), n int) ([]byte, int64) {
	t.Helper()
	var buf bytes.Buffer
	startTrace(t, &buf)
	run(n)
	stopTrace()
	return buf.Bytes(), rawRead(t, buf.Bytes()).events
}

// readTime reads data twice and returns the shorter time, the one less
// disturbed by the machine's other work.
func readTime(t *testing.T, name string, data []byte) time.Duration {
	t.Helper()
	best := time.Duration(0)
	for range 2 {
		start := time.Now()
		if _, err := readWithin(t, data, Options{}, 60*time.Second); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if took := time.Since(start); best == 0 || took < best {
			best = took
		}
	}
	return best
}

// TestIngestLinear checks that reading a trace costs about the same per
// event whatever its structure: 200k tasks never ended, regions left open
// in 100k tasks, and 25k goroutines working for one task at once are read
// no more than 20× slower per event than as many ended tasks, within the
// same run. Linear reads measure 3.5–8× here (x/exp's own map holds 200k
// open tasks, and a loaded machine's noise falls on the shorter read
// harder); the quadratic reads this guards against took over 100×.
func TestIngestLinear(t *testing.T) {
	if testing.Short() {
		t.Skip("records traces of 200k events")
	}
	const n = 200_000
	ended, endedEvents := tracedShape(t, func(n int) {
		for range n / 2 {
			_, task := trace.NewTask(context.Background(), "done")
			task.End()
		}
	}, n)
	base := readTime(t, "ended tasks", ended)
	perEvent := base / time.Duration(endedEvents)
	t.Logf("ended tasks: %d events, %d bytes, read in %v", endedEvents, len(ended), base)
	for _, shape := range traceShapes {
		data, events := tracedShape(t, shape.run, n)
		took := readTime(t, shape.name, data)
		t.Logf("%s: %d events, %d bytes, read in %v", shape.name, events, len(data), took)
		if limit := 20 * perEvent * time.Duration(events); took > max(limit, 3*time.Second) || took > 15*time.Second {
			t.Errorf("%s: %d events read in %v, want at most 20× the %v per event of ended tasks (%v), and 15s",
				shape.name, events, took, perEvent, limit)
		}
	}
}
