// Package latencylog is part of the ingest step of gcwatch's pipeline: it
// reads an external request-latency log (gcwatch analyze --latency FILE)
// and lines its wall-clock times up with a run's clock, so that requests
// measured outside the process can be set against its GC cycles.
//
// # Formats
//
// A log is JSONL (one JSON object per line) or CSV (a header row, then one
// request per row, separated by commas, tabs, semicolons or bars),
// recognised by its first non-blank line: "{" starts JSONL. Blank lines,
// lines starting with "#", repeated CSV headers and JSON objects with no
// duration or end and no start but a logger's line time (the other
// messages of a structured log) are skipped. A line
// that cannot be read is reported with its number and counted; the rest of
// the log is still read. A quoted CSV field cannot span lines.
//
// # Field names
//
// Names are compared lower-cased with everything but letters and digits
// dropped, so "start_time", "startTime", "Start-Time" and "@start_time"
// are the same name. When a line has several names of one role, the one
// earlier in these lists wins:
//
//	start     start, start_time, started_at, start_ts, begin, request_start,
//	          then timestamp, ts, time (loggers' own line time: see Options.StartIsEnd)
//	duration  duration, latency, elapsed, took, response_time, request_time, dur,
//	          each first with a unit suffix (_ms, _msec, _millis, _milliseconds,
//	          _us, _µs, _usec, _micros, _microseconds, _ns, _nsec, _nanos,
//	          _nanoseconds, _s, _sec, _secs, _seconds), then bare
//	end       end, end_time, ended_at, finished_at (used when there is no duration)
//	id        id, request_id, req_id, rid, trace_id
//	type      type, route, endpoint, operation, handler; else method
//	          (method, http_method, verb) and path (path, url_path, uri,
//	          request_uri, url; scheme, host and query dropped) as "GET /x"
//	status    status, status_code, http_status, code
//
// Options replaces any of them; a dotted name reaches into nested JSON
// objects.
//
// # Values
//
// A start (or end) is RFC 3339 ("2026-11-26T10:00:00.123456Z",
// "+01:00"), also with a space for the "T", a "+0100" zone, or as Go's
// time.Time.String prints it; or a unix time, as a JSON number or a string
// of digits, whose unit is read from its magnitude: below 1e11 seconds,
// below 1e14 milliseconds, below 1e17 microseconds, else nanoseconds (so
// every date from 1973 on reads right in every unit, up to 2262, the end
// of nanoseconds in an int64); fractions are kept exactly to the
// nanosecond. A time without a zone is read as UTC, with a warning,
// unless Options.Location says otherwise.
//
// A duration is a number in the unit its name gives (duration_ms: 12.5 is
// 12.5 ms); under a name without a unit a number is seconds (as zap writes
// durations), and any duration field may hold a Go duration string
// ("12.5ms", "1m2s"). log/slog writes time.Duration as integer
// nanoseconds: give Options.DurationUnit for such logs (a warning says so
// when plain-number durations have a median over an hour).
//
// # Alignment
//
// Align maps each request onto the run's clock: by the wall-clock snapshot
// of a Go 1.25+ trace (Run.WallStart), or for a gctrace log, whose clock is
// time since process start, by --process-start or by the process start
// that gctrace estimated from timestamped lines. Without such an anchor it
// fails and says so; it never guesses. Requests outside the run's window
// are counted, and a window that gets far fewer requests than the log's
// rate predicts is reported as a likely wrong anchor or time zone.
package latencylog
