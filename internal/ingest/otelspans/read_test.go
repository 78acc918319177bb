package otelspans

import (
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/gcwatch/gcwatch/internal/ingest/latencylog"
)

// otlpSpan writes one span of an OTLP JSON batch, the way the collector's
// file exporter does (hex ids, numeric kind, times as strings).
func otlpSpan(name string, kind int, trace, id, parent string, start, end int64) string {
	p := ""
	if parent != "" {
		p = fmt.Sprintf(`"parentSpanId":%q,`, parent)
	}
	return fmt.Sprintf(`{"traceId":%q,"spanId":%q,%s"name":%q,"kind":%d,"startTimeUnixNano":"%d","endTimeUnixNano":"%d","status":{}}`,
		trace, id, p, name, kind, start, end)
}

// otlpBatch writes one line of OTLP JSON: the spans of one service.
func otlpBatch(service string, spans ...string) string {
	return fmt.Sprintf(`{"resourceSpans":[{"resource":{"attributes":[{"key":"service.name","value":{"stringValue":%q}}]},"scopeSpans":[{"scope":{"name":"x"},"spans":[%s]}]}]}`,
		service, strings.Join(spans, ","))
}

const (
	t0     = int64(1_764_000_000_000_000_000) // 2025-11-24, unix ns
	trace1 = "4bf92f3577b34da6a3ce929d0e0e4736"
	trace2 = "0af7651916cd43dd8448eb211c80319c"
)

func read(t *testing.T, in string, opts Options) *latencylog.Log {
	t.Helper()
	l, err := Read(strings.NewReader(in), "spans.json", opts)
	if err != nil {
		t.Fatal(err)
	}
	return l
}

// TestReadOTLP reads server spans out of two batches of two services,
// leaving out client and internal spans, and keeps their ids and times
// to the nanosecond.
func TestReadOTLP(t *testing.T) {
	in := otlpBatch("loadgen",
		otlpSpan("call /a", 3, trace1, "1111111111111111", "", t0, t0+9_000_000),
	) + "\n" + otlpBatch("api",
		otlpSpan("GET /a", 2, trace1, "2222222222222222", "1111111111111111", t0+1_000_001, t0+8_000_003),
		otlpSpan("render", 1, trace1, "3333333333333333", "2222222222222222", t0+2_000_000, t0+3_000_000),
	) + "\n\n" + otlpBatch("api",
		otlpSpan("GET /b", 2, trace2, "4444444444444444", "", t0+5_000_000, t0+5_000_000+123_456),
	) + "\n"
	l := read(t, in, Options{})
	if l.Format != FormatOTLP {
		t.Errorf("format %q", l.Format)
	}
	if len(l.Requests) != 2 {
		t.Fatalf("%d requests, want 2: %+v", len(l.Requests), l.Requests)
	}
	a, b := l.Requests[0], l.Requests[1]
	if a.Type != "GET /a" || a.TraceID.String() != trace1 || a.SpanID.String() != "2222222222222222" ||
		a.Start.UnixNano() != t0+1_000_001 || a.Duration != 7_000_002 || a.Line != 2 {
		t.Errorf("first request %+v", a)
	}
	if b.Type != "GET /b" || b.TraceID.String() != trace2 || b.Duration != 123_456 || b.Line != 4 {
		t.Errorf("second request %+v", b)
	}
	if st := l.Stats; st.Lines != 4 || st.Parsed != 2 || st.Skipped != 2 || st.Bad != 0 {
		t.Errorf("stats %+v", st)
	}
	if !strings.Contains(l.Fields, `server spans of service "api"`) {
		t.Errorf("fields %q", l.Fields)
	}
}

// TestReadOTLPEncodings reads what other encoders write: base64 ids (a
// generic protobuf JSON encoder), kinds by enum name, snake_case names,
// times as numbers, one batch pretty-printed over several lines.
func TestReadOTLPEncodings(t *testing.T) {
	id, _ := hex.DecodeString(trace1)
	sid, _ := hex.DecodeString("00f067aa0ba902b7")
	in := fmt.Sprintf(`{
  "resource_spans": [{
    "resource": {"attributes": [{"key": "service.name", "value": {"stringValue": "api"}}]},
    "scope_spans": [{"spans": [{
      "trace_id": %q, "span_id": %q, "name": "GET /x", "kind": "SPAN_KIND_SERVER",
      "start_time_unix_nano": %d, "end_time_unix_nano": %d, "some_future_field": 1
    }]}]
  }]
}`, base64.StdEncoding.EncodeToString(id), base64.StdEncoding.EncodeToString(sid), t0, t0+5)
	l := read(t, in, Options{})
	if len(l.Requests) != 1 {
		t.Fatalf("%d requests", len(l.Requests))
	}
	r := l.Requests[0]
	if r.TraceID.String() != trace1 || r.SpanID.String() != "00f067aa0ba902b7" || r.Duration != 5 {
		t.Errorf("request %+v", r)
	}
}

