package promfleet

import (
	"fmt"
	"strings"
)

// knowable says, for one job, what its metrics can and cannot tell. Every
// job gets the limits shared by all metrics (no per-request timing); the
// rest depends on which series it exports.
func knowable(j *Job, o *Options) []string {
	m := &j.Metrics
	out := []string{
		"cannot tell: which requests GC slowed, or the GC-attributable share of the tail: metrics have no per-request timing; a trace capture (gcwatch capture) has",
		"cannot tell: the p99 of GC pauses from go_gc_duration_seconds: it is a summary whose quantiles (0, 0.25, 0.5, 0.75, 1) cover only the last 256 pauses at each scrape, so the report shows its largest maximum instead",
		"cannot tell: the time mark assists and the mark phase add to requests: go_gc_duration_seconds counts stop-the-world pauses only; the rest of the GC shows only as CPU",
	}
	can := func(f string, args ...any) { out = append(out, "can tell: "+fmt.Sprintf(f, args...)) }
	cannot := func(f string, args ...any) { out = append(out, "cannot tell: "+fmt.Sprintf(f, args...)) }
	can("GC frequency and mean pause over the range, from go_gc_duration_seconds_count and _sum")
	if j.HasPauseHistogram {
		can("the p99 of GC pauses, from the runtime/metrics histogram go_sched_pauses_total_gc_seconds (to its bucket resolution)")
	} else {
		cannot("a true pause p99: the runtime/metrics pause histogram (go_sched_pauses_total_gc_seconds) is not exported; turn on the Go collector's runtime metrics (collectors.WithGoCollectorRuntimeMetrics)")
	}
	switch {
	case j.HasCPUClasses:
		can("GC CPU over the range and its worst %v window, from the runtime's CPU-class estimates (go_cpu_classes_*)", o.Step)
	case m.GCCPUFraction != nil:
		cannot("GC CPU within the range: only go_memstats_gc_cpu_fraction is exported, an average since each process started")
	default:
		cannot("GC CPU: neither go_cpu_classes_gc_total_cpu_seconds_total nor go_memstats_gc_cpu_fraction is exported")
	}
	if m.HeapLiveMaxBytes != nil {
		can("memory overhead (heap in use above the live heap), from go_memstats_heap_inuse_bytes and go_gc_heap_live_bytes, at scrape resolution: peaks between scrapes are missed")
	} else {
		cannot("memory overhead: the live heap (go_gc_heap_live_bytes) is not exported")
	}
	var unknown []string
	for _, s := range []struct {
		name  string
		known bool
	}{{"GOGC", m.GOGC != nil}, {"GOMEMLIMIT", m.MemoryLimit != nil}, {"GOMAXPROCS", m.GOMAXPROCS != nil}} {
		if !s.known {
			unknown = append(unknown, s.name)
		}
	}
	if len(unknown) > 0 {
		cannot("the settings %s: go_gc_gogc_percent, go_gc_gomemlimit_bytes or go_sched_gomaxprocs_threads missing", strings.Join(unknown, ", "))
	} else {
		can("the settings GOGC, GOMEMLIMIT and GOMAXPROCS the job runs with")
	}
	switch {
	case m.LatencyMetric == "":
		cannot("request latency: no *_request_duration_seconds histogram, so pauses cannot be weighed against it")
	case m.LatencyMs == nil:
		cannot("request latency p%s: %s had no requests in the range, or its quantile falls in the +Inf bucket", quantileName(m.LatencyQuantile), m.LatencyMetric)
	default:
		can("request latency p%s, from %s (to its bucket resolution)", quantileName(m.LatencyQuantile), m.LatencyMetric)
	}
	if len(j.OtherLatencyMetrics) > 0 {
		out = append(out, fmt.Sprintf("note: also exports %s; the busiest histogram is used", strings.Join(j.OtherLatencyMetrics, ", ")))
	}
	return out
}
