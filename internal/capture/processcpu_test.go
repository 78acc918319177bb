package capture

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

// fakeClock is a wall clock that moves only when told.
type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *fakeClock) now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *fakeClock) advance(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

// cpuServer serves a trace that takes window of the fake clock, and
// /metrics whose process_cpu_seconds_total grows by cpuPerWindow over it.
func cpuServer(t *testing.T, clock *fakeClock, window time.Duration, cpuPerWindow float64, gomaxprocs int) *httptest.Server {
	var mu sync.Mutex
	cpu := 1000.0
	mux := http.NewServeMux()
	mux.HandleFunc("/debug/pprof/trace", func(w http.ResponseWriter, r *http.Request) {
		clock.advance(window)
		mu.Lock()
		cpu += cpuPerWindow
		mu.Unlock()
		w.Write([]byte("go 1.26 trace\x00\x00\x00"))
	})
	mux.HandleFunc("/metrics", func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		defer mu.Unlock()
		fmt.Fprintf(w, "# TYPE process_cpu_seconds_total counter\nprocess_cpu_seconds_total %g\n# TYPE go_sched_gomaxprocs_threads gauge\ngo_sched_gomaxprocs_threads %d\n", cpu, gomaxprocs)
	})
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	return srv
}

// TestFetchProcessCPU: the CPU the process used over the trace's window is
// the counter's growth between a reading before the trace and one after,
// against the wall time between them.
func TestFetchProcessCPU(t *testing.T) {
	clock := &fakeClock{t: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)}
	// 10 s at GOMAXPROCS 4 could have used 40 s of CPU; it got 9.
	srv := cpuServer(t, clock, 10*time.Second, 9, 4)
	target, err := ParseTarget(srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	res, err := Fetch(context.Background(), target, filepath.Join(t.TempDir(), "cap"), Options{Seconds: 10, Now: clock.now})
	if err != nil {
		t.Fatal(err)
	}
	p := res.Manifest.ProcessCPU
	if p == nil {
		t.Fatal("process_cpu not recorded")
	}
	if p.CPUMs != 9000 || p.WallMs != 10000 || p.GOMAXPROCS != 4 {
		t.Errorf("process_cpu %+v; want 9000 ms of CPU over 10000 ms at GOMAXPROCS 4", *p)
	}
}

// TestFetchProcessCPUUnknown: a service without the counter, or whose
// counter went backwards (a restart), leaves process_cpu null.
func TestFetchProcessCPUUnknown(t *testing.T) {
	clock := &fakeClock{t: time.Unix(0, 0)}
	srv := cpuServer(t, clock, 10*time.Second, -5, 4)
	target, _ := ParseTarget(srv.URL)
	res, err := Fetch(context.Background(), target, filepath.Join(t.TempDir(), "cap"), Options{Seconds: 10, Now: clock.now})
	if err != nil {
		t.Fatal(err)
	}
	if res.Manifest.ProcessCPU != nil {
		t.Errorf("a counter that went backwards: process_cpu %+v", *res.Manifest.ProcessCPU)
	}
	if _, ok := readProcessCPU(context.Background(), http.DefaultClient, srv.URL+"/nothing", time.Second, time.Now); ok {
		t.Errorf("a 404 was read as a CPU counter")
	}
	s := parseMetrics(strings.NewReader("process_cpu_seconds_total NaN\n"))
	if s.hasProcessCPU {
		t.Errorf("NaN read as a CPU counter")
	}
}
