package otelspans

import (
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"math"

	commonpb "go.opentelemetry.io/proto/otlp/common/v1"
	tracepb "go.opentelemetry.io/proto/otlp/trace/v1"
	"google.golang.org/protobuf/encoding/protojson"
)

// unmarshal reads OTLP JSON leniently: fields added to OTLP after the
// version gcwatch was built with are ignored.
var unmarshal = protojson.UnmarshalOptions{DiscardUnknown: true}

// otlp reads one OTLP batch: a TracesData, which is also the JSON of an
// ExportTraceServiceRequest.
func (rd *reader) otlp(raw []byte) {
	var td tracepb.TracesData
	if err := unmarshal.Unmarshal(raw, &td); err != nil {
		rd.badValue(fmt.Errorf("not OTLP JSON: %v", err))
		return
	}
	rd.setFormat(FormatOTLP)
	for _, rs := range td.GetResourceSpans() {
		attrs := rs.GetResource().GetAttributes()
		service, instance := serviceName(attrs), instanceOf(func(key string) string {
			for _, kv := range attrs {
				if kv.GetKey() == key {
					if v := kv.GetValue(); v.GetIntValue() != 0 {
						return fmt.Sprint(v.GetIntValue())
					}
					return kv.GetValue().GetStringValue()
				}
			}
			return ""
		})
		for _, ss := range rs.GetScopeSpans() {
			for k, sp := range ss.GetSpans() {
				where := func() string {
					return fmt.Sprintf("JSON value %d, span %q (%d of its scope)", rd.value, sp.GetName(), k+1)
				}
				s, err := fromOTLP(sp)
				if err != nil {
					rd.log.Stats.Lines++
					rd.bad(where(), err)
					continue
				}
				rd.add(s, service, instance, where)
			}
		}
	}
}

func fromOTLP(sp *tracepb.Span) (span, error) {
	s := span{name: sp.GetName(), kind: int32(sp.GetKind())}
	if err := otlpID(s.trace[:], sp.GetTraceId(), "traceId"); err != nil {
		return s, err
	}
	if err := otlpID(s.id[:], sp.GetSpanId(), "spanId"); err != nil {
		return s, err
	}
	if p := sp.GetParentSpanId(); len(p) > 0 {
		if err := otlpID(s.parent[:], p, "parentSpanId"); err != nil {
			return s, err
		}
	}
	start, end := sp.GetStartTimeUnixNano(), sp.GetEndTimeUnixNano()
	if start > math.MaxInt64 || end > math.MaxInt64 {
		return s, fmt.Errorf("a time past the year 2262 (start %d, end %d unix ns)", start, end)
	}
	s.start, s.end = int64(start), int64(end)
	switch sp.GetStatus().GetCode() {
	case tracepb.Status_STATUS_CODE_OK:
		s.status = "ok"
	case tracepb.Status_STATUS_CODE_ERROR:
		s.status = "error"
	}
	return s, nil
}

// otlpID puts an id read by protojson into dst. OTLP JSON writes ids as
// hex, but protojson reads every bytes field as base64; a hex string is
// valid base64 (its digits are base64 letters and its length a multiple of
// four), so a 32-digit trace id arrives as the 24 bytes its digits decode
// to as base64, and encoding those back gives the hex digits exactly. An
// id of the id's own length was written as base64, as a generic protobuf
// JSON encoder does.
func otlpID(dst, got []byte, field string) error {
	switch len(got) {
	case len(dst):
		copy(dst, got)
		return nil
	case len(dst) * 3 / 2:
		digits := base64.StdEncoding.EncodeToString(got)
		if _, err := hex.Decode(dst, []byte(digits)); err == nil {
			return nil
		}
	case 0:
		return fmt.Errorf("no %s", field)
	}
	return fmt.Errorf("%s is not %d hex digits", field, 2*len(dst))
}

// serviceName is the resource's service.name, "" when it has none.
func serviceName(attrs []*commonpb.KeyValue) string {
	for _, kv := range attrs {
		if kv.GetKey() == "service.name" {
			return kv.GetValue().GetStringValue()
		}
	}
	return ""
}
