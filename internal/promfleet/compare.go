package promfleet

import (
	"context"
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/gcwatch/gcwatch/internal/compare"
	"github.com/gcwatch/gcwatch/internal/fleet"
)

// Compared is what CollectCompare read: each range as Collect reads it,
// and each figure per step-long window of each range, by job.
type Compared struct {
	Before, After               *Result
	BeforeWindows, AfterWindows map[string]map[string][]float64 // job → metric → one value per window
}

// CollectCompare reads the jobs over two ranges (before and after a
// deploy, say): the aggregates Collect reads, and the same figures per
// step-long window, the samples the comparison's tests compare.
func CollectCompare(ctx context.Context, api API, before, after Options) (*Compared, error) {
	out := &Compared{}
	var err error
	if out.Before, err = Collect(ctx, api, before); err != nil {
		return nil, fmt.Errorf("BEFORE range: %w", err)
	}
	if out.After, err = Collect(ctx, api, after); err != nil {
		return nil, fmt.Errorf("AFTER range: %w", err)
	}
	// Both ranges' windows read the latency histogram AFTER uses, so that
	// both sides measure the same requests.
	latency := map[string]string{}
	for _, j := range out.After.Jobs {
		latency[j.Name] = j.Metrics.LatencyMetric
	}
	if out.BeforeWindows, err = windows(ctx, api, out.Before, latency); err != nil {
		return nil, fmt.Errorf("BEFORE range: %w", err)
	}
	if out.AfterWindows, err = windows(ctx, api, out.After, latency); err != nil {
		return nil, fmt.Errorf("AFTER range: %w", err)
	}
	return out, nil
}

// windowQueries are the figures read per window: the aggregate queries
// over a step instead of the whole range.
var windowQueries = []struct{ metric, template string }{
	{"gc_per_second", qGCRate},
	{"gc_cpu_fraction", qGCCPU},
	{"pause_p99_ms", qPauseP99},
	{"pause_max_ms", qSummaryMax},
	{"time_to_stop_p99_ms", qStoppingP99},
	{"mark_assist_fraction", qMarkAssist},
	{"live_heap_bytes", qHeapLive},
	{"peak_heap_bytes", qHeapInuse},
}

// windows reads each figure over the non-overlapping step-long windows
// of res's range.
func windows(ctx context.Context, api API, res *Result, latency map[string]string) (map[string]map[string][]float64, error) {
	o := res.Opts
	q := &querier{api: api, opts: o, sel: "job=~" + promString(o.Job), rng: promDuration(o.Step)}
	out := map[string]map[string][]float64{}
	add := func(metric string, vals map[string][]float64) {
		for job, vs := range vals {
			if out[job] == nil {
				out[job] = map[string][]float64{}
			}
			out[job][metric] = vs
		}
	}
	for _, wq := range windowQueries {
		vals, err := q.seriesByJob(ctx, wq.metric+" per window", q.expr(wq.template))
		if err != nil {
			return nil, err
		}
		add(wq.metric, vals)
	}
	bases := map[string]bool{}
	for _, b := range latency {
		if b != "" {
			bases[b] = true
		}
	}
	quantile := strconv.FormatFloat(o.Quantile, 'g', -1, 64)
	for base := range bases {
		vals, err := q.seriesByJob(ctx, "latency "+base+" per window", fmt.Sprintf(qLatency, q.sel, q.rng, quantile, base))
		if err != nil {
			return nil, err
		}
		for job := range vals {
			if latency[job] != base {
				delete(vals, job)
			}
		}
		add("request_ms", vals)
	}
	res.Notes = append(res.Notes, q.notes...)
	return out, nil
}

// seriesByJob runs a range query over the range at the step and returns
// each job's finite values, one per window.
func (q *querier) seriesByJob(ctx context.Context, name, query string) (map[string][]float64, error) {
	matrix, err := q.rangeQuery(ctx, name, query)
	if err != nil {
		return nil, err
	}
	out := map[string][]float64{}
	for _, series := range matrix {
		job := string(series.Metric["job"])
		for _, p := range series.Values {
			if v := float64(p.Value); !math.IsNaN(v) && !math.IsInf(v, 0) {
				out[job] = append(out[job], v)
			}
		}
	}
	return out, nil
}

