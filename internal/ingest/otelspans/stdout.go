package otelspans

import (
	"encoding/json"
	"fmt"
	"time"
)

// stdoutSpan is what is read of a span as the Go SDK's stdout exporter
// writes it (its span snapshot, tracetest.SpanStub, through encoding/json).
type stdoutSpan struct {
	Name        string
	SpanContext struct{ TraceID, SpanID string }
	Parent      struct{ TraceID, SpanID string }
	SpanKind    int32
	StartTime   time.Time
	EndTime     time.Time
	Status      struct{ Code string }
	Resource    []struct {
		Key   string
		Value struct {
			Type  string
			Value json.RawMessage
		}
	}
}

// stdout reads one span of the stdout exporter.
func (rd *reader) stdout(raw []byte) {
	var sp stdoutSpan
	if err := json.Unmarshal(raw, &sp); err != nil {
		rd.badValue(fmt.Errorf("not a span of the OpenTelemetry stdout exporter: %v", err))
		return
	}
	rd.setFormat(FormatStdout)
	rd.stdoutSpan(&sp, fmt.Sprintf("JSON value %d", rd.value))
}

// stdoutArray reads a JSON array of stdout spans.
func (rd *reader) stdoutArray(raw []byte) {
	var sps []stdoutSpan
	if err := json.Unmarshal(raw, &sps); err != nil {
		rd.badValue(fmt.Errorf("not an array of spans of the OpenTelemetry stdout exporter: %v", err))
		return
	}
	rd.setFormat(FormatStdout)
	for k := range sps {
		rd.stdoutSpan(&sps[k], fmt.Sprintf("JSON value %d, element %d", rd.value, k+1))
	}
}

func (rd *reader) stdoutSpan(sp *stdoutSpan, at string) {
	where := func() string { return fmt.Sprintf("%s, span %q", at, sp.Name) }
	s := span{name: sp.Name, kind: sp.SpanKind}
	err := s.trace.UnmarshalText([]byte(sp.SpanContext.TraceID))
	if err == nil {
		err = s.id.UnmarshalText([]byte(sp.SpanContext.SpanID))
	}
	if err == nil && sp.Parent.SpanID != "" {
		err = s.parent.UnmarshalText([]byte(sp.Parent.SpanID))
	}
	if err != nil {
		rd.log.Stats.Lines++
		rd.bad(where(), err)
		return
	}
	if !sp.StartTime.IsZero() {
		s.start = sp.StartTime.UnixNano()
	}
	if !sp.EndTime.IsZero() {
		s.end = sp.EndTime.UnixNano()
	}
	switch sp.Status.Code {
	case "Ok":
		s.status = "ok"
	case "Error":
		s.status = "error"
	}
	attr := func(key string) string {
		for _, kv := range sp.Resource {
			if kv.Key == key {
				var v any
				_ = json.Unmarshal(kv.Value.Value, &v) // not a value: none
				switch v := v.(type) {
				case string:
					return v
				case float64:
					return fmt.Sprint(int64(v))
				}
			}
		}
		return ""
	}
	rd.add(s, attr("service.name"), instanceOf(attr), where)
}
