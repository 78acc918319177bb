package main

import (
	"bufio"
	"fmt"
	"io"
	"math"
	"net/http"
	"runtime"
	"runtime/metrics"
	"sort"
	"strconv"
	"sync"
	"sync/atomic"
	"time"
)

var now = time.Now

// latencyBounds are the request-latency histogram's upper bounds, in
// seconds: fine around the milliseconds a GC pause or assist adds.
var latencyBounds = []float64{0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5}

// latencyMetrics holds one histogram per route. Routes are registered
// before serving starts; afterwards only the counters change.
type latencyMetrics struct {
	mu     sync.Mutex
	routes map[string]*histogram
}

type histogram struct {
	buckets [14]atomic.Uint64 // len(latencyBounds)+1: the last is +Inf
	count   atomic.Uint64
	sumNS   atomic.Uint64
}

func (l *latencyMetrics) route(name string) *histogram {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.routes == nil {
		l.routes = map[string]*histogram{}
	}
	h := l.routes[name]
	if h == nil {
		h = &histogram{}
		l.routes[name] = h
	}
	return h
}

func (h *histogram) observe(start time.Time) {
	d := now().Sub(start)
	s := d.Seconds()
	i := sort.SearchFloat64s(latencyBounds, s) // first bound ≥ s: Prometheus buckets are le
	h.buckets[i].Add(1)
	h.count.Add(1)
	h.sumNS.Add(uint64(d))
}

// total is every request served so far.
func (l *latencyMetrics) total() uint64 {
	l.mu.Lock()
	defer l.mu.Unlock()
	var n uint64
	for _, h := range l.routes {
		n += h.count.Load()
	}
	return n
}

// runtimeSamples are the runtime/metrics the /metrics page shows, read in
// one call (it does not stop the world, unlike runtime.ReadMemStats).
var runtimeSamples = []string{
	"/gc/gogc:percent",
	"/gc/gomemlimit:bytes",
	"/sched/gomaxprocs:threads",
	"/sched/pauses/total/gc:seconds",
	"/gc/cycles/total:gc-cycles",
	"/gc/heap/goal:bytes",
	"/gc/heap/live:bytes",
	"/gc/heap/allocs:bytes",
	"/memory/classes/heap/objects:bytes",
	"/memory/classes/total:bytes",
	"/sched/goroutines:goroutines",
}

// serveMetrics writes the Prometheus text exposition format (version
// 0.0.4), by hand to keep the example free of dependencies. Series names
// follow the Go client library's, so tools that know those read these.
func (l *latencyMetrics) serveMetrics(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "text/plain; version=0.0.4; charset=utf-8")
	bw := bufio.NewWriter(w)
	writeRuntimeMetrics(bw)
	l.write(bw)
	bw.Flush()
}

func writeRuntimeMetrics(w io.Writer) {
	samples := make([]metrics.Sample, len(runtimeSamples))
	for i, name := range runtimeSamples {
		samples[i].Name = name
	}
	metrics.Read(samples)
	v := map[string]metrics.Value{}
	for _, s := range samples {
		v[s.Name] = s.Value
	}
	u := func(name string) uint64 {
		if v[name].Kind() != metrics.KindUint64 {
			return 0 // unsupported by this runtime; not expected on go1.26
		}
		return v[name].Uint64()
	}
	gauge := func(name, help string, value string) {
		fmt.Fprintf(w, "# HELP %s %s\n# TYPE %s gauge\n%s %s\n", name, help, name, name, value)
	}
	counter := func(name, help string, value uint64) {
		fmt.Fprintf(w, "# HELP %s %s\n# TYPE %s counter\n%s %d\n", name, help, name, name, value)
	}
	fmt.Fprintf(w, "# HELP go_info Information about the Go environment.\n# TYPE go_info gauge\ngo_info{version=%q} 1\n", runtime.Version())
	gauge("go_sched_gomaxprocs_threads", "GOMAXPROCS (/sched/gomaxprocs:threads).", strconv.FormatUint(u("/sched/gomaxprocs:threads"), 10))
	// The runtime reports GOGC=off as -1 in a uint64.
	gauge("go_gc_gogc_percent", "GOGC (/gc/gogc:percent); -1 when off.", strconv.FormatInt(int64(u("/gc/gogc:percent")), 10))
	gauge("go_gc_gomemlimit_bytes", "GOMEMLIMIT (/gc/gomemlimit:bytes); math.MaxInt64 when off.", strconv.FormatUint(u("/gc/gomemlimit:bytes"), 10))
	gauge("go_goroutines", "Goroutines (/sched/goroutines:goroutines).", strconv.FormatUint(u("/sched/goroutines:goroutines"), 10))
	gauge("go_gc_heap_goal_bytes", "Heap goal (/gc/heap/goal:bytes).", strconv.FormatUint(u("/gc/heap/goal:bytes"), 10))
	gauge("go_gc_heap_live_bytes", "Heap marked live by the last cycle (/gc/heap/live:bytes).", strconv.FormatUint(u("/gc/heap/live:bytes"), 10))
	gauge("go_memory_classes_heap_objects_bytes", "Heap in objects, live or not yet swept (/memory/classes/heap/objects:bytes).", strconv.FormatUint(u("/memory/classes/heap/objects:bytes"), 10))
	gauge("go_memory_classes_total_bytes", "Memory mapped by the runtime (/memory/classes/total:bytes).", strconv.FormatUint(u("/memory/classes/total:bytes"), 10))
	counter("go_gc_cycles_total_gc_cycles_total", "Completed GC cycles (/gc/cycles/total:gc-cycles).", u("/gc/cycles/total:gc-cycles"))
	counter("go_gc_heap_allocs_bytes_total", "Bytes allocated on the heap (/gc/heap/allocs:bytes).", u("/gc/heap/allocs:bytes"))
	if v["/sched/pauses/total/gc:seconds"].Kind() == metrics.KindFloat64Histogram {
		writePauseSummary(w, v["/sched/pauses/total/gc:seconds"].Float64Histogram())
	}
	if cpu, ok := processCPU(); ok {
		fmt.Fprintf(w, "# HELP process_cpu_seconds_total User and system CPU time (getrusage).\n# TYPE process_cpu_seconds_total counter\nprocess_cpu_seconds_total %s\n", fmtFloat(cpu.Seconds()))
	}
}