// Comparisons builds one comparison per job present in both ranges; jobs
// in one range only are named in the notes.
func Comparisons(c *Compared, opts compare.Options) ([]compare.Job, []string) {
	var notes []string
	before := map[string]*Job{}
	for i := range c.Before.Jobs {
		before[c.Before.Jobs[i].Name] = &c.Before.Jobs[i]
	}
	after := map[string]bool{}
	var out []compare.Job
	for i := range c.After.Jobs {
		a := &c.After.Jobs[i]
		after[a.Name] = true
		b, ok := before[a.Name]
		if !ok {
			notes = append(notes, fmt.Sprintf("job %s has no GC metrics in the BEFORE range: not compared", a.Name))
			continue
		}
		out = append(out, compareJob(b, a, c, opts))
	}
	for _, j := range c.Before.Jobs {
		if !after[j.Name] {
			notes = append(notes, fmt.Sprintf("job %s has no GC metrics in the AFTER range: not compared", j.Name))
		}
	}
	return out, notes
}

func compareJob(b, a *Job, c *Compared, opts compare.Options) compare.Job {
	bm, am := &b.Metrics, &a.Metrics
	bw, aw := c.BeforeWindows[b.Name], c.AfterWindows[a.Name]
	step := c.After.Opts.Step
	samples := fmt.Sprintf("%s windows", promDuration(step))
	row := func(metric, unit, worse string, bv, av *float64, key string, scale float64) compare.Row {
		return compare.WindowRow(metric, unit, worse, bv, av, scaleAll(bw[key], scale), scaleAll(aw[key], scale), samples, opts)
	}
	var rows []compare.Row
	gcRate := func(m *fleet.Metrics) *float64 {
		if m.GCCycles <= 0 && m.GCPerSecond == 0 {
			return nil
		}
		return ptr(m.GCPerSecond)
	}
	rows = append(rows, row("gc_per_second", "per_second", "higher", gcRate(bm), gcRate(am), "gc_per_second", 1))
	cpu := func(j *Job) *float64 {
		if !j.HasCPUClasses {
			return nil // go_memstats_gc_cpu_fraction is since each process started
		}
		return j.Metrics.GCCPUFraction
	}
	r := row("gc_cpu_fraction", "fraction", "higher", cpu(b), cpu(a), "gc_cpu_fraction", 1)
	if !b.HasCPUClasses || !a.HasCPUClasses {
		r.Note = "needs go_cpu_classes_* on both sides (go_memstats_gc_cpu_fraction averages since each process started)"
	}
	rows = append(rows, r)
	rows = append(rows,
		row("pause_p99_ms", "ms", "higher", bm.PauseP99Ms, am.PauseP99Ms, "pause_p99_ms", 1e3),
		row("pause_max_ms", "ms", "higher", bm.PauseSummaryMaxMs, am.PauseSummaryMaxMs, "pause_max_ms", 1e3),
		row("time_to_stop_p99_ms", "ms", "higher", bm.StoppingP99Ms, am.StoppingP99Ms, "time_to_stop_p99_ms", 1e3))
	// Mark assists are a share of the CPU capacity; ms per second is that
	// share times GOMAXPROCS, when the job exports both.
	assist := func(m *fleet.Metrics) (*float64, float64) {
		if m.MarkAssistFraction == nil || m.GOMAXPROCS == nil {
			return nil, math.NaN()
		}
		scale := *m.GOMAXPROCS * 1e3
		return ptr(*m.MarkAssistFraction * scale), scale
	}
	ba, bscale := assist(bm)
	aa, ascale := assist(am)
	r = compare.WindowRow("mark_assist_ms_per_second", "ms_per_second", "higher", ba, aa, scaleAll(bw["mark_assist_fraction"], bscale), scaleAll(aw["mark_assist_fraction"], ascale), samples, opts)
	rows = append(rows, r)
	for _, w := range []string{"mmu_1ms", "mmu_10ms", "mmu_100ms"} {
		rows = append(rows, compare.Row{Metric: w, Unit: "fraction", WorseWhen: "lower", Note: "cannot tell from metrics: the MMU needs every pause and its time"})
	}
	r = row("live_heap_bytes", "bytes", "higher", bm.HeapLiveMaxBytes, am.HeapLiveMaxBytes, "live_heap_bytes", 1)
	r.Note = joinNote(r.Note, "the highest live heap at a scrape (go_gc_heap_live_bytes), not the median over cycles")
	rows = append(rows, r)
	r = row("peak_heap_bytes", "bytes", "higher", bm.HeapInuseMaxBytes, am.HeapInuseMaxBytes, "peak_heap_bytes", 1)
	r.Note = joinNote(r.Note, "heap in use at scrape resolution (go_memstats_heap_inuse_bytes): peaks between scrapes are missed")
	rows = append(rows, r)
	latency := func(j *Job) *float64 {
		if j.Metrics.LatencyMetric != a.Metrics.LatencyMetric {
			return nil
		}
		return j.Metrics.LatencyMs
	}
	r = row(latencyMetric(c.After.Opts.Quantile), "ms", "higher", latency(b), latency(a), "request_ms", 1e3)
	switch {
	case am.LatencyMetric == "":
		r.Note = "no *_request_duration_seconds histogram in the AFTER range"
	case bm.LatencyMetric != am.LatencyMetric:
		r.Note = fmt.Sprintf("the busiest request histogram is %s in the BEFORE range and %s in the AFTER range", bm.LatencyMetric, am.LatencyMetric)
	}
	rows = append(rows, r)
	rows = append(rows, compare.Row{Metric: "gc_share_of_tail", Unit: "fraction", WorseWhen: "higher", Note: "cannot tell from metrics: they have no per-request timing"})

	cmp := &compare.Comparison{Before: summary(b, c.Before.Opts), After: summary(a, c.After.Opts), Alpha: opts.Alpha,
		Rows: rows, Notes: []string{}, Distributions: []compare.Distribution{}}
	if p, q := bm.GOMAXPROCS, am.GOMAXPROCS; p != nil && q != nil && *p != *q {
		cmp.Notes = append(cmp.Notes, fmt.Sprintf("GOMAXPROCS was %g in the BEFORE range and %g in the AFTER range", *p, *q))
	}
	if bm.Instances != am.Instances {
		cmp.Notes = append(cmp.Notes, fmt.Sprintf("%d instances in the BEFORE range and %d in the AFTER range: rates are per instance, sizes the largest instance's", bm.Instances, am.Instances))
	}
	knowable := knowable(a, &c.After.Opts)
	knowable = append(knowable, fmt.Sprintf("can tell: whether a figure moved beyond the noise of its %s windows (two-sided Mann–Whitney U over the windows of each range)", promDuration(step)),
		"cannot tell: request percentiles other than the histogram's, to its bucket resolution; a change inside one bucket does not show")
	return compare.Job{Job: a.Name, Comparison: cmp, Knowable: knowable}
}

