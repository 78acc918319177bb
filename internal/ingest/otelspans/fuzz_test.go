package otelspans

import (
	"bytes"
	"strings"
	"testing"
	"time"
)

// FuzzRead feeds arbitrary bytes to the span reader: it must not panic or
// hang, must fail in one line, and what it returns must add up.
func FuzzRead(f *testing.F) {
	f.Add([]byte(otlpBatch("api",
		otlpSpan("GET /a", 2, trace1, "1111111111111111", "", t0, t0+100),
		otlpSpan("render", 1, trace1, "2222222222222222", "1111111111111111", t0+1, t0+2),
	) + "\n" + otlpBatch("loadgen", otlpSpan("call", 3, trace2, "3333333333333333", "", t0, t0+1000))))
	f.Add([]byte(stdoutSpanJSON("GET /a", 2, trace1, "1111111111111111", "", "api", time.Unix(0, t0), time.Millisecond) + "\n"))
	f.Add([]byte(`[` + stdoutSpanJSON("job", 0, trace1, "1111111111111111", "", "", time.Unix(0, t0), 1) + `]`))
	f.Add([]byte(`{"resource_spans":[{"scope_spans":[{"spans":[{"trace_id":"S/kvNXezTaajzpKdDg5HNg==","span_id":"APBnqguqArc=","kind":"SPAN_KIND_SERVER","start_time_unix_nano":1,"end_time_unix_nano":18446744073709551615}]}]}]}`))
	f.Add([]byte("{\"resourceSpans\": [tr"))
	f.Add([]byte("not json at all\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		done := make(chan struct{})
		go func() {
			defer close(done)
			l, err := Read(bytes.NewReader(data), "fuzz.json", Options{MaxValueBytes: 1 << 20})
			if err != nil {
				if strings.Contains(err.Error(), "\n") {
					t.Errorf("error of more than one line: %q", err)
				}
				return
			}
			st := l.Stats
			if st.Lines != st.Parsed+st.Skipped+st.Bad || st.Skipped < 0 || st.Bad < 0 || st.Parsed != len(l.Requests) || st.Parsed == 0 {
				t.Errorf("stats %+v with %d requests", st, len(l.Requests))
			}
			for _, r := range l.Requests {
				if r.Duration < 0 || r.Start.UnixNano() <= 0 || r.SpanID.IsZero() && r.TraceID.IsZero() && r.Line == 0 {
					t.Errorf("request %+v", r)
				}
			}
		}()
		select {
		case <-done:
		case <-time.After(10 * time.Second):
			t.Fatalf("reading %d bytes still running after 10s", len(data))
		}
	})
}