// TestReadRootsAndNames: without server spans root spans are the
// requests; --span names them; a server span inside another request span
// is part of it.
func TestReadRootsAndNames(t *testing.T) {
	roots := otlpBatch("worker",
		otlpSpan("job", 0, trace1, "1111111111111111", "", t0, t0+100),
		otlpSpan("step", 1, trace1, "2222222222222222", "1111111111111111", t0+10, t0+20),
		otlpSpan("job", 1, trace2, "3333333333333333", "", t0+200, t0+300),
		otlpSpan("call", 3, trace2, "4444444444444444", "", t0+210, t0+220),
	)
	l := read(t, roots, Options{})
	if len(l.Requests) != 2 || l.Requests[0].Type != "job" || l.Requests[1].Type != "job" || !strings.HasPrefix(l.Fields, "root spans") {
		t.Errorf("roots: %+v (%s)", l.Requests, l.Fields)
	}
	l = read(t, roots, Options{Span: "step"})
	if len(l.Requests) != 1 || l.Requests[0].Type != "step" {
		t.Errorf("--span step: %+v", l.Requests)
	}
	nested := otlpBatch("api",
		otlpSpan("GET /a", 2, trace1, "1111111111111111", "", t0, t0+100),
		otlpSpan("grpc inner", 2, trace1, "2222222222222222", "1111111111111111", t0+10, t0+90),
	)
	l = read(t, nested, Options{})
	if len(l.Requests) != 1 || l.Requests[0].Type != "GET /a" || !strings.Contains(l.Fields, "1 nested") {
		t.Errorf("nested: %+v (%s)", l.Requests, l.Fields)
	}
}

// TestReadServices: several services with request spans need --service;
// an unknown one is named with those there are.
func TestReadServices(t *testing.T) {
	in := otlpBatch("a", otlpSpan("GET /a", 2, trace1, "1111111111111111", "", t0, t0+100)) + "\n" +
		otlpBatch("b", otlpSpan("GET /b", 2, trace2, "2222222222222222", "", t0, t0+50))
	_, err := Read(strings.NewReader(in), "spans.json", Options{})
	if err == nil || !strings.Contains(err.Error(), `spans of 2 services are requests ("a" with 1 spans, "b" with 1 spans): name one with --service`) {
		t.Errorf("two services: %v", err)
	}
	l := read(t, in, Options{Service: "b"})
	if len(l.Requests) != 1 || l.Requests[0].Type != "GET /b" {
		t.Errorf("--service b: %+v", l.Requests)
	}
	_, err = Read(strings.NewReader(in), "spans.json", Options{Service: "c"})
	if !errors.Is(err, ErrNoSpans) || !strings.Contains(err.Error(), `no span has service.name "c"; its services: "a" with 1 spans, "b" with 1 spans`) {
		t.Errorf("--service c: %v", err)
	}
	_, err = Read(strings.NewReader(in), "spans.json", Options{Span: "nope"})
	if !errors.Is(err, ErrNoSpans) || !strings.Contains(err.Error(), `no span of any of its services is named "nope" ("a" with 1 spans, "b" with 1 spans)`) {
		t.Errorf("--span nope, two services: %v", err)
	}
	_, err = Read(strings.NewReader(in), "spans.json", Options{Service: "a", Span: "nope"})
	if !errors.Is(err, ErrNoSpans) || !strings.Contains(err.Error(), `none of the 1 spans of service "a" is named "nope"`) {
		t.Errorf("--span nope: %v", err)
	}
}

