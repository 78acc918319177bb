// Package ingest is the first step of gcwatch's pipeline: it finds, opens
// and recognises inputs by their content (execution traces, gctrace logs,
// pprof profiles, request-latency logs and OpenTelemetry span exports;
// gzip-compressed or not; files or capture folders), hands each to its
// decoder (subpackages exectrace, gctrace, latencylog and otelspans), and
// groups what belongs to one process into one model.Run, lining up a trace
// with the gctrace log of the same process when both are given, and the
// requests of latency logs and spans by wall clock.
//
// It streams: a decoder reads each input once and keeps only the distilled
// model. It interprets nothing beyond that: no verdicts, no summaries.
package ingest
