// Package flightrec keeps the last seconds of a Go execution trace in
// memory and saves them when a request is slow, for `gcwatch watch` to
// pull and analyse. It is the capture step of gcwatch's pipeline, run
// inside the service instead of from outside it.
//
// It wraps the runtime's flight recorder (runtime/trace.FlightRecorder,
// Go 1.25+), which traces continuously into a moving window of about
// MinAge (bounded by MaxBytes). Middleware times requests; the first one at
// or over SlowThreshold after a Cooldown snapshots the window into a ring
// of the last Keep snapshots, noting the request's method, path, start and
// duration, and logs a "gcwatch/flightrec" message in the trace at that
// moment. Handler serves the ring as JSON and the snapshots as trace files.
//
//	rec, err := flightrec.New(flightrec.Config{SlowThreshold: 50 * time.Millisecond})
//	...
//	if err := rec.Start(); err != nil { ... }
//	defer rec.Stop()
//	mux.Handle("/api/", rec.Middleware(api))
//	mux.Handle("/debug/gcwatch/snapshots/", http.StripPrefix("/debug/gcwatch/snapshots", rec.Handler()))
//
// Only one flight recorder may run in a process (a runtime restriction);
// it may run alongside a trace taken with runtime/trace.Start, such as
// /debug/pprof/trace.
//
// # Memory
//
// Kept snapshots take at most Keep × MaxBytes together: a snapshot larger
// than that fails, and older snapshots are dropped to make room for a new
// one. While one is written, its buffer comes on top (up to the same
// bound), and the runtime holds its own window of about MaxBytes — more
// by up to one trace generation (about a second of trace), since it keeps
// whole generations.
//
// # Overhead
//
// While the recorder runs, the runtime traces: every goroutine switch,
// syscall, network wait and GC phase writes an event. The cost is therefore
// about fixed per request (the scheduling a request causes), not a
// percentage: it matters for tiny requests and vanishes in real ones. The
// middleware itself allocates nothing; a Task adds a few allocations.
// Snapshots are written in the background, not in the slow request.
// docs/flightrec.md has the measurements and how to repeat them
// (BenchmarkMiddleware, BenchmarkSnapshot, examples/httpsvc/overhead.sh).
package flightrec
