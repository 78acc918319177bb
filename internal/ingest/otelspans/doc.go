// Package otelspans is part of the ingest step of gcwatch's pipeline: it
// reads OpenTelemetry trace exports (gcwatch analyze --latency FILE) and
// turns the spans that are the service's requests into a latencylog.Log,
// which latencylog.Align lines up with a run by wall clock exactly as it
// does a latency log. Each request keeps its span's trace and span ids, so
// that a report can point at it in the service's tracing UI.
//
// # Formats
//
// OTLP JSON, as the OpenTelemetry collector's file exporter writes it and
// as OTLP/HTTP JSON payloads carry it: one or more JSON objects
// {"resourceSpans": [...]}, one a line or pretty-printed, one after the
// other. Trace and span ids are hex (as OTLP JSON has them) or base64 (as a
// generic protobuf JSON encoder writes bytes); kinds are numbers or enum
// names; times are unix nanoseconds as numbers or strings. Decoding is the
// official protobuf types' (go.opentelemetry.io/proto/otlp) through
// protojson.
//
// The Go SDK's stdout exporter (stdouttrace): one JSON object per span,
// with "SpanContext", "StartTime" and "EndTime" as the SDK's span snapshot
// has them, one a line or pretty-printed; a JSON array of such objects is
// read too.
//
// Gzip is taken off by the caller (internal/ingest recognises it).
//
// # Which spans are requests
//
// A request is a span of the service being analysed that is, in order of
// preference: named as Options.Span says (any kind); else a server span
// (SPAN_KIND_SERVER); else, when the service has no server span, a root
// span (no parent) of unspecified or internal kind. A server span whose
// parent is another request span is part of that request's latency and is
// left out, as a child task is.
//
// The service is Options.Service (the resource's service.name); when it is
// not given, the file must hold request spans of one service only, and an
// error names the services otherwise. Its request spans must come from one
// process, as a collector's file may hold the spans of every replica: the
// instance is the resource's service.instance.id, else its process.pid
// and host.name; when they name several, Options.Instance must choose.
//
// # What cannot be read
//
// A span without a start time, with an end before its start, or with ids
// of the wrong length is counted bad and reported (the first few with
// their batch and span number); the rest is read. A JSON value that is
// neither an OTLP batch nor a stdout span is bad as a whole. Input that is
// not JSON after some usable spans ends the reading with a warning; before
// any, it is an error. One JSON value may be as long as everything before
// it and at least 64 MiB (gcwatch's rule for unusable input), so that a
// decompression bomb costs about as much as the file.
package otelspans
