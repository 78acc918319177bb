package promfleet

import (
	"context"
	"errors"
	"fmt"
	"math"
	"strings"
	"testing"
	"time"

	"github.com/gcwatch/gcwatch/internal/fleet"
	v1 "github.com/prometheus/client_golang/api/prometheus/v1"
	"github.com/prometheus/common/model"
)

// fakeAPI answers each query by the metric name it reads (the first
// answer whose key the query contains) with one sample per job.
type fakeAPI struct {
	answers []answer
	names   model.LabelValues
	fail    string // queries containing this fail
	queries []string
}

type answer struct {
	key   string
	byJob map[string]float64
}

func (f *fakeAPI) lookup(q string) (model.Vector, error) {
	f.queries = append(f.queries, q)
	if f.fail != "" && strings.Contains(q, f.fail) {
		return nil, errors.New("server said no")
	}
	var vec model.Vector
	for _, a := range f.answers {
		if strings.Contains(q, a.key) {
			for job, v := range a.byJob {
				vec = append(vec, &model.Sample{Metric: model.Metric{"job": model.LabelValue(job)}, Value: model.SampleValue(v)})
			}
			break
		}
	}
	return vec, nil
}

func (f *fakeAPI) Query(_ context.Context, q string, _ time.Time, _ ...v1.Option) (model.Value, v1.Warnings, v1.Infos, error) {
	vec, err := f.lookup(q)
	return vec, nil, nil, err
}

func (f *fakeAPI) QueryRange(_ context.Context, q string, r v1.Range, _ ...v1.Option) (model.Value, v1.Warnings, v1.Infos, error) {
	vec, err := f.lookup(q)
	var m model.Matrix
	for _, s := range vec {
		// Three points; the peak is the answer, the others below it.
		m = append(m, &model.SampleStream{Metric: s.Metric, Values: []model.SamplePair{{Value: s.Value / 2}, {Value: s.Value}, {Value: model.SampleValue(math.NaN())}}})
	}
	return m, v1.Warnings{"partial data"}, nil, err
}

func (f *fakeAPI) LabelValues(_ context.Context, _ string, _ []string, _, _ time.Time, _ ...v1.Option) (model.LabelValues, v1.Warnings, v1.Infos, error) {
	return f.names, nil, nil, nil
}

