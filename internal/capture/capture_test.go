package capture

import (
	"bufio"
	"strings"
	"testing"
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
	s := parseMetrics(bufio.NewScanner(strings.NewReader(text)))
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
