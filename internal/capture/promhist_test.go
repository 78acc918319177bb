package capture

import (
	"context"
	"io"
	"math"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// scrape asks handler for /metrics with the Accept header given and
// returns the body and its content type.
func scrape(t *testing.T, h http.Handler, accept string) (string, string) {
	t.Helper()
	req := httptest.NewRequest(http.MethodGet, "/metrics", nil)
	req.Header.Set("Accept", accept)
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	if rec.Code != http.StatusOK {
		t.Fatalf("status %d", rec.Code)
	}
	return rec.Body.String(), rec.Header().Get("Content-Type")
}

// TestReadMetricsOpenMetrics reads what the Prometheus client library
// serves as OpenMetrics (exemplars, _created series, "# EOF") and as the
// text format and as protobuf: the same histograms and gauges come out.
func TestReadMetricsOpenMetrics(t *testing.T) {
	reg := prometheus.NewRegistry()
	h := prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Name: "http_request_duration_seconds", Help: "latency", Buckets: []float64{0.01, 0.1, 1},
	}, []string{"path"})
	c := prometheus.NewCounter(prometheus.CounterOpts{Name: "requests_total", Help: "n"})
	g := prometheus.NewGauge(prometheus.GaugeOpts{Name: "go_gc_gogc_percent", Help: "gogc"})
	s := prometheus.NewSummary(prometheus.SummaryOpts{Name: "go_gc_duration_seconds", Help: "pauses", Objectives: map[float64]float64{0.5: 0.05, 1: 0}})
	reg.MustRegister(h, c, g, s)
	for i := range 100 {
		v := float64(i) / 200 // 0 … 0.495
		h.WithLabelValues("/a").(prometheus.ExemplarObserver).ObserveWithExemplar(v, prometheus.Labels{"trace_id": "4bf92f3577b34da6a3ce929d0e0e4736"})
		s.Observe(v / 100)
	}
	h.WithLabelValues("/b").Observe(5)
	c.Add(7)
	g.Set(100)
	handler := promhttp.HandlerFor(reg, promhttp.HandlerOpts{EnableOpenMetrics: true})

	om, omType := scrape(t, handler, "application/openmetrics-text;version=1.0.0")
	if !strings.Contains(om, "# EOF") || !strings.Contains(om, ` # {trace_id="4bf92f3577b34da6a3ce929d0e0e4736"}`) || !strings.HasPrefix(omType, "application/openmetrics-text") {
		t.Fatalf("not OpenMetrics with exemplars (%s):\n%s", omType, om)
	}
	text, textType := scrape(t, handler, "text/plain;version=0.0.4")
	pb, pbType := scrape(t, handler, MetricsAccept)
	if !strings.HasPrefix(pbType, "application/vnd.google.protobuf") {
		t.Fatalf("MetricsAccept did not get protobuf: %s", pbType)
	}
	type read struct {
		hs Histograms
		gs Gauges
	}
	var reads []read
	for _, in := range []struct{ body, ct string }{{text, textType}, {om, omType}, {pb, pbType}, {om, ""}} {
		hs, gs, err := ReadMetrics(strings.NewReader(in.body), in.ct)
		if err != nil {
			t.Fatalf("%q: %v", in.ct, err)
		}
		reads = append(reads, read{hs, gs})
	}
	want := reads[0]
	lat := want.hs["http_request_duration_seconds"]
	if lat == nil || lat.Total() != 101 || lat.Counts[0] != 3 || lat.Counts[1] != 21 || lat.Counts[2] != 100 || !math.IsInf(lat.Bounds[3], 1) {
		t.Fatalf("text: histogram %+v", lat)
	}
	if want.gs["go_gc_gogc_percent"] != 100 || want.gs["requests_total"] != 7 || want.gs["go_gc_duration_seconds_count"] != 100 ||
		want.gs[`go_gc_duration_seconds{quantile="1"}`] != float64(99)/200/100 {
		t.Fatalf("text: gauges %v", want.gs)
	}
	for i, r := range reads[1:] {
		got := r.hs["http_request_duration_seconds"]
		if got == nil || !equalFloats(got.Bounds, lat.Bounds) || !equalFloats(got.Counts, lat.Counts) {
			t.Errorf("read %d: histogram %+v, want %+v", i+1, got, lat)
		}
		for k, v := range want.gs {
			if r.gs[k] != v {
				t.Errorf("read %d: %s = %v, want %v", i+1, k, r.gs[k], v)
			}
		}
	}
}