// TestReadBad: unusable spans are counted and named, the rest read; input
// that is not JSON is refused in one line, or after usable spans ends the
// reading with a warning.
func TestReadBad(t *testing.T) {
	in := otlpBatch("api",
		otlpSpan("GET /ok", 2, trace1, "1111111111111111", "", t0, t0+100),
		otlpSpan("GET /backwards", 2, trace1, "2222222222222222", "", t0+100, t0),
		otlpSpan("GET /nostart", 2, trace1, "3333333333333333", "", 0, t0),
		otlpSpan("GET /shortid", 2, "4bf92f35", "4444444444444444", "", t0, t0+1),
	) + "\n" + `{"foo": 1}` + "\n" + otlpBatch("api", otlpSpan("GET /late", 2, trace2, "5555555555555555", "", t0, t0+7)) + "\n{\"resourceSpans\": [tr"
	l := read(t, in, Options{})
	if len(l.Requests) != 2 || l.Stats.Bad != 4 || l.Stats.Lines != 6 || l.Stats.Skipped != 0 {
		t.Fatalf("requests %+v, stats %+v", l.Requests, l.Stats)
	}
	all := strings.Join(l.Warnings, "\n")
	for _, want := range []string{
		`spans.json: JSON value 1, span "GET /backwards" (2 of its scope): ends 100ns before it starts`,
		`span "GET /nostart" (3 of its scope): no start time`,
		`span "GET /shortid" (4 of its scope): traceId is not 32 hex digits`,
		`spans.json: JSON value 2: neither an OTLP batch`,
		"not JSON: unexpected EOF",
		"the rest of the input was not read",
	} {
		if !strings.Contains(all, want) {
			t.Errorf("warnings lack %q:\n%s", want, all)
		}
	}
	for _, tc := range []struct{ in, want string }{
		{"", "no request spans: it holds no spans"},
		{"GET / 200 12ms\n", "spans.json: byte offset 0: not JSON: invalid character 'G'"},
		{`{"resourceSpans": []}`, "no request spans: it holds no spans"},
		{`{"resourceSpans": 7}`, "no span could be read; the first: spans.json: JSON value 1: not OTLP JSON"},
		{otlpBatch("api", otlpSpan("call", 3, trace1, "1111111111111111", "", t0, t0+1)), `none of the 1 spans of service "api" is a server span or a root span; name the request spans with --span`},
	} {
		_, err := Read(strings.NewReader(tc.in), "spans.json", Options{})
		if err == nil || !strings.Contains(err.Error(), tc.want) || strings.Contains(err.Error(), "\n") {
			t.Errorf("%q: error %v, want one line with %q", tc.in, err, tc.want)
		}
	}
}

// stdoutSpanJSON writes a span as the SDK's stdout exporter does.
func stdoutSpanJSON(name string, kind int, trace, id, parent, service string, start time.Time, d time.Duration) string {
	if parent == "" {
		parent = "0000000000000000"
	}
	return fmt.Sprintf(`{"Name":%q,"SpanContext":{"TraceID":%q,"SpanID":%q,"TraceFlags":"01","TraceState":"","Remote":false},"Parent":{"TraceID":%q,"SpanID":%q,"TraceFlags":"00","TraceState":"","Remote":false},"SpanKind":%d,"StartTime":%q,"EndTime":%q,"Attributes":null,"Events":null,"Links":null,"Status":{"Code":"Unset","Description":""},"DroppedAttributes":0,"DroppedEvents":0,"DroppedLinks":0,"ChildSpanCount":0,"Resource":[{"Key":"service.name","Value":{"Type":"STRING","Value":%q}}],"InstrumentationScope":{"Name":"t","Version":"","SchemaURL":"","Attributes":null}}`,
		name, trace, id, trace, parent, kind, start.Format(time.RFC3339Nano), start.Add(d).Format(time.RFC3339Nano), service)
}

// TestReadStdout reads the stdout exporter's spans, one a line, and as a
// JSON array.
func TestReadStdout(t *testing.T) {
	start := time.Unix(0, t0+123)
	lines := stdoutSpanJSON("render", 1, trace1, "2222222222222222", "1111111111111111", "api", start, time.Millisecond) + "\n" +
		stdoutSpanJSON("GET /a", 2, trace1, "1111111111111111", "", "api", start, 3*time.Millisecond+7) + "\n"
	if LooksLike([]byte(lines)) != FormatStdout {
		t.Errorf("LooksLike(stdout) = %q", LooksLike([]byte(lines)))
	}
	for _, in := range []string{lines, "[" + strings.ReplaceAll(strings.TrimSpace(lines), "\n", ",") + "]"} {
		l := read(t, in, Options{})
		if l.Format != FormatStdout || len(l.Requests) != 1 {
			t.Fatalf("%+v", l)
		}
		r := l.Requests[0]
		if r.Type != "GET /a" || r.Start.UnixNano() != t0+123 || r.Duration != 3*time.Millisecond+7 || r.SpanID.String() != "1111111111111111" || r.TraceID.String() != trace1 {
			t.Errorf("request %+v", r)
		}
	}
}

