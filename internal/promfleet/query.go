package promfleet

import (
	"context"
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/gcwatch/gcwatch/internal/advice"
	v1 "github.com/prometheus/client_golang/api/prometheus/v1"
	"github.com/prometheus/common/model"
)

// API is the part of the Prometheus HTTP API client (v1.API) Collect uses;
// tests give a fake.
type API interface {
	Query(ctx context.Context, query string, ts time.Time, opts ...v1.Option) (model.Value, v1.Warnings, v1.Infos, error)
	QueryRange(ctx context.Context, query string, r v1.Range, opts ...v1.Option) (model.Value, v1.Warnings, v1.Infos, error)
	LabelValues(ctx context.Context, label string, matches []string, startTime, endTime time.Time, opts ...v1.Option) (model.LabelValues, v1.Warnings, v1.Infos, error)
}

// Options say which jobs to read, over which range, and how to judge them.
type Options struct {
	End   time.Time     // the range ends here (zero: now)
	Range time.Duration // how far back from End
	// Step is the length of the windows GCCPUPeak is measured over, and the
	// spacing of the range query that finds it (zero: Range/10, at least
	// 15 s).
	Step time.Duration
	Job  string // a regular expression (RE2, anchored) for the job label; "" for all
	// Quantile is the latency quantile read from request histograms (zero:
	// 0.99); Objective the latency target, when an SLO is given.
	Quantile   float64
	Objective  time.Duration
	Thresholds advice.Thresholds
}

// DefaultOptions returns an hour ending now, every job, p99, the
// advisor's default thresholds.
func DefaultOptions() Options {
	return Options{Range: time.Hour, Quantile: 0.99, Thresholds: advice.DefaultThresholds()}
}

func (o *Options) complete() error {
	if o.End.IsZero() {
		o.End = time.Now()
	}
	if o.Range < time.Second {
		return fmt.Errorf("the range must be at least 1s, not %v", o.Range)
	}
	if o.Step == 0 {
		o.Step = max(o.Range/10, 15*time.Second)
	}
	o.Step = min(o.Step, o.Range)
	if o.Step < time.Second {
		return fmt.Errorf("the step must be at least 1s, not %v", o.Step)
	}
	if o.Quantile == 0 {
		o.Quantile = 0.99
	}
	if o.Job == "" {
		o.Job = ".+"
	}
	return nil
}

// promString quotes s as a PromQL double-quoted string literal, whose
// escapes are Go's.
func promString(s string) string { return strconv.Quote(s) }

// promDuration writes d in PromQL's duration syntax, in whole milliseconds.
func promDuration(d time.Duration) string {
	return model.Duration(d.Truncate(time.Millisecond)).String()
}

// querier runs the queries of one Collect, keeping the notes (engine
// warnings) they bring back.
type querier struct {
	api   API
	opts  Options
	sel   string // the label matchers selecting the jobs, without braces
	rng   string // the range, in PromQL
	notes []string
}

// expr fills a query template: %[1]s is the job matchers, %[2]s the range.
func (q *querier) expr(template string) string {
	return fmt.Sprintf(template, q.sel, q.rng)
}

// byJob runs an instant query at the range's end and returns its samples by
// job label; NaN and infinite values (a histogram with no observations, or
// a quantile in the +Inf bucket) are left out.
func (q *querier) byJob(ctx context.Context, name, query string) (map[string]float64, error) {
	val, warnings, _, err := q.api.Query(ctx, query, q.opts.End)
	if err != nil {
		return nil, fmt.Errorf("query %s (%s): %w", name, query, err)
	}
	q.warn(name, warnings)
	vec, ok := val.(model.Vector)
	if !ok {
		return nil, fmt.Errorf("query %s (%s): want an instant vector, got a %s", name, query, val.Type())
	}
	out := map[string]float64{}
	for _, s := range vec {
		v := float64(s.Value)
		if math.IsNaN(v) || math.IsInf(v, 0) {
			continue
		}
		out[string(s.Metric["job"])] = v
	}
	return out, nil
}