func TestCollect(t *testing.T) {
	api := &fakeAPI{
		names: model.LabelValues{"http_request_duration_seconds_bucket", "grpc_request_duration_seconds_bucket"},
		answers: []answer{
			{"count by (job) (last_over_time(go_gc_duration_seconds_count", map[string]float64{"a": 2, "b": 1}},
			{"increase(go_gc_duration_seconds_count", map[string]float64{"a": 40, "b": 3}},
			{"avg by (job) (rate(go_gc_duration_seconds_count", map[string]float64{"a": 0.5, "b": 0.01}},
			{"rate(go_gc_duration_seconds_sum", map[string]float64{"a": 0.0002}},
			{`quantile="1"`, map[string]float64{"a": 0.004, "b": 0.001}},
			{"go_sched_pauses_total_gc_seconds_bucket", map[string]float64{"a": 0.003, "b": math.NaN()}},
			{"go_sched_pauses_stopping_gc_seconds_bucket", map[string]float64{"a": 0.0001}},
			{"go_cpu_classes_gc_mark_idle", map[string]float64{"a": 0.3}}, // the GC CPU query names idle
			{"go_cpu_classes_gc_mark_assist", map[string]float64{"a": 0.05}},
			{"go_memstats_gc_cpu_fraction", map[string]float64{"a": 0.9, "b": 0.02}},
			{"go_memstats_heap_inuse_bytes", map[string]float64{"a": 400e6, "b": 10e6}},
			{"go_gc_heap_live_bytes", map[string]float64{"a": 100e6}},
			{"go_memstats_next_gc_bytes", map[string]float64{"a": 1, "b": 8e6}},
			{"go_gc_heap_goal_bytes", map[string]float64{"a": 200e6}},
			{"go_gc_gogc_percent", map[string]float64{"a": 50, "b": -1}},
			{"go_gc_gomemlimit_bytes", map[string]float64{"a": 512 << 20, "b": math.MaxInt64}},
			{"go_sched_gomaxprocs_threads", map[string]float64{"a": 4}},
			{"rate(http_request_duration_seconds_count", map[string]float64{"a": 100, "b": 5}},
			{"rate(grpc_request_duration_seconds_count", map[string]float64{"a": 300}},
			{"http_request_duration_seconds_bucket", map[string]float64{"a": 0.05, "b": 0.2}},
			{"grpc_request_duration_seconds_bucket", map[string]float64{"a": 0.02}},
		},
	}
	o := DefaultOptions()
	o.Range, o.Job, o.End = 30*time.Minute, `a|b"`, time.Unix(1e9, 0)
	res, err := Collect(context.Background(), api, o)
	if err != nil {
		t.Fatal(err)
	}
	for _, q := range api.queries {
		if !strings.Contains(q, `job=~"a|b\""`) {
			t.Errorf("query without the job matcher: %s", q)
		}
		if strings.Contains(q, "[") && !strings.Contains(q, "[30m]") && !strings.Contains(q, "[3m]") {
			t.Errorf("query without the range (30m) or the step (3m): %s", q)
		}
	}
	if len(res.Jobs) != 2 || res.Jobs[0].Name != "a" || res.Jobs[1].Name != "b" {
		t.Fatalf("jobs %+v", res.Jobs)
	}
	if res.Opts.Step != 3*time.Minute || len(res.Notes) != 1 || !strings.Contains(res.Notes[0], "partial data") {
		t.Errorf("step %v, notes %q: want 3m (a tenth of 30m) and the range query's warning", res.Opts.Step, res.Notes)
	}
	a, b := res.Jobs[0].Metrics, res.Jobs[1].Metrics
	checks := []struct {
		name      string
		got, want *float64
	}{
		{"a pause mean ms", a.PauseMeanMs, ptr(0.2)},
		{"a summary max ms", a.PauseSummaryMaxMs, ptr(4)},
		{"a pause p99 ms", a.PauseP99Ms, ptr(3)},
		{"b pause p99 (NaN: no pauses)", b.PauseP99Ms, nil},
		{"a stopping p99 ms", a.StoppingP99Ms, ptr(0.1)},
		{"a GC CPU from cpu classes", a.GCCPUFraction, ptr(0.3)},
		{"a worst GC CPU", a.GCCPUPeak, ptr(0.3)},
		{"b GC CPU from memstats", b.GCCPUFraction, ptr(0.02)},
		{"a heap goal (runtime/metrics over next_gc)", a.HeapGoalMaxBytes, ptr(200e6)},
		{"b heap goal from next_gc", b.HeapGoalMaxBytes, ptr(8e6)},
		{"a latency from the busier grpc histogram", a.LatencyMs, ptr(20)},
		{"b latency from http", b.LatencyMs, ptr(200)},
	}
	for _, c := range checks {
		if (c.got == nil) != (c.want == nil) || (c.got != nil && math.Abs(*c.got-*c.want) > 1e-9) {
			t.Errorf("%s: got %v, want %v", c.name, deref(c.got), deref(c.want))
		}
	}
	if str(a.GOGC) != "50" || str(b.GOGC) != "off" || str(a.MemoryLimit) != "512MiB" || str(b.MemoryLimit) != "off" || a.Instances != 2 || a.GCCycles != 40 {
		t.Errorf("settings: a GOGC %s GOMEMLIMIT %s, b GOGC %s GOMEMLIMIT %s, a instances %d cycles %v", str(a.GOGC), str(a.MemoryLimit), str(b.GOGC), str(b.MemoryLimit), a.Instances, a.GCCycles)
	}
	if a.LatencyMetric != "grpc_request_duration_seconds" || len(res.Jobs[0].OtherLatencyMetrics) != 1 {
		t.Errorf("a latency from %s, others %v", a.LatencyMetric, res.Jobs[0].OtherLatencyMetrics)
	}
	if !res.Jobs[0].HasCPUClasses || res.Jobs[1].HasCPUClasses || !res.Jobs[0].HasPauseHistogram || res.Jobs[1].HasPauseHistogram {
		t.Error("the exported-series flags are wrong")
	}
}

func deref(p *float64) any {
	if p == nil {
		return nil
	}
	return *p
}

func TestCollectFailingQuery(t *testing.T) {
	api := &fakeAPI{fail: "go_gc_heap_live_bytes", answers: []answer{{"go_gc_duration_seconds_count", map[string]float64{"a": 1}}}}
	_, err := Collect(context.Background(), api, DefaultOptions())
	if err == nil || !strings.Contains(err.Error(), "query heap_live") || !strings.Contains(err.Error(), "server said no") {
		t.Errorf("got %v, want the failing query named", err)
	}
}

