package promfleet

import (
	"context"
	"fmt"
	"maps"
	"math"
	"slices"

	"github.com/gcwatch/gcwatch/internal/fleet"
	"github.com/gcwatch/gcwatch/internal/units"
)

// Job is one job's raw numbers, straight from the queries.
type Job struct {
	Name    string
	Metrics fleet.Metrics
	// HasPauseHistogram and HasCPUClasses record which runtime/metrics
	// series the job exports, for what its metrics can tell.
	HasPauseHistogram bool
	HasCPUClasses     bool
	// OtherLatencyMetrics are request histograms the job exports beside
	// the one used (the busiest).
	OtherLatencyMetrics []string
}

// Result is what Collect read.
type Result struct {
	Jobs  []Job    // by name
	Opts  Options  // completed: End, Step and Job filled in
	Notes []string // the server's warnings
}

// Each query is a template: %[1]s the job matchers, %[2]s the range.
// Everything is standard PromQL (rate, increase, *_over_time,
// last_over_time, histogram_quantile, aggregation by job), so that Thanos,
// Mimir and VictoriaMetrics answer them as Prometheus does.
const (
	qInstances   = `count by (job) (last_over_time(go_gc_duration_seconds_count{%[1]s}[%[2]s]))`
	qCycles      = `sum by (job) (increase(go_gc_duration_seconds_count{%[1]s}[%[2]s]))`
	qGCRate      = `avg by (job) (rate(go_gc_duration_seconds_count{%[1]s}[%[2]s]))`
	qPauseMean   = `sum by (job) (rate(go_gc_duration_seconds_sum{%[1]s}[%[2]s])) / sum by (job) (rate(go_gc_duration_seconds_count{%[1]s}[%[2]s]))`
	qSummaryMax  = `max by (job) (max_over_time(go_gc_duration_seconds{quantile="1",%[1]s}[%[2]s]))`
	qPauseP99    = `histogram_quantile(0.99, sum by (job, le) (rate(go_sched_pauses_total_gc_seconds_bucket{%[1]s}[%[2]s])))`
	qStoppingP99 = `histogram_quantile(0.99, sum by (job, le) (rate(go_sched_pauses_stopping_gc_seconds_bucket{%[1]s}[%[2]s])))`
	// GC CPU leaves out idle marking, as the advisor does: idle mark
	// workers run on Ps nobody wanted.
	qGCCPU        = `(sum by (job) (rate(go_cpu_classes_gc_total_cpu_seconds_total{%[1]s}[%[2]s])) - sum by (job) (rate(go_cpu_classes_gc_mark_idle_cpu_seconds_total{%[1]s}[%[2]s]))) / sum by (job) (rate(go_cpu_classes_total_cpu_seconds_total{%[1]s}[%[2]s]))`
	qMarkAssist   = `sum by (job) (rate(go_cpu_classes_gc_mark_assist_cpu_seconds_total{%[1]s}[%[2]s])) / sum by (job) (rate(go_cpu_classes_total_cpu_seconds_total{%[1]s}[%[2]s]))`
	qGCCPUMemstat = `avg by (job) (avg_over_time(go_memstats_gc_cpu_fraction{%[1]s}[%[2]s]))`
	qHeapInuse    = `max by (job) (max_over_time(go_memstats_heap_inuse_bytes{%[1]s}[%[2]s]))`
	qHeapLive     = `max by (job) (max_over_time(go_gc_heap_live_bytes{%[1]s}[%[2]s]))`
	qHeapGoal     = `max by (job) (max_over_time(go_gc_heap_goal_bytes{%[1]s}[%[2]s]))`
	qNextGC       = `max by (job) (max_over_time(go_memstats_next_gc_bytes{%[1]s}[%[2]s]))`
	qGOGC         = `max by (job) (last_over_time(go_gc_gogc_percent{%[1]s}[%[2]s]))`
	qMemLimit     = `max by (job) (last_over_time(go_gc_gomemlimit_bytes{%[1]s}[%[2]s]))`
	qGOMAXPROCS   = `max by (job) (last_over_time(go_sched_gomaxprocs_threads{%[1]s}[%[2]s]))`
	// cAdvisor's CFS counters carry the kubelet's job, not the service's:
	// they are joined to the jobs exporting Go's GC metrics by namespace
	// and pod, per container (the pod's own cgroup, container "" or
	// "POD", would count its containers twice).
	qThrottled = `sum by (job) (increase(container_cpu_cfs_throttled_periods_total{container!="",container!="POD"}[%[2]s]) * on (namespace, pod) group_left (job) (0 * max by (namespace, pod, job) (last_over_time(go_gc_duration_seconds_count{%[1]s}[%[2]s])) + 1))` +
		` / sum by (job) (increase(container_cpu_cfs_periods_total{container!="",container!="POD"}[%[2]s]) * on (namespace, pod) group_left (job) (0 * max by (namespace, pod, job) (last_over_time(go_gc_duration_seconds_count{%[1]s}[%[2]s])) + 1))`
	// The latency queries take the histogram's base name first.
	qLatency  = `histogram_quantile(%[3]s, sum by (job, le) (rate(%[4]s_bucket{%[1]s}[%[2]s])))`
	qRequests = `sum by (job) (rate(%[4]s_count{%[1]s}[%[2]s]))`
)

