package cli

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/gcwatch/gcwatch/internal/fleet"
	"github.com/gcwatch/gcwatch/internal/promfleet/promtest"
	"github.com/gcwatch/gcwatch/internal/report"
)

// TestFleetReportPrometheus runs a real Prometheus scraping two example
// services on loopback, one GC-heavy and one quiet, and reads the fleet
// from it as a user would.
func TestFleetReportPrometheus(t *testing.T) {
	if testing.Short() {
		t.Skip("starts Prometheus and two services for ~20s")
	}
	bin := promtest.BuildService(t)
	heavy := promtest.StartService(t, bin, "-behaviour", "gc-heavy")
	quiet := promtest.StartService(t, bin, "-behaviour", "quiet")
	base := promtest.Start(t, map[string]string{"heavy": heavy, "quiet": quiet})
	promtest.WaitScraped(t, base, []string{"heavy", "quiet"}, 12, 40*time.Second)

	var out, errOut bytes.Buffer
	// A loose explicit objective (2 s), a looser time_to_stop_min and
	// gc_share_small: under CI's load the quiet job has been seen with
	// 92 ms pauses and a 322 ms p99, which a tight objective flags. The
	// heavy job is flagged by its GC CPU, whatever the objective. The other test
	// packages run beside this one, and on a loaded machine the OS stretches
	// pauses and the time to stop the world. Without an objective each job's
	// own p99 is the yardstick for its pauses, and the quiet job's (~3 ms) is
	// small enough for a stretched pause to cross gc_share_small; its few
	// cycles make the stopping p99 one slow stop. Those triggers have their
	// own tests (internal/promfleet); this one is about telling GC-heavy from
	// quiet.
	code := Main([]string{"report", "--prometheus", base, "--range", "30s", "--step", "10s", "--slo", "p99=2s",
		"--threshold", "time_to_stop_min=20ms", "--threshold", "gc_share_small=0.3", "--format", "json"}, nil, &out, &errOut)
	if code != exitOK {
		t.Fatalf("exit %d: %s", code, errOut.String())
	}
	var doc fleet.Document
	if err := json.Unmarshal(out.Bytes(), &doc); err != nil {
		t.Fatalf("not JSON: %v\n%s", err, out.String())
	}
	if doc.Source != fleet.SourcePrometheus || doc.Window == nil || doc.Window.Range != "30s" {
		t.Errorf("source %q, window %+v: want prometheus over 30s", doc.Source, doc.Window)
	}
	if len(doc.Services) != 2 {
		t.Fatalf("%d jobs, want 2:\n%s", len(doc.Services), out.String())
	}
	first, second := doc.Services[0], doc.Services[1]
	if first.Name != "heavy" || first.Rank != 1 || !first.WorthCapture || first.VerdictID() != fleet.WorthCapture {
		t.Errorf("first: %s rank %d worth %v verdict %s; want heavy, 1, flagged:\n%s", first.Name, first.Rank, first.WorthCapture, first.VerdictID(), out.String())
	}
	if second.Name != "quiet" || second.WorthCapture {
		t.Errorf("second: %s worth %v (%q); want quiet, not flagged:\n%s", second.Name, second.WorthCapture, second.Reasons, out.String())
	}
	// The settings each service set for itself come back exactly.
	for _, c := range []struct {
		s    fleet.Service
		gogc string
	}{{first, "5"}, {second, "100"}} {
		m := c.s.Metrics
		if m == nil || m.GOGC == nil || m.GOGC.String() != c.gogc || m.GOMAXPROCS == nil || *m.GOMAXPROCS != 1 || m.MemoryLimit == nil || !m.MemoryLimit.Off() || m.Instances != 1 {
			t.Errorf("%s metrics %+v: want GOGC=%s GOMAXPROCS=1 GOMEMLIMIT=off, one instance", c.s.Name, m, c.gogc)
			continue
		}
		if m.LatencyMetric != "promsvc_request_duration_seconds" || m.LatencyMs == nil || m.RequestsPerSecond == nil {
			t.Errorf("%s: latency from %q = %v: want promsvc_request_duration_seconds", c.s.Name, m.LatencyMetric, m.LatencyMs)
		}
		if m.PauseP99Ms == nil || m.GCCPUFraction == nil || m.HeapLiveMaxBytes == nil {
			t.Errorf("%s: pause p99, GC CPU or live heap missing though the service exports them", c.s.Name)
		}
		if !strings.Contains(strings.Join(c.s.Knowable, "\n"), "last 256 pauses") {
			t.Errorf("%s: the notes do not say the summary covers only the last 256 pauses: %q", c.s.Name, c.s.Knowable)
		}
	}
	if first.Metrics != nil && second.Metrics != nil && first.Metrics.GCPerSecond <= second.Metrics.GCPerSecond {
		t.Errorf("heavy runs %.2f GC/s, quiet %.2f: want heavy more often", first.Metrics.GCPerSecond, second.Metrics.GCPerSecond)
	}
	if testing.Verbose() {
		var text bytes.Buffer
		report.RenderFleet(&text, &doc, report.Text, report.Options{})
		t.Logf("\n%s", text.String())
	}
}

