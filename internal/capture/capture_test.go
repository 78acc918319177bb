package capture

import (
	"math"
	"strings"
	"testing"
	"time"
)

func TestParseTarget(t *testing.T) {
	for in, want := range map[string]Target{
		"localhost:6060":                    {"http://localhost:6060", "/debug/pprof"},
		":6060":                             {"http://localhost:6060", "/debug/pprof"},
		"http://10.0.0.5:8080/debug/pprof":  {"http://10.0.0.5:8080", "/debug/pprof"},
		"http://10.0.0.5:8080/debug/pprof/": {"http://10.0.0.5:8080", "/debug/pprof"},
		"https://svc.example:443/admin":     {"https://svc.example:443", "/admin/debug/pprof"},
		"http://h:1/admin/debug/pprof/heap": {"http://h:1", "/admin/debug/pprof"},
	} {
		got, err := ParseTarget(in)
		if err != nil || got != want {
			t.Errorf("ParseTarget(%q) = %+v, %v; want %+v", in, got, err, want)
		}
	}
	for _, bad := range []string{"", "ftp://h:1", "http://"} {
		if _, err := ParseTarget(bad); err == nil {
			t.Errorf("ParseTarget(%q) succeeded", bad)
		}
	}
}

func TestWithGCTrace(t *testing.T) {
	got := WithGCTrace([]string{"PATH=/bin", "GODEBUG=madvdontneed=1,gctrace=2", "HOME=/root"})
	want := "GODEBUG=madvdontneed=1,gctrace=1"
	if got[len(got)-1] != want || len(got) != 3 {
		t.Errorf("WithGCTrace = %v", got)
	}
	if got := WithGCTrace(nil); len(got) != 1 || got[0] != "GODEBUG=gctrace=1" {
		t.Errorf("WithGCTrace(nil) = %v", got)
	}
}

func TestParseMetrics(t *testing.T) {
	text := `# HELP go_info Information about the Go environment.
# TYPE go_info gauge
go_info{version="go1.26.8"} 1
go_sched_gomaxprocs_threads 8
go_gc_gogc_percent 200
go_gc_gomemlimit_bytes 1.073741824e+09
http_requests_total{code="200",path="/a b"} 12
`
	s := parseMetrics(strings.NewReader(text))
	if s.goVersion != "go1.26.8" || s.gomaxprocs != 8 || s.gogc != 200 || s.limit != 1<<30 || !s.hasGOGC || !s.hasLimit {
		t.Errorf("settings %+v", s)
	}
}

func TestLooksLike(t *testing.T) {
	for in, want := range map[string]string{
		"":                         "the answer was empty",
		"<!DOCTYPE html><p>hi":     "the answer is an HTML page",
		`{"a":1}`:                  "the answer is JSON",
		"404 page not found\nmore": `the answer begins "404 page not found"`,
	} {
		if got := looksLike([]byte(in)); got != want {
			t.Errorf("looksLike(%q) = %q, want %q", in, got, want)
		}
	}
	if checkTrace([]byte("go 1.26 trace\x00\x00\x00")) != nil || checkTrace([]byte("<html>")) == nil {
		t.Errorf("checkTrace")
	}
}

func TestHistograms(t *testing.T) {
	text := `# TYPE http_request_duration_seconds histogram
http_request_duration_seconds_bucket{path="/a",le="0.01"} 90
http_request_duration_seconds_bucket{path="/a",le="0.1"} 99
http_request_duration_seconds_bucket{path="/a",le="+Inf"} 100
http_request_duration_seconds_bucket{path="/b",le="0.01"} 0
http_request_duration_seconds_bucket{path="/b",le="0.1"} 0
http_request_duration_seconds_bucket{path="/b",le="+Inf"} 100
go_gc_duration_seconds{quantile="1"} 0.002
go_gc_duration_seconds_count 7
`
	hs, gs, err := ReadMetrics(strings.NewReader(text), "text/plain; version=0.0.4")
	if err != nil {
		t.Fatal(err)
	}
	h := hs["http_request_duration_seconds"]
	if h == nil || h.Total() != 200 || len(h.Bounds) != 3 {
		t.Fatalf("histogram %+v", h)
	}
	// Summed over paths: 90 ≤ 10ms, 99 ≤ 100ms, 200 in all.
	if q := h.Quantile(0.4); q != 0.01 {
		t.Errorf("p40 bound %v", q)
	}
	if q := h.Quantile(0.99); !math.IsInf(q, 1) {
		t.Errorf("p99 bound %v, want +Inf", q)
	}
	if n := h.Above(0.05); n != 110 {
		t.Errorf("above 50ms: %v, want 110 (the straddling bucket counts)", n)
	}
	if gs[`go_gc_duration_seconds{quantile="1"}`] != 0.002 || gs["go_gc_duration_seconds_count"] != 7 {
		t.Errorf("gauges %v", gs)
	}
	prev := &Histogram{Bounds: h.Bounds, Counts: []float64{80, 90, 150}}
	d := h.Since(prev)
	if d == nil || d.Total() != 50 || d.Counts[0] != 10 {
		t.Errorf("since %+v", d)
	}
	if h.Since(&Histogram{Bounds: h.Bounds, Counts: []float64{1000, 1000, 1000}}) != nil {
		t.Errorf("a reset counter should give nil")
	}
}

func TestParseCondition(t *testing.T) {
	c, err := ParseCondition("p99 > 50ms")
	if err != nil || c.Metric != "p99" || c.Threshold != 50*time.Millisecond {
		t.Errorf("%+v %v", c, err)
	}
	for _, bad := range []string{"pause", "pause<5ms", "cpu>5ms", "p99>-1ms", "p99>fast"} {
		if _, err := ParseCondition(bad); err == nil {
			t.Errorf("ParseCondition(%q) succeeded", bad)
		}
	}
}