func equalFloats(a, b []float64) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// TestReadMetricsOpenMetricsTypes: the OpenMetrics types the text format
// lacks, units and a malformed line do not stop the reading.
func TestReadMetricsOpenMetricsTypes(t *testing.T) {
	in := `# TYPE build info
# HELP build Build information.
build_info{version="1.2.3"} 1
# TYPE feature stateset
feature{feature="a"} 1
feature{feature="b"} 0
# TYPE mystery unknown
mystery 3
# TYPE pause_seconds histogram
# UNIT pause_seconds seconds
pause_seconds_bucket{le="0.001"} 4 # {trace_id="x y"} 0.0005 1.7e9
pause_seconds_bucket{le="+Inf"} 5
pause_seconds_count 5
pause_seconds_sum 0.1
pause_seconds_created 1.7e9
this line is not { a sample
go_gc_gogc_percent 50
# EOF
`
	hs, gs, err := ReadMetrics(strings.NewReader(in), "application/openmetrics-text; version=1.0.0; charset=utf-8")
	if err == nil || !strings.Contains(err.Error(), "1 malformed lines dropped") || !strings.Contains(err.Error(), "this line is not") {
		t.Errorf("error %v", err)
	}
	if p := hs["pause_seconds"]; p == nil || p.Total() != 5 || p.Counts[0] != 4 {
		t.Errorf("histogram %+v", hs["pause_seconds"])
	}
	if gs["build_info"] != 1 || gs["mystery"] != 3 || gs["go_gc_gogc_percent"] != 50 || gs["feature"] != 1 {
		t.Errorf("gauges %v", gs)
	}
	if _, _, err := ReadMetrics(strings.NewReader(in), "application/openmetrics-text; version=2.0.0"); err == nil {
		t.Error("OpenMetrics 2.0 read as 1.0")
	}
	if s := parseMetrics(strings.NewReader(in)); !s.hasGOGC || s.gogc != 50 {
		t.Errorf("settings from OpenMetrics %+v", s)
	}
}

// TestWatcherNativeHistogram polls a service whose latency histogram is a
// native one: the watcher asks for protobuf, reads the exponential
// buckets, and merges the bounds of two polls whose populated buckets
// differ.
func TestWatcherNativeHistogram(t *testing.T) {
	reg := prometheus.NewRegistry()
	h := prometheus.NewHistogram(prometheus.HistogramOpts{
		Name: "http_request_duration_seconds", Help: "latency", NativeHistogramBucketFactor: 1.1,
	})
	reg.MustRegister(h)
	srv := httptest.NewServer(promhttp.HandlerFor(reg, promhttp.HandlerOpts{}))
	defer srv.Close()
	for range 50 {
		h.Observe(0.010)
	}
	w := &Watcher{Target: Target{Base: srv.URL}}
	if r, err := w.Poll(context.Background()); err != nil || r != nil {
		t.Fatalf("first poll: %v %v", r, err)
	}
	if p := w.prev["http_request_duration_seconds"]; p == nil || !p.Native || p.Total() != 50 {
		t.Fatalf("baseline %+v", p)
	}
	for range 99 {
		h.Observe(0.020)
	}
	h.Observe(0.200)
	r, err := w.Poll(context.Background())
	if err != nil || r == nil || r.latency == nil {
		t.Fatalf("second poll: %+v %v", r, err)
	}
	if r.latency.Total() != 100 {
		t.Fatalf("%v observations since the first poll, want 100: %+v", r.latency.Total(), r.latency)
	}
	// Schema 3 (factor 2^(1/8) ≈ 1.09): a bucket's bound is at most 9 %
	// above what it holds.
	if q := r.latency.Quantile(0.5); q < 0.020 || q > 0.020*1.0905 {
		t.Errorf("p50 bound %v, want in [20 ms, 21.8 ms]", q)
	}
	if q := r.latency.Quantile(1); q < 0.200 || q > 0.200*1.0905 {
		t.Errorf("max bound %v, want in [200 ms, 218 ms]", q)
	}
	if n := r.latency.Above(0.1); n != 1 {
		t.Errorf("%v above 100 ms, want 1", n)
	}
	c := Condition{Metric: "p99", Threshold: 50e6, Raw: "p99>50ms"}
	if holds, why, err := c.Holds(r); err != nil || holds {
		t.Errorf("p99>50ms holds %v (%s, %v); the p99 is about 20 ms", holds, why, err)
	}
}

// TestPollBadMetrics: an answer with nothing readable is an error; one
// read in part is used and said once.
func TestPollBadMetrics(t *testing.T) {
	body := "garbage {{{\n"
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/plain; version=0.0.4")
		io.WriteString(w, body)
	}))
	defer srv.Close()
	var warned []string
	w := &Watcher{Target: Target{Base: srv.URL}, Warn: func(s string) { warned = append(warned, s) }}
	if _, err := w.Poll(context.Background()); err == nil || !strings.Contains(err.Error(), "metrics text") {
		t.Errorf("garbage: %v", err)
	}
	body = "garbage {{{\ngo_gc_duration_seconds_count 3\n"
	for range 2 {
		if _, err := w.Poll(context.Background()); err != nil {
			t.Errorf("partly readable: %v", err)
		}
	}
	if len(warned) != 1 || !strings.Contains(warned[0], "1 malformed lines dropped") {
		t.Errorf("warnings %q", warned)
	}
	if w.prevGauge["go_gc_duration_seconds_count"] != 3 {
		t.Errorf("gauges %v", w.prevGauge)
	}
}