// rangeQuery runs a range query over the range at the step, warning
// about what the server warns, and returns its range vector.
func (q *querier) rangeQuery(ctx context.Context, name, query string) (model.Matrix, error) {
	r := v1.Range{Start: q.opts.End.Add(-q.opts.Range + q.opts.Step), End: q.opts.End, Step: q.opts.Step}
	val, warnings, _, err := q.api.QueryRange(ctx, query, r)
	if err != nil {
		return nil, fmt.Errorf("query %s (%s): %w", name, query, err)
	}
	q.warn(name, warnings)
	matrix, ok := val.(model.Matrix)
	if !ok {
		return nil, fmt.Errorf("query %s (%s): want a range vector, got a %s", name, query, val.Type())
	}
	return matrix, nil
}

// peakByJob runs a range query over the whole range at the step and
// returns each job's highest finite value.
func (q *querier) peakByJob(ctx context.Context, name, query string) (map[string]float64, error) {
	matrix, err := q.rangeQuery(ctx, name, query)
	if err != nil {
		return nil, err
	}
	out := map[string]float64{}
	for _, series := range matrix {
		job := string(series.Metric["job"])
		for _, p := range series.Values {
			v := float64(p.Value)
			if math.IsNaN(v) || math.IsInf(v, 0) {
				continue
			}
			if old, seen := out[job]; !seen || v > old {
				out[job] = v
			}
		}
	}
	return out, nil
}

func (q *querier) warn(name string, warnings v1.Warnings) {
	for _, w := range warnings {
		q.notes = append(q.notes, fmt.Sprintf("query %s: the server warned: %s", name, w))
	}
}

// latencyHistograms lists the request-latency histograms (classic buckets
// named *_request_duration_seconds_bucket) the jobs export in the range.
func (q *querier) latencyHistograms(ctx context.Context) ([]string, error) {
	match := fmt.Sprintf(`{__name__=~".+_request_duration_seconds_bucket",%s}`, q.sel)
	names, warnings, _, err := q.api.LabelValues(ctx, "__name__", []string{match}, q.opts.End.Add(-q.opts.Range), q.opts.End)
	if err != nil {
		return nil, fmt.Errorf("listing request-latency histograms (%s): %w", match, err)
	}
	q.warn("latency histograms", warnings)
	out := make([]string, 0, len(names))
	for _, n := range names {
		if s := string(n); strings.HasSuffix(s, "_bucket") && model.IsValidLegacyMetricName(s) {
			out = append(out, strings.TrimSuffix(s, "_bucket"))
		}
	}
	return out, nil
}

// latency reads each job's request-latency quantile from its busiest
// *_request_duration_seconds histogram.
func (q *querier) latency(ctx context.Context, jobs map[string]*Job) error {
	names, err := q.latencyHistograms(ctx)
	if err != nil {
		return err
	}
	quantile := strconv.FormatFloat(q.opts.Quantile, 'g', -1, 64)
	busiest := map[string]float64{}
	for _, base := range names {
		rates, err := q.byJob(ctx, "requests "+base, fmt.Sprintf(qRequests, q.sel, q.rng, quantile, base))
		if err != nil {
			return err
		}
		lat, err := q.byJob(ctx, "latency "+base, fmt.Sprintf(qLatency, q.sel, q.rng, quantile, base))
		if err != nil {
			return err
		}
		for name, rate := range rates {
			j := jobs[name]
			if j == nil {
				continue
			}
			if prev, seen := busiest[name]; seen && rate <= prev {
				j.OtherLatencyMetrics = append(j.OtherLatencyMetrics, base)
				continue
			}
			if j.Metrics.LatencyMetric != "" {
				j.OtherLatencyMetrics = append(j.OtherLatencyMetrics, j.Metrics.LatencyMetric)
			}
			busiest[name] = rate
			j.Metrics.LatencyMetric, j.Metrics.RequestsPerSecond, j.Metrics.LatencyMs = base, ptr(rate), nil
			if v, ok := lat[name]; ok {
				j.Metrics.LatencyMs = ptr(v * 1e3)
			}
		}
	}
	return nil
}