// TestFleetReportPrometheusUnreachable: a closed port is one clear line,
// exit 1, and no report file.
func TestFleetReportPrometheusUnreachable(t *testing.T) {
	url := promtest.ClosedURL(t)
	outFile := filepath.Join(t.TempDir(), "fleet.json")
	var out, errOut bytes.Buffer
	code := Main([]string{"report", "--prometheus", url, "--range", "5m", "-o", outFile}, nil, &out, &errOut)
	if code != exitError {
		t.Errorf("exit %d, want %d", code, exitError)
	}
	msg := errOut.String()
	if strings.Count(strings.TrimSpace(msg), "\n") != 0 || !strings.Contains(msg, "cannot reach Prometheus at "+url) {
		t.Errorf("want one line naming the server, got %q", msg)
	}
	if _, err := os.Stat(outFile); !os.IsNotExist(err) {
		t.Errorf("%s was written", outFile)
	}
	entries, _ := os.ReadDir(filepath.Dir(outFile))
	if len(entries) != 0 {
		t.Errorf("left behind: %v", entries)
	}
}

func TestFleetReportPrometheusUsage(t *testing.T) {
	m := writeManifest(t, "services: []\n")
	for _, c := range []struct {
		name string
		args []string
		want string
	}{
		{"with a manifest", []string{"--prometheus", "localhost:9090", "--manifest", m}, "give it alone"},
		{"with folders", []string{"--prometheus", "localhost:9090", "."}, "give it alone"},
		{"bad url", []string{"--prometheus", "ftp://x"}, "http or https"},
		{"bad job", []string{"--prometheus", "localhost:9090", "--job", "("}, "--job"},
		{"short range", []string{"--prometheus", "localhost:9090", "--range", "10ms"}, "--range"},
		{"step over range", []string{"--prometheus", "localhost:9090", "--range", "1m", "--step", "2m"}, "--step"},
	} {
		t.Run(c.name, func(t *testing.T) {
			var out, errOut bytes.Buffer
			code := Main(append([]string{"report"}, c.args...), nil, &out, &errOut)
			if code != exitUsage || !strings.Contains(errOut.String(), c.want) || out.Len() != 0 {
				t.Errorf("exit %d, stderr %q, stdout %d bytes: want exit %d naming %q", code, errOut.String(), out.Len(), exitUsage, c.want)
			}
		})
	}
}

func TestParseCompareRange(t *testing.T) {
	now := time.Date(2026, 12, 6, 12, 0, 0, 0, time.UTC)
	start, end, err := parseCompareRange("-26h..-24h", now)
	if err != nil || !start.Equal(now.Add(-26*time.Hour)) || !end.Equal(now.Add(-24*time.Hour)) {
		t.Errorf("-26h..-24h: %v %v %v", start, end, err)
	}
	start, end, err = parseCompareRange("2026-12-01T10:00:00Z..2026-12-01T12:00:00Z", now)
	if err != nil || end.Sub(start) != 2*time.Hour {
		t.Errorf("RFC 3339: %v %v %v", start, end, err)
	}
	for _, bad := range []string{"-24h", "-24h..-26h", "-1h..+1h", "yesterday..-1h", "-1h..2027-01-01T00:00:00Z"} {
		if _, _, err := parseCompareRange(bad, now); err == nil || !strings.Contains(err.Error(), "--compare-range") {
			t.Errorf("%q: %v", bad, err)
		}
	}
	code, _, errs := run(t, "report", "--compare-range", "-2h..-1h", "somewhere")
	if code != exitUsage || !strings.Contains(errs, "needs --prometheus") {
		t.Errorf("--compare-range without --prometheus: exit %d, %q", code, errs)
	}
}