// pauseQuantiles are the quantiles go_gc_duration_seconds reports, as the
// Go client library does.
var pauseQuantiles = []float64{0, 0.25, 0.5, 0.75, 1}

// writePauseSummary reports the GC stop-the-world pauses histogram as a
// summary. The runtime keeps only bucket counts, so each quantile is the
// upper bound of the bucket holding it (the lower bound when that is
// +Inf), and _sum is estimated from bucket midpoints.
func writePauseSummary(w io.Writer, h *metrics.Float64Histogram) {
	const name = "go_gc_duration_seconds"
	fmt.Fprintf(w, "# HELP %s GC stop-the-world pauses (/sched/pauses/total/gc:seconds): each quantile is the upper bound of its histogram bucket; _sum is estimated from bucket midpoints.\n# TYPE %s summary\n", name, name)
	var total uint64
	var sum float64
	for i, c := range h.Counts {
		total += c
		sum += float64(c) * midpoint(h.Buckets[i], h.Buckets[i+1])
	}
	for _, q := range pauseQuantiles {
		fmt.Fprintf(w, "%s{quantile=%q} %s\n", name, fmtFloat(q), fmtFloat(histQuantile(h, total, q)))
	}
	fmt.Fprintf(w, "%s_sum %s\n%s_count %d\n", name, fmtFloat(sum), name, total)
}

// histQuantile is the upper bound of the bucket holding the q-quantile by
// nearest rank; 0 when the histogram is empty.
func histQuantile(h *metrics.Float64Histogram, total uint64, q float64) float64 {
	if total == 0 {
		return 0
	}
	rank := uint64(math.Ceil(q * float64(total)))
	rank = max(rank, 1)
	var seen uint64
	for i, c := range h.Counts {
		seen += c
		if seen >= rank {
			if math.IsInf(h.Buckets[i+1], 1) {
				return h.Buckets[i]
			}
			return h.Buckets[i+1]
		}
	}
	return h.Buckets[len(h.Buckets)-1]
}

func midpoint(lo, hi float64) float64 {
	switch {
	case math.IsInf(lo, -1):
		return max(hi, 0)
	case math.IsInf(hi, 1):
		return lo
	}
	return (lo + hi) / 2
}

func fmtFloat(f float64) string { return strconv.FormatFloat(f, 'g', -1, 64) }

// write emits http_request_duration_seconds, one histogram per route.
func (l *latencyMetrics) write(w io.Writer) {
	l.mu.Lock()
	names := make([]string, 0, len(l.routes))
	for name := range l.routes {
		names = append(names, name)
	}
	l.mu.Unlock()
	sort.Strings(names)
	const name = "http_request_duration_seconds"
	fmt.Fprintf(w, "# HELP %s Latency of the API's requests, by handler.\n# TYPE %s histogram\n", name, name)
	for _, route := range names {
		h := l.route(route)
		// Requests observed while we read may show in a bucket but not in
		// count (read first); clamping keeps the buckets cumulative and
		// never above +Inf.
		count := h.count.Load()
		var cum uint64
		for i, le := range latencyBounds {
			cum += h.buckets[i].Load()
			fmt.Fprintf(w, "%s_bucket{handler=%q,le=%q} %d\n", name, route, fmtFloat(le), min(cum, count))
		}
		fmt.Fprintf(w, "%s_bucket{handler=%q,le=\"+Inf\"} %d\n", name, route, count)
		fmt.Fprintf(w, "%s_sum{handler=%q} %s\n%s_count{handler=%q} %d\n", name, route, fmtFloat(time.Duration(h.sumNS.Load()).Seconds()), name, route, count)
	}
}
