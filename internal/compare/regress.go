package compare

import (
	"fmt"
	"math"
	"strconv"
	"strings"
)

// Threshold is one bound of --fail-on-regression: how far a figure may get
// worse before a significant change counts as a regression.
type Threshold struct {
	Metric string
	// Limit is a fraction of the BEFORE value (Points false), or an
	// absolute change of a fraction in percentage points / 100 (Points
	// true).
	Limit  float64
	Points bool
	// Spec is how the user wrote it.
	Spec string
}

// shortNames are the names a threshold may use besides a row's metric.
var shortNames = map[string]string{
	"p50": "request_p50_ms", "p99": "request_p99_ms", "p99.9": "request_p999_ms", "p999": "request_p999_ms",
	"gc": "gc_per_second", "gc_rate": "gc_per_second", "gc_cpu": "gc_cpu_fraction",
	"pause_p50": "pause_p50_ms", "pause_p99": "pause_p99_ms", "pause_max": "pause_max_ms",
	"time_to_stop": "time_to_stop_p99_ms", "assist": "mark_assist_ms_per_second",
	"live_heap": "live_heap_bytes", "peak_heap": "peak_heap_bytes",
}

// tested are the metrics a significance test stands behind; the others
// (MMU, GC share of the tail) cannot fail a build on noise.
var tested = map[string]string{
	"gc_per_second": "fraction", "gc_cpu_fraction": "fraction", "pause_p50_ms": "ms", "pause_p99_ms": "ms",
	"pause_max_ms": "ms", "time_to_stop_p99_ms": "ms", "mark_assist_ms_per_second": "ms_per_second",
	"live_heap_bytes": "bytes", "peak_heap_bytes": "bytes",
	"request_p50_ms": "ms", "request_p99_ms": "ms", "request_p999_ms": "ms",
}

// ParseThresholds reads a comma-separated list of NAME=+N% (a change
// relative to BEFORE) or NAME=+Npt (percentage points, for fractions such
// as gc_cpu). The sign may be left out: a bound is always in the
// direction that is worse.
func ParseThresholds(spec string) ([]Threshold, error) {
	var out []Threshold
	for part := range strings.SplitSeq(spec, ",") {
		part = strings.TrimSpace(part)
		if part == "" {
			continue
		}
		name, val, ok := strings.Cut(part, "=")
		if !ok {
			return nil, fmt.Errorf("%q: want NAME=+N%% or NAME=+Npt", part)
		}
		name, val = strings.TrimSpace(name), strings.TrimSpace(val)
		metric := name
		if m, ok := shortNames[name]; ok {
			metric = m
		}
		unit, ok := tested[metric]
		if !ok {
			return nil, fmt.Errorf("%q: %q is not a figure compare tests (want one of p50, p99, p99.9, gc, gc_cpu, pause_p50, pause_p99, pause_max, time_to_stop, assist, live_heap, peak_heap, or a row's metric)", part, name)
		}
		t := Threshold{Metric: metric, Spec: part}
		num := strings.TrimPrefix(strings.TrimPrefix(val, "+"), "-")
		switch {
		case strings.HasSuffix(num, "%"):
			num = strings.TrimSuffix(num, "%")
		case strings.HasSuffix(num, "pt"):
			if unit != "fraction" {
				return nil, fmt.Errorf("%q: percentage points are for fractions (gc_cpu); use %% for %s", part, name)
			}
			num, t.Points = strings.TrimSuffix(num, "pt"), true
		default:
			return nil, fmt.Errorf("%q: want a change such as +10%% or +2pt", part)
		}
		v, err := strconv.ParseFloat(strings.TrimSpace(num), 64)
		if err != nil || v < 0 || math.IsInf(v, 0) || math.IsNaN(v) {
			return nil, fmt.Errorf("%q: %q is not a change", part, val)
		}
		t.Limit = v / 100
		out = append(out, t)
	}
	return out, nil
}

// Regression is a figure that got worse past its threshold, significantly.
type Regression struct {
	Threshold Threshold
	Row       Row
}

func (r Regression) String() string {
	return fmt.Sprintf("%s regressed past %s (p = %.3g)", r.Row.Metric, r.Threshold.Spec, *r.Row.PValue)
}

// Regressions returns the rows that got significantly worse by more than
// their threshold, and notes on thresholds that could not be checked.
func (c *Comparison) Regressions(ths []Threshold) ([]Regression, []string) {
	var regs []Regression
	var notes []string
	for _, t := range ths {
		r := c.Find(t.Metric)
		if r == nil || r.Before == nil || r.After == nil {
			notes = append(notes, fmt.Sprintf("%s: %s is not known on both sides, not checked", t.Spec, t.Metric))
			continue
		}
		if r.Significant == nil {
			notes = append(notes, fmt.Sprintf("%s: %s could not be tested (%s), not checked", t.Spec, t.Metric, r.Note))
			continue
		}
		worse := *r.After - *r.Before
		if r.WorseWhen == "lower" {
			worse = -worse
		}
		over := false
		if t.Points {
			over = worse > t.Limit
		} else {
			over = worse > t.Limit*math.Abs(*r.Before)
		}
		if over && *r.Significant {
			regs = append(regs, Regression{Threshold: t, Row: *r})
		}
	}
	return regs, notes
}
