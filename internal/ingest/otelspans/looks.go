package otelspans

import "bytes"

// LooksLike returns the format of prefix, the first bytes of a text
// stream, when it is an OpenTelemetry trace export gcwatch reads: a JSON
// object (or array) whose first keys are an OTLP batch's ("resourceSpans")
// or a stdout exporter span's ("SpanContext" with "StartTime"); else "".
func LooksLike(prefix []byte) string {
	p := bytes.TrimLeft(prefix, " \t\r\n\ufeff")
	if len(p) == 0 || p[0] != '{' && p[0] != '[' {
		return ""
	}
	// The keys that tell the formats apart come first in what every
	// exporter writes; 4 KiB leaves room for indentation and a resource.
	head := p[:min(len(p), 4096)]
	switch {
	case bytes.Contains(head, []byte(`"resourceSpans"`)) || bytes.Contains(head, []byte(`"resource_spans"`)):
		return FormatOTLP
	case bytes.Contains(head, []byte(`"SpanContext"`)) && bytes.Contains(p, []byte(`"StartTime"`)):
		return FormatStdout
	}
	return ""
}