// Collect reads every job matching o.Job that exports Go's GC metrics
// (go_gc_duration_seconds) over the range. The first failing query ends
// it: a report on half the queries would rank jobs on missing numbers.
func Collect(ctx context.Context, api API, o Options) (*Result, error) {
	if err := o.complete(); err != nil {
		return nil, err
	}
	q := &querier{api: api, opts: o, sel: "job=~" + promString(o.Job), rng: promDuration(o.Range)}
	instances, err := q.byJob(ctx, "instances", q.expr(qInstances))
	if err != nil {
		return nil, err
	}
	jobs := map[string]*Job{}
	for name, n := range instances {
		jobs[name] = &Job{Name: name, Metrics: fleet.Metrics{Instances: int(n), LatencyQuantile: o.Quantile}}
	}
	if len(jobs) > 0 {
		if err := q.gcSeries(ctx, jobs); err != nil {
			return nil, err
		}
		if err := q.latency(ctx, jobs); err != nil {
			return nil, err
		}
	}
	res := &Result{Opts: o, Notes: q.notes}
	for _, name := range slices.Sorted(maps.Keys(jobs)) {
		res.Jobs = append(res.Jobs, *jobs[name])
	}
	return res, nil
}

// gcSeries fills in the GC, heap and settings numbers.
func (q *querier) gcSeries(ctx context.Context, jobs map[string]*Job) error {
	const ms, plain = 1e3, 1 // seconds to milliseconds, or as they are
	queries := []struct {
		name, template string
		set            func(*Job, float64)
	}{
		{"gc_cycles", qCycles, func(j *Job, v float64) { j.Metrics.GCCycles = v }},
		{"gc_rate", qGCRate, func(j *Job, v float64) { j.Metrics.GCPerSecond = v }},
		{"pause_mean", qPauseMean, setField(ms, func(m *fleet.Metrics) **float64 { return &m.PauseMeanMs })},
		{"pause_summary_max", qSummaryMax, setField(ms, func(m *fleet.Metrics) **float64 { return &m.PauseSummaryMaxMs })},
		{"pause_p99", qPauseP99, func(j *Job, v float64) { j.HasPauseHistogram = true; j.Metrics.PauseP99Ms = ptr(v * ms) }},
		{"stopping_p99", qStoppingP99, setField(ms, func(m *fleet.Metrics) **float64 { return &m.StoppingP99Ms })},
		{"gc_cpu", qGCCPU, func(j *Job, v float64) {
			j.HasCPUClasses = true
			j.Metrics.GCCPUFraction, j.Metrics.GCCPUSource = ptr(v), "(go_cpu_classes_gc_total_cpu_seconds_total - go_cpu_classes_gc_mark_idle_cpu_seconds_total) / go_cpu_classes_total_cpu_seconds_total"
		}},
		{"mark_assist", qMarkAssist, setField(plain, func(m *fleet.Metrics) **float64 { return &m.MarkAssistFraction })},
		{"gc_cpu_memstats", qGCCPUMemstat, func(j *Job, v float64) {
			if j.Metrics.GCCPUFraction == nil {
				j.Metrics.GCCPUFraction, j.Metrics.GCCPUSource = ptr(v), "go_memstats_gc_cpu_fraction (since each process started)"
			}
		}},
		{"heap_inuse", qHeapInuse, setField(plain, func(m *fleet.Metrics) **float64 { return &m.HeapInuseMaxBytes })},
		{"heap_live", qHeapLive, setField(plain, func(m *fleet.Metrics) **float64 { return &m.HeapLiveMaxBytes })},
		{"heap_goal", qHeapGoal, setField(plain, func(m *fleet.Metrics) **float64 { return &m.HeapGoalMaxBytes })},
		{"next_gc", qNextGC, func(j *Job, v float64) {
			if j.Metrics.HeapGoalMaxBytes == nil {
				j.Metrics.HeapGoalMaxBytes = ptr(v)
			}
		}},
		{"gogc", qGOGC, func(j *Job, v float64) { j.Metrics.GOGC = gogcOf(v) }},
		{"gomemlimit", qMemLimit, func(j *Job, v float64) { j.Metrics.MemoryLimit = limitOf(v) }},
		{"gomaxprocs", qGOMAXPROCS, setField(plain, func(m *fleet.Metrics) **float64 { return &m.GOMAXPROCS })},
		{"cpu_throttled", qThrottled, func(j *Job, v float64) {
			if v >= 0 && v <= 1 { // NaN: no periods (no quota) in the range
				j.Metrics.CPUThrottledShare = ptr(v)
			}
		}},
	}
	for _, qu := range queries {
		vals, err := q.byJob(ctx, qu.name, q.expr(qu.template))
		if err != nil {
			return err
		}
		for name, v := range vals {
			if j := jobs[name]; j != nil {
				qu.set(j, v)
			}
		}
	}
	return q.gcCPUPeak(ctx, jobs)
}

