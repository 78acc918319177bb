package model

import (
	"encoding/hex"
	"fmt"
)

// TraceID and SpanID are the W3C trace-context ids of a request that came
// from a distributed trace (OpenTelemetry spans): what a tracing UI looks a
// request up by. They print and marshal as lower-case hex; the zero value
// means "none" and is left out of JSON.
type (
	TraceID [16]byte
	SpanID  [8]byte
)

func (t TraceID) IsZero() bool   { return t == TraceID{} }
func (s SpanID) IsZero() bool    { return s == SpanID{} }
func (t TraceID) String() string { return hex.EncodeToString(t[:]) }
func (s SpanID) String() string  { return hex.EncodeToString(s[:]) }

func (t TraceID) MarshalText() ([]byte, error) { return []byte(t.String()), nil }
func (s SpanID) MarshalText() ([]byte, error)  { return []byte(s.String()), nil }

func (t *TraceID) UnmarshalText(b []byte) error { return unhex(t[:], b, "trace id") }
func (s *SpanID) UnmarshalText(b []byte) error  { return unhex(s[:], b, "span id") }

func unhex(dst, src []byte, what string) error {
	if hex.DecodedLen(len(src)) != len(dst) {
		return fmt.Errorf("%s %q: want %d hex digits", what, src, 2*len(dst))
	}
	_, err := hex.Decode(dst, src)
	if err != nil {
		return fmt.Errorf("%s %q: %w", what, src, err)
	}
	return nil
}
