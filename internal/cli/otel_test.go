package cli

import (
	"path/filepath"
	"strings"
	"testing"
)

const otelRecording = "../../examples/otelsvc/testdata"

// TestOTelSpansInEveryFormat: with an OTLP export given by --latency, the
// slowest requests carry their span's trace and span id in every format,
// and the HTML report links them to the tracing UI --trace-url names.
func TestOTelSpansInEveryFormat(t *testing.T) {
	spans := filepath.Join(otelRecording, "spans.otlp.json.gz")
	trace := filepath.Join(otelRecording, "trace.out")
	code, doc, errs := analyzeJSON(t, "--latency", spans, trace)
	if code != exitOK {
		t.Fatalf("exit %d: %s", code, errs)
	}
	a := processes(doc)[0]["attribution"].(map[string]any)
	worst := a["worst"].([]any)
	if len(worst) != 10 {
		t.Fatalf("%d worst requests", len(worst))
	}
	var ids [][2]string
	for _, w := range worst {
		m := w.(map[string]any)
		tid, _ := m["trace_id"].(string)
		sid, _ := m["span_id"].(string)
		if len(tid) != 32 || len(sid) != 16 || m["type"] != "GET /work" {
			t.Fatalf("worst request without its span's ids: %v", m)
		}
		ids = append(ids, [2]string{tid, sid})
	}
	for _, format := range []string{"text", "markdown", "html"} {
		args := []string{"analyze", "--format", format, "--latency", spans, trace}
		if format == "html" {
			args = append(args, "--trace-url", "https://jaeger.example/trace/{trace_id}?span={span_id}&x=<y>")
		}
		code, out, errs := run(t, args...)
		if code != exitOK {
			t.Fatalf("%s: exit %d: %s", format, code, errs)
		}
		for _, id := range ids {
			if !strings.Contains(out, id[0]) || !strings.Contains(out, id[1]) {
				t.Errorf("%s: trace %s / span %s missing", format, id[0], id[1])
			}
			if format == "html" {
				link := `<a href="https://jaeger.example/trace/` + id[0] + `?span=` + id[1] + `&amp;x=%3cy%3e">` + id[0] + `</a>`
				if !strings.Contains(out, link) {
					t.Errorf("html: no link %s", link)
				}
			}
		}
	}
	// Without spans, no trace column and no link.
	code, out, _ := run(t, "analyze", "--format", "html", "--trace-url", "https://jaeger.example/trace/{trace_id}", trace)
	if code != exitOK || strings.Contains(out, "jaeger.example") || strings.Contains(out, "trace / span") {
		t.Errorf("a report without spans links to traces (exit %d)", code)
	}
}

// TestOTelSpanFlags: --service and --span reach the reader, and
// --trace-url is checked.
func TestOTelSpanFlags(t *testing.T) {
	spans := filepath.Join(otelRecording, "spans.otlp.json.gz")
	trace := filepath.Join(otelRecording, "trace.out")
	code, doc, errs := analyzeJSON(t, "--latency", spans, "--service", "loadgen", "--span", "call /work", trace)
	if code != exitOK {
		t.Fatalf("exit %d: %s", code, errs)
	}
	l := processes(doc)[0]["latency"].(map[string]any)
	if l["source"] != "log" || l["requests"].(float64) < 100 {
		t.Errorf("client spans as requests: %v", l)
	}
	code, _, errs = run(t, "analyze", "--latency", spans, "--service", "nope", trace)
	if code != exitError || !strings.Contains(errs, `no span has service.name "nope"; its services: "otelsvc" with`) || strings.Count(strings.TrimSpace(errs), "\n") > 0 {
		t.Errorf("unknown service: exit %d: %s", code, errs)
	}
	code, _, errs = run(t, "analyze", "--latency", spans, "--service-instance", "pod-7", trace)
	if code != exitError || !strings.Contains(errs, `no request span of service "otelsvc" comes from instance "pod-7"; its instances: (none named) with`) {
		t.Errorf("--service-instance: exit %d: %s", code, errs)
	}
	for _, bad := range []string{"https://jaeger.example/trace/", "javascript:alert(1)//{trace_id}", "/trace/{trace_id}"} {
		code, _, errs := run(t, "analyze", "--trace-url", bad, trace)
		if code != exitUsage || !strings.Contains(errs, "--trace-url") {
			t.Errorf("--trace-url %q: exit %d: %s", bad, code, errs)
		}
	}
}