// TestAssessRank checks the verdicts and ranking against numbers worked out
// by hand from the thresholds (gc_cpu_high 25 %, gc_cpu_target 10 %,
// gc_share_small 10 %, time_to_stop_min 1 ms).
func TestAssessRank(t *testing.T) {
	job := func(name string, cycles float64, set func(*fleet.Metrics)) Job {
		j := Job{Name: name, Metrics: fleet.Metrics{GCCycles: cycles, LatencyQuantile: 0.99}}
		set(&j.Metrics)
		return j
	}
	res := &Result{Opts: DefaultOptions(), Jobs: []Job{
		job("quiet", 100, func(m *fleet.Metrics) { m.GCCPUFraction, m.PauseP99Ms, m.LatencyMs = ptr(0.02), ptr(0.1), ptr(50) }),
		job("pauses", 100, func(m *fleet.Metrics) { m.GCCPUFraction, m.PauseP99Ms, m.LatencyMs = ptr(0.05), ptr(5), ptr(20) }),
		job("cpu", 100, func(m *fleet.Metrics) {
			m.GCCPUFraction, m.HeapInuseMaxBytes, m.HeapLiveMaxBytes = ptr(0.30), ptr(400), ptr(100)
		}),
		job("stw", 100, func(m *fleet.Metrics) { m.GCCPUFraction, m.StoppingP99Ms = ptr(0.01), ptr(2) }),
		job("thin", 1, func(m *fleet.Metrics) { m.GCCPUFraction = ptr(0.9) }),
	}}
	res.Opts.complete()
	got := Rank(Assess(res))
	want := []struct {
		name  string
		rank  int
		worth bool
	}{{"cpu", 1, true}, {"pauses", 2, true}, {"stw", 3, true}, {"quiet", 4, false}, {"thin", 0, false}}
	for i, w := range want {
		s := got[i]
		if s.Name != w.name || s.Rank != w.rank || s.WorthCapture != w.worth {
			t.Errorf("%d: %s rank %d worth %v, want %s rank %d worth %v (%q)", i, s.Name, s.Rank, s.WorthCapture, w.name, w.rank, w.worth, s.Reasons)
		}
	}
	byName := map[string]fleet.Service{}
	for _, s := range got {
		byName[s.Name] = s
	}
	if o := byName["cpu"].MemoryOverhead; o == nil || *o != 0.75 { // (400 − 100) / 400
		t.Errorf("cpu memory overhead %v, want 0.75", deref(o))
	}
	if sh := byName["pauses"].Metrics.PauseShareOfLatency; sh == nil || *sh != 0.25 { // 5 ms / 20 ms
		t.Errorf("pauses pause share %v, want 0.25", deref(sh))
	}
	if r := strings.Join(byName["cpu"].Reasons, "; "); !strings.Contains(r, "gc_cpu_high") {
		t.Errorf("cpu reasons %q, want gc_cpu_high named", r)
	}
	if r := strings.Join(byName["stw"].Reasons, "; "); !strings.Contains(r, "fix-stw-delay") {
		t.Errorf("stw reasons %q, want the stop-the-world delay named", r)
	}
	if byName["thin"].Data != "insufficient" {
		t.Errorf("thin: data %s", byName["thin"].Data)
	}
	k := strings.Join(byName["quiet"].Knowable, "\n")
	for _, want := range []string{"last 256 pauses", "cannot tell: which requests GC slowed", "cannot tell: the settings GOGC, GOMEMLIMIT, GOMAXPROCS", "cannot tell: GC CPU within the range"} {
		if !strings.Contains(k, want) {
			t.Errorf("quiet's notes lack %q:\n%s", want, k)
		}
	}
}

// TestObjective: with an SLO, pauses are weighed against its target, not
// the observed latency.
func TestObjective(t *testing.T) {
	res := &Result{Opts: DefaultOptions(), Jobs: []Job{{Name: "x", Metrics: fleet.Metrics{GCCycles: 10, PauseSummaryMaxMs: ptr(3), LatencyMs: ptr(100), LatencyQuantile: 0.99}}}}
	res.Opts.Objective = 20 * time.Millisecond
	res.Opts.complete()
	s := Assess(res)[0]
	if sh := s.Metrics.PauseShareOfLatency; sh == nil || math.Abs(*sh-0.15) > 1e-12 || !s.WorthCapture {
		t.Errorf("share %v worth %v: want 3 ms / 20 ms = 0.15, flagged", deref(sh), s.WorthCapture)
	}
	if r := strings.Join(s.Reasons, "; "); !strings.Contains(r, "above the objective") {
		t.Errorf("reasons %q: want p99 above the objective said", r)
	}
}

func FuzzPromString(f *testing.F) {
	for _, s := range []string{"", "a|b", `"`, `\`, "ü\x00\xff", ".+"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		q := promString(s)
		if !strings.HasPrefix(q, `"`) || !strings.HasSuffix(q, `"`) || strings.ContainsAny(q[1:len(q)-1], "\n") {
			t.Fatalf("%q: not one double-quoted literal: %s", s, q)
		}
		// An unescaped quote inside would end the literal early.
		for i := 1; i < len(q)-1; i++ {
			if q[i] == '\\' {
				i++
			} else if q[i] == '"' {
				t.Fatalf("%q: bare quote inside %s", s, q)
			}
		}
	})
}

// str is a setting as text, "" when unknown.
func str[T fmt.Stringer](p *T) string {
	if p == nil {
		return ""
	}
	return (*p).String()
}