func TestLooksLike(t *testing.T) {
	for in, want := range map[string]string{
		otlpBatch("a"):                           FormatOTLP,
		"\ufeff  \n" + otlpBatch("a"):            FormatOTLP,
		`{"resource_spans":[]}`:                  FormatOTLP,
		`{"ts":"2026-01-01T00:00:00Z","dur":1}`:  "",
		`{"SpanContext":{}}`:                     "",
		"gc 1 @0.1s 1%: 0.1+1+0.1 ms clock, ...": "",
		"":                                       "",
	} {
		if got := LooksLike([]byte(in)); got != want {
			t.Errorf("LooksLike(%.40q) = %q, want %q", in, got, want)
		}
	}
}

// TestBoundedValue: one JSON value may not grow past the bound.
func TestBoundedValue(t *testing.T) {
	in := otlpBatch("api", otlpSpan("GET /a", 2, trace1, "1111111111111111", "", t0, t0+1)) + "\n" +
		`{"resourceSpans": [` + strings.Repeat(" ", 1<<16)
	l, err := Read(strings.NewReader(in), "big.json", Options{MaxValueBytes: 4096})
	if err != nil {
		t.Fatal(err)
	}
	if len(l.Requests) != 1 || !strings.Contains(strings.Join(l.Warnings, "\n"), "a JSON value longer than 4096 bytes") {
		t.Errorf("requests %d, warnings %q", len(l.Requests), l.Warnings)
	}
}

// otlpBatchAttrs is otlpBatch with resource attributes of one's own.
func otlpBatchAttrs(attrs string, spans ...string) string {
	return fmt.Sprintf(`{"resourceSpans":[{"resource":{"attributes":[%s]},"scopeSpans":[{"spans":[%s]}]}]}`, attrs, strings.Join(spans, ","))
}

// TestReadInstances: the spans of several replicas of a service are not
// one process's requests; --service-instance picks one.
func TestReadInstances(t *testing.T) {
	attrs := func(extra string) string {
		return `{"key":"service.name","value":{"stringValue":"api"}},` + extra
	}
	in := otlpBatchAttrs(attrs(`{"key":"service.instance.id","value":{"stringValue":"pod-a"}}`),
		otlpSpan("GET /a", 2, trace1, "1111111111111111", "", t0, t0+100)) + "\n" +
		otlpBatchAttrs(attrs(`{"key":"process.pid","value":{"intValue":"4242"}},{"key":"host.name","value":{"stringValue":"web-2"}}`),
			otlpSpan("GET /a", 2, trace2, "2222222222222222", "", t0, t0+50),
			otlpSpan("GET /b", 2, trace2, "3333333333333333", "", t0+60, t0+70))
	_, err := Read(strings.NewReader(in), "spans.json", Options{})
	if err == nil || !strings.Contains(err.Error(), `the request spans of service "api" come from 2 instances ("pod-a" with 1, "pid 4242 on web-2" with 2)`) ||
		!strings.Contains(err.Error(), "--service-instance") {
		t.Errorf("two instances: %v", err)
	}
	l := read(t, in, Options{Instance: "pid 4242 on web-2"})
	if len(l.Requests) != 2 || !strings.Contains(l.Fields, `instance "pid 4242 on web-2"`) {
		t.Errorf("--service-instance: %+v %s", l.Requests, l.Fields)
	}
	_, err = Read(strings.NewReader(in), "spans.json", Options{Instance: "pod-z"})
	if !errors.Is(err, ErrNoSpans) || !strings.Contains(err.Error(), `no request span of service "api" comes from instance "pod-z"`) {
		t.Errorf("unknown instance: %v", err)
	}
	// The stdout exporter's resource names the instance the same way.
	start := time.Unix(0, t0)
	one := strings.Replace(stdoutSpanJSON("GET /a", 2, trace1, "1111111111111111", "", "api", start, 5), `"Resource":[`,
		`"Resource":[{"Key":"process.pid","Value":{"Type":"INT64","Value":4242}},{"Key":"host.name","Value":{"Type":"STRING","Value":"web-2"}},`, 1)
	two := stdoutSpanJSON("GET /a", 2, trace2, "2222222222222222", "", "api", start, 5)
	if _, err := Read(strings.NewReader(one+"\n"+two), "spans.json", Options{}); err == nil || !strings.Contains(err.Error(), `("pid 4242 on web-2" with 1, (none named) with 1)`) {
		t.Errorf("stdout instances: %v", err)
	}
}
