package promfleet

import (
	"context"
	"math"
	"strings"
	"testing"
	"time"

	v1 "github.com/prometheus/client_golang/api/prometheus/v1"
	"github.com/prometheus/common/model"

	"github.com/gcwatch/gcwatch/internal/compare"
)

// rangesAPI answers as fakeAPI, with one set of answers for queries at or
// ending at the BEFORE range's end and another for AFTER's; a range query
// gets ten windows, the value times 0.9, 0.92, …, 1.08.
type rangesAPI struct {
	beforeEnd     time.Time
	before, after *fakeAPI
}

func (r *rangesAPI) pick(t time.Time) *fakeAPI {
	if t.Equal(r.beforeEnd) {
		return r.before
	}
	return r.after
}

func (r *rangesAPI) Query(ctx context.Context, q string, ts time.Time, o ...v1.Option) (model.Value, v1.Warnings, v1.Infos, error) {
	return r.pick(ts).Query(ctx, q, ts, o...)
}

func (r *rangesAPI) QueryRange(_ context.Context, q string, rg v1.Range, _ ...v1.Option) (model.Value, v1.Warnings, v1.Infos, error) {
	vec, err := r.pick(rg.End).lookup(q)
	var m model.Matrix
	for _, s := range vec {
		ss := &model.SampleStream{Metric: s.Metric}
		for i := range 10 {
			ss.Values = append(ss.Values, model.SamplePair{Value: s.Value * model.SampleValue(0.9+0.02*float64(i))})
		}
		m = append(m, ss)
	}
	return m, nil, nil, err
}

func (r *rangesAPI) LabelValues(ctx context.Context, l string, m []string, s, e time.Time, o ...v1.Option) (model.LabelValues, v1.Warnings, v1.Infos, error) {
	return r.pick(e).LabelValues(ctx, l, m, s, e, o...)
}

func rangeAnswers(gcRate, gcCPU, pauseP99, latency float64) *fakeAPI {
	return &fakeAPI{
		names: model.LabelValues{"http_request_duration_seconds_bucket"},
		answers: []answer{
			{"count by (job) (last_over_time(go_gc_duration_seconds_count", map[string]float64{"svc": 2}},
			{"increase(go_gc_duration_seconds_count", map[string]float64{"svc": gcRate * 3600}},
			{"avg by (job) (rate(go_gc_duration_seconds_count", map[string]float64{"svc": gcRate}},
			{"go_sched_pauses_total_gc_seconds_bucket", map[string]float64{"svc": pauseP99}},
			{"go_cpu_classes_gc_mark_idle", map[string]float64{"svc": gcCPU}},
			{"go_cpu_classes_gc_mark_assist", map[string]float64{"svc": 0.01}},
			{"go_memstats_heap_inuse_bytes", map[string]float64{"svc": 400e6}},
			{"go_sched_gomaxprocs_threads", map[string]float64{"svc": 4}},
			{"rate(http_request_duration_seconds_count", map[string]float64{"svc": 100}},
			{"http_request_duration_seconds_bucket", map[string]float64{"svc": latency}},
		},
	}
}

// TestCompareRanges: a job whose GC rate halved and latency fell between
// two ranges, pauses unchanged. The rows hold each range's aggregate; the
// halved figures are significant over the ten windows of each range, the
// unchanged ones inside the noise; what metrics cannot give is null.
func TestCompareRanges(t *testing.T) {
	end := time.Unix(2e9, 0)
	api := &rangesAPI{beforeEnd: end.Add(-24 * time.Hour),
		before: rangeAnswers(2, 0.10, 0.001, 0.080), after: rangeAnswers(1, 0.05, 0.001, 0.060)}
	before, after := DefaultOptions(), DefaultOptions()
	before.End, before.Range, before.Step = api.beforeEnd, time.Hour, 6*time.Minute
	after.End, after.Range, after.Step = end, time.Hour, 6*time.Minute
	c, err := CollectCompare(context.Background(), api, before, after)
	if err != nil {
		t.Fatal(err)
	}
	jobs, notes := Comparisons(c, compare.DefaultOptions())
	if len(jobs) != 1 || len(notes) != 0 {
		t.Fatalf("jobs %+v, notes %q", jobs, notes)
	}
	j := jobs[0]
	want := []struct {
		metric        string
		before, after float64
		significant   *bool
	}{
		{"gc_per_second", 2, 1, ptrBool(true)},
		{"gc_cpu_fraction", 0.10, 0.05, ptrBool(true)},
		{"pause_p99_ms", 1, 1, ptrBool(false)},
		{"mark_assist_ms_per_second", 40, 40, ptrBool(false)}, // 1 % of 4 Ps
		{"request_p99_ms", 80, 60, ptrBool(true)},
		{"peak_heap_bytes", 400e6, 400e6, ptrBool(false)},
		{"mmu_10ms", math.NaN(), math.NaN(), nil},
		{"gc_share_of_tail", math.NaN(), math.NaN(), nil},
	}
	for _, w := range want {
		r := j.Find(w.metric)
		if r == nil {
			t.Errorf("no row %s", w.metric)
			continue
		}
		if math.IsNaN(w.before) {
			if r.Before != nil || r.After != nil || r.Significant != nil || !strings.Contains(r.Note, "cannot tell") {
				t.Errorf("%s: %+v, want unknown and said so", w.metric, r)
			}
			continue
		}
		if r.Before == nil || r.After == nil || math.Abs(*r.Before-w.before) > 1e-9*w.before || math.Abs(*r.After-w.after) > 1e-9*w.after {
			t.Errorf("%s: %v → %v, want %v → %v", w.metric, deref(r.Before), deref(r.After), w.before, w.after)
		}
		if r.Significant == nil || *r.Significant != *w.significant || r.BeforeN != 10 || r.AfterN != 10 {
			t.Errorf("%s: significant %v over %d+%d windows, want %v over 10+10 (%+v)", w.metric, r.Significant, r.BeforeN, r.AfterN, *w.significant, r)
		}
	}
	if !strings.Contains(j.Before.Inputs[0], "job svc") || j.Before.GOMAXPROCS != 4 {
		t.Errorf("before: %+v", j.Before)
	}
	if !strings.Contains(strings.Join(j.Knowable, "\n"), "Mann–Whitney U over the windows") {
		t.Errorf("knowable does not say how changes are tested: %q", j.Knowable)
	}
}

func ptrBool(b bool) *bool { return &b }