// gcCPUPeak finds the highest GC CPU over any one step-long window.
func (q *querier) gcCPUPeak(ctx context.Context, jobs map[string]*Job) error {
	step := fmt.Sprintf(qGCCPU, q.sel, promDuration(q.opts.Step))
	peaks, err := q.peakByJob(ctx, "gc_cpu_peak", step)
	if err != nil {
		return err
	}
	for name, v := range peaks {
		if j := jobs[name]; j != nil {
			j.Metrics.GCCPUPeak = ptr(v)
		}
	}
	return nil
}

// setField returns a setter of the *float64 field that field picks, the
// value multiplied by scale.
func setField(scale float64, field func(*fleet.Metrics) **float64) func(*Job, float64) {
	return func(j *Job, v float64) { *field(&j.Metrics) = ptr(v * scale) }
}

func ptr(v float64) *float64 { return &v }

// gogcOf is the GOGC go_gc_gogc_percent reports; negative is off. A value
// no runtime reports is left unknown.
func gogcOf(v float64) *units.GOGC {
	if v != math.Trunc(v) || v > math.MaxInt32 {
		return nil
	}
	g := units.GOGC(max(v, -1))
	return &g
}

// limitOf is the limit go_gc_gomemlimit_bytes reports; the runtime reports
// "off" as math.MaxInt64 bytes (a float64 of 2^63).
func limitOf(v float64) *units.Limit {
	if v < 0 || math.IsNaN(v) {
		return nil
	}
	l := units.LimitOff
	if v < math.MaxInt64 {
		l = units.Limit(v)
	}
	return &l
}
