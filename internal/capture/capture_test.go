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

// TestPauseOnSummary: with only the go_gc_duration_seconds summary, pause>D
// is decided on the count and sum since the last look; the summary's max
// counts only when it rose, and an undecidable look says so.
func TestPauseOnSummary(t *testing.T) {
	gauges := func(count, sum, max float64) Gauges {
		return Gauges{"go_gc_duration_seconds_count": count, "go_gc_duration_seconds_sum": sum, `go_gc_duration_seconds{quantile="1"}`: max}
	}
	cond, err := ParseCondition("pause>5ms")
	if err != nil {
		t.Fatal(err)
	}
	// An old 5.24 ms pause holds the max; 5.24 ms is the whole start-up.
	base := gauges(10, 0.00524+9*0.0001, 0.00524)
	for _, tc := range []struct {
		name  string
		now   Gauges
		holds bool
		why   string // in the reason, or in the doubt when it does not hold
	}{
		{"no new pause, the old max stays", base, false, ""},
		{"four short pauses, the old max stays", gauges(14, base["go_gc_duration_seconds_sum"]+4*0.0004, 0.00524), false, ""},
		{"a new longer max", gauges(12, base["go_gc_duration_seconds_sum"]+0.0061+0.0001, 0.0061), true, "a GC pause of 6.1ms since the last look"},
		{"one new pause of 6 ms under the old max of 7 ms", gauges(11, 0.0158, 0.007), true, "averaged"},
		{"pauses totalling 8 ms, mean 2 ms, max unchanged", gauges(14, base["go_gc_duration_seconds_sum"]+0.008, 0.00524), false, "cannot tell whether one was above 5ms"},
		{"the counters went back (a restart)", gauges(2, 0.0002, 0.0001), false, ""},
	} {
		prev := base
		if tc.name == "one new pause of 6 ms under the old max of 7 ms" {
			prev = gauges(10, 0.0098, 0.007)
		}
		r := &Reading{summary: summarySince(prev, tc.now)}
		holds, why, err := cond.Holds(r)
		if err != nil || holds != tc.holds {
			t.Errorf("%s: holds %v (%q), %v; want %v", tc.name, holds, why, err, tc.holds)
			continue
		}
		got := why
		if !holds {
			got = r.Doubt()
		}
		if tc.why == "" && got != "" || !strings.Contains(got, tc.why) {
			t.Errorf("%s: said %q, want %q", tc.name, got, tc.why)
		}
	}
}
