package fleet

import (
	"time"

	"github.com/gcwatch/gcwatch/internal/units"
)

// Source values: where a fleet report's numbers come from.
const (
	SourceCaptures   = "captures"
	SourcePrometheus = "prometheus"
)

// Window is the stretch of monitoring a Prometheus-sourced report covers.
type Window struct {
	URL   string    `json:"url"`
	Job   string    `json:"job"` // the job label's regular expression
	Start time.Time `json:"start"`
	End   time.Time `json:"end"`
	Range string    `json:"range"`
	Step  string    `json:"step"`
}

// Metrics are one job's numbers as read from its monitoring. A nil field
// is one the job does not export (or that had no data in the range);
// every field says which series it comes from so that a reader can check
// it against their own dashboards.
type Metrics struct {
	Instances int `json:"instances"`
	// GCCycles is the increase of go_gc_duration_seconds_count over the
	// range, summed over instances; GCPerSecond its rate per instance.
	GCCycles    float64 `json:"gc_cycles"`
	GCPerSecond float64 `json:"gc_per_second"`
	// PauseMeanMs: go_gc_duration_seconds_sum over _count across the range.
	PauseMeanMs *float64 `json:"pause_mean_ms"`
	// PauseSummaryMaxMs: the largest quantile="1" of go_gc_duration_seconds
	// at any scrape, the longest of the last 256 pauses at that moment.
	PauseSummaryMaxMs *float64 `json:"pause_summary_max_ms"`
	// PauseP99Ms: histogram_quantile over go_sched_pauses_total_gc_seconds.
	PauseP99Ms *float64 `json:"pause_p99_ms"`
	// StoppingP99Ms: the same over go_sched_pauses_stopping_gc_seconds,
	// the time taken to stop the world before a GC pause.
	StoppingP99Ms *float64 `json:"stopping_p99_ms"`
	// GCCPUFraction: GC CPU over the CPU capacity (GOMAXPROCS × wall
	// time), from the go_cpu_classes_* counters without idle marking (as
	// the advisor counts it), or else the mean of
	// go_memstats_gc_cpu_fraction (since each process started).
	GCCPUFraction *float64 `json:"gc_cpu_fraction"`
	GCCPUSource   string   `json:"gc_cpu_source"`
	// GCCPUPeak is the highest GC CPU over any one step of the range.
	GCCPUPeak *float64 `json:"gc_cpu_peak"`
	// MarkAssistFraction: the part of the CPU capacity spent in mark
	// assists, the GC work charged to allocating goroutines themselves.
	MarkAssistFraction *float64 `json:"mark_assist_fraction"`
	HeapInuseMaxBytes  *float64 `json:"heap_inuse_max_bytes"`
	HeapLiveMaxBytes   *float64 `json:"heap_live_max_bytes"`
	HeapGoalMaxBytes   *float64 `json:"heap_goal_max_bytes"`
	// GOGC, MemoryLimit and GOMAXPROCS: go_gc_gogc_percent,
	// go_gc_gomemlimit_bytes and go_sched_gomaxprocs_threads (null when
	// not exported).
	GOGC        *units.GOGC  `json:"gogc"`
	MemoryLimit *units.Limit `json:"memlimit_bytes"`
	GOMAXPROCS  *float64     `json:"gomaxprocs"`
	// CPUThrottledShare is the share of CFS enforcement periods in which
	// the job's containers ran out of their CPU quota, from cAdvisor's
	// container_cpu_cfs_throttled_periods_total over
	// container_cpu_cfs_periods_total, joined to the job by namespace and
	// pod (null where those series, or those labels, do not exist).
	CPUThrottledShare *float64 `json:"cpu_throttled_period_share"`
	// Latency: the request-latency histogram used, its quantile and value.
	LatencyMetric     string   `json:"latency_metric"`
	LatencyQuantile   float64  `json:"latency_quantile"`
	LatencyMs         *float64 `json:"latency_ms"`
	RequestsPerSecond *float64 `json:"requests_per_second"`
	// PauseShareOfLatency is the longest known pause (PauseP99Ms, else
	// PauseSummaryMaxMs) over the latency objective (the SLO target, else
	// LatencyMs): an upper bound on what one pause adds to a slow request,
	// not the GC share of the tail, which metrics cannot give.
	PauseShareOfLatency *float64 `json:"pause_share_of_latency"`
}
