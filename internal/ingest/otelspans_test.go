package ingest

import (
	"compress/gzip"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/gcwatch/gcwatch/internal/ingest/latencylog"
	"github.com/gcwatch/gcwatch/internal/ingest/otelspans"
	"github.com/gcwatch/gcwatch/internal/model"
)

// otelRecording is the recording of examples/otelsvc: a trace and the
// same spans from the SDK's OTLP/HTTP and stdout exporters.
const otelRecording = "../../examples/otelsvc/testdata"

// gunzipTo writes the decompressed copy of a recording's file into dir.
func gunzipTo(t *testing.T, dir, name string) string {
	t.Helper()
	f, err := os.Open(filepath.Join(otelRecording, name+".gz"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	zr, err := gzip.NewReader(f)
	if err != nil {
		t.Fatal(err)
	}
	b, err := io.ReadAll(zr)
	if err != nil {
		t.Fatal(err)
	}
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, b, 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

func spanRequests(run *model.Run) []model.Request {
	var out []model.Request
	for _, r := range run.Requests.All() {
		if r.Kind == model.RequestLog {
			out = append(out, r)
		}
	}
	return out
}

// TestOTelSpansLoad reads the recording's spans every way they can come:
// OTLP JSON gzipped or not and the stdout exporter's, with --latency or
// recognised among the inputs, and in the capture folder where both
// exporters' files lie (read once). Each way gives the same requests,
// with their span ids, lined up by the trace's clock snapshot.
func TestOTelSpansLoad(t *testing.T) {
	tmp := t.TempDir()
	trace := filepath.Join(otelRecording, "trace.out")
	otlpPlain := gunzipTo(t, tmp, "spans.otlp.json")
	ways := map[string]func() (*Result, error){
		"--latency otlp.gz": func() (*Result, error) {
			return Load([]string{trace}, Options{Latency: []string{filepath.Join(otelRecording, "spans.otlp.json.gz")}})
		},
		"--latency otlp": func() (*Result, error) {
			return Load([]string{trace}, Options{Latency: []string{otlpPlain}})
		},
		"input stdout.gz": func() (*Result, error) {
			return Load([]string{trace, filepath.Join(otelRecording, "spans.stdout.json.gz")}, Options{})
		},
		"folder": func() (*Result, error) {
			return Load([]string{otelRecording}, Options{})
		},
	}
	var want []model.Request
	for _, name := range []string{"--latency otlp.gz", "--latency otlp", "input stdout.gz", "folder"} {
		res, err := ways[name]()
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if len(res.Runs) != 1 {
			t.Fatalf("%s: %d runs", name, len(res.Runs))
		}
		got := spanRequests(res.Runs[0])
		notes := strings.Join(res.Notes, "\n")
		if !strings.Contains(notes, "by its clock snapshot") {
			t.Errorf("%s: notes %q", name, notes)
		}
		if name == "folder" && !strings.Contains(notes, "spans.stdout.json.gz repeats the requests of") {
			t.Errorf("folder: the second exporter's file not recognised as a repeat: %q", notes)
		}
		if want == nil {
			want = got
			if len(want) < 100 {
				t.Fatalf("%s: only %d requests", name, len(want))
			}
			for _, r := range want {
				if r.TraceID.IsZero() || r.SpanID.IsZero() || r.Type != "GET /work" {
					t.Fatalf("%s: request %+v", name, r)
				}
			}
			continue
		}
		if !model.RequestsOf(got...).Equal(model.RequestsOf(want...)) {
			t.Errorf("%s: %d requests differ from the first way's %d", name, len(got), len(want))
		}
	}
}

// TestOTelSpansNeedAClock: spans lined up with nothing but a gctrace log
// without --process-start are refused in one line; with it they line up.
func TestOTelSpansNeedAClock(t *testing.T) {
	gctrace := filepath.Join(t.TempDir(), "gctrace.log")
	os.WriteFile(gctrace, []byte("gc 1 @0.010s 1%: 0.010+0.20+0.003 ms clock, 0.021+0.1/0.2/0.3+0.007 ms cpu, 4->4->0 MB, 4 MB goal, 0 MB stacks, 0 MB globals, 2 P\n"), 0o644)
	spans := filepath.Join(otelRecording, "spans.otlp.json.gz")
	_, err := Load([]string{gctrace}, Options{Latency: []string{spans}})
	if !errors.Is(err, latencylog.ErrNoAnchor) || strings.Contains(err.Error(), "\n") ||
		!strings.Contains(err.Error(), "spans.otlp.json.gz: cannot be used: cannot line up") {
		t.Errorf("no clock: %v", err)
	}
	_, err = Load([]string{gctrace}, Options{Latency: []string{spans}, Spans: spansOptions("no-such-service")})
	if err == nil || !strings.Contains(err.Error(), `--latency: not a usable OpenTelemetry trace export: no request spans: no span has service.name "no-such-service"; its services: "otelsvc" with`) {
		t.Errorf("unknown service: %v", err)
	}
	if _, err := Load([]string{spans}, Options{}); err == nil || !strings.Contains(err.Error(), "spans.otlp.json.gz: holds OpenTelemetry spans, which give request latencies; give it together with a trace or gctrace log") {
		t.Errorf("spans alone: %v", err)
	}
	// With --process-start the same spans line up with the gctrace log.
	start := time.Date(2026, 12, 6, 21, 58, 0, 0, time.UTC)
	res, err := Load([]string{gctrace}, Options{Latency: []string{spans}, ProcessStart: &start})
	if err != nil || !strings.Contains(strings.Join(res.Notes, "\n"), "by its process start") {
		t.Errorf("--process-start: %v", err)
	}
}

func spansOptions(service string) otelspans.Options { return otelspans.Options{Service: service} }
