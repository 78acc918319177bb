package promfleet

import (
	"context"
	"math"
	"strings"
	"testing"
	"time"

	"github.com/gcwatch/gcwatch/internal/fleet"
)

// TestCollectThrottling reads the share of CFS periods throttled for the
// jobs whose containers cAdvisor counts, joined by namespace and pod; a
// job without the series, or without a quota (no periods: NaN), has none.
func TestCollectThrottling(t *testing.T) {
	api := &fakeAPI{answers: []answer{
		{"container_cpu_cfs_throttled_periods_total", map[string]float64{"a": 0.4, "b": math.NaN()}},
		{"count by (job) (last_over_time(go_gc_duration_seconds_count", map[string]float64{"a": 1, "b": 1, "c": 1}},
	}}
	o := DefaultOptions()
	o.Range, o.End = 30*time.Minute, time.Unix(1e9, 0)
	res, err := Collect(context.Background(), api, o)
	if err != nil {
		t.Fatal(err)
	}
	var q string
	for _, s := range api.queries {
		if strings.Contains(s, "container_cpu_cfs_throttled_periods_total") {
			q = s
		}
	}
	for _, want := range []string{"container_cpu_cfs_periods_total", `container!="POD"`, "on (namespace, pod) group_left (job)", `go_gc_duration_seconds_count{job=~".+"}[30m]`} {
		if !strings.Contains(q, want) {
			t.Errorf("throttling query lacks %q: %s", want, q)
		}
	}
	got := map[string]*float64{}
	for _, j := range res.Jobs {
		got[j.Name] = j.Metrics.CPUThrottledShare
	}
	if got["a"] == nil || *got["a"] != 0.4 || got["b"] != nil || got["c"] != nil {
		t.Errorf("throttled shares a %v b %v c %v; want 0.4, null, null", deref(got["a"]), deref(got["b"]), deref(got["c"]))
	}
}

// TestThrottledNotSlowToStop: slow stops in a throttled container are the
// CPU quota's, not a fix-stw-delay pattern: the job is not sent for a
// trace capture on them, and its reasons say it is starved and what to do
// about the CPU. Unthrottled, the same stops are a reason to capture.
func TestThrottledNotSlowToStop(t *testing.T) {
	stw := func(share *float64) Job {
		return Job{Name: "stw", Metrics: fleet.Metrics{GCCycles: 100, GCCPUFraction: ptr(0.01), StoppingP99Ms: ptr(2), CPUThrottledShare: share}}
	}
	for _, tc := range []struct {
		share   *float64
		verdict string
		reason  string
		absent  string
	}{
		{ptr(0.3), QuietInMetrics, "ran out of their CPU quota in 30% of CFS periods (container_cpu_cfs_throttled_periods_total), at or above starved_throttled_share (10%): the process is starved of CPU, so stopping the world taking 2.00 ms at p99 is not a fix-stw-delay pattern; set GOMAXPROCS at or below the CPU limit", "stopping the world for GC takes"},
		{ptr(0.05), WorthCapture, "a fix-stw-delay pattern", "CPU quota"},
		{nil, WorthCapture, "a fix-stw-delay pattern", "CPU quota"},
	} {
		res := &Result{Opts: DefaultOptions(), Jobs: []Job{stw(tc.share)}}
		res.Opts.complete()
		s := Assess(res)[0]
		r := strings.Join(s.Reasons, "; ")
		if s.Verdict.ID != tc.verdict || !strings.Contains(r, tc.reason) || strings.Contains(r, tc.absent) {
			t.Errorf("throttled %v: verdict %s, reasons %q; want %s saying %q", deref(tc.share), s.Verdict.ID, r, tc.verdict, tc.reason)
		}
	}
}