func scaleAll(vs []float64, scale float64) []float64 {
	out := make([]float64, len(vs))
	for i, v := range vs {
		out[i] = v * scale
	}
	return out
}

func joinNote(a, b string) string {
	if a == "" {
		return b
	}
	return a + "; " + b
}

// latencyMetric names the row of the latency quantile q as the trace
// comparison does (request_p99_ms, request_p50_ms, request_p999_ms).
func latencyMetric(q float64) string {
	s := strings.ReplaceAll(strconv.FormatFloat(100*q, 'f', -1, 64), ".", "")
	return "request_p" + s + "_ms"
}

// summary says what one range of a job was.
func summary(j *Job, o Options) compare.SideSummary {
	m := &j.Metrics
	s := compare.SideSummary{Inputs: []string{fmt.Sprintf("job %s, %s … %s", j.Name, o.End.Add(-o.Range).UTC().Format(time.RFC3339), o.End.UTC().Format(time.RFC3339))},
		Runs: m.Instances, GOGC: m.GOGC, MemoryLimit: m.MemoryLimit, WindowMs: float64(o.Range.Milliseconds()),
		Cycles: int(math.Round(m.GCCycles)), Verdicts: []string{}}
	if m.GOMAXPROCS != nil {
		s.GOMAXPROCS = int(*m.GOMAXPROCS)
	}
	if m.RequestsPerSecond != nil {
		s.Requests = int(math.Round(*m.RequestsPerSecond * o.Range.Seconds()))
	}
	return s
}
