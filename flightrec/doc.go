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
// percentage: it matters for tiny requests and vanishes in real ones.
// Measured on a shared 2-core AMD EPYC VM (go1.26.8, load average ~2 from
// other work, so single runs vary by ±30%; medians of 5 interleaved runs):
//
//   - BenchmarkMiddleware/direct (ServeHTTP of a 350-byte JSON answer, no
//     network): 5.7 µs/op off, 5.4 µs/op on, 6.2 µs/op on with Task set —
//     no difference beyond noise; the middleware itself allocates nothing,
//     a Task adds 3 allocations (390 B).
//   - BenchmarkMiddleware/loopback (the same over HTTP on loopback, both
//     cores saturated): 47.5 µs/op off, 67.4 µs/op on (~20 µs a request,
//     +40%): the worst case, requests that do almost nothing but schedule.
//   - examples/httpsvc at 300 requests/s from examples/httpload, 10 s runs,
//     off and on interleaved (examples/httpsvc/overhead.sh): service CPU
//     5.92 s off (mean of 5), +0.09 s on average with the recorder (+1.5%,
//     ~30 µs a request of ~2 ms), including runs that took 4–5 snapshots;
//     p50 1.40–1.52 ms either way, p99 10.6–13.0 ms off (one outlier run
//     20.3) against 11.4–14.8 ms on.
//   - BenchmarkSnapshot: writing a 400 KB window takes 0.8 ms (500 MB/s);
//     it runs in the background, not in the slow request.
//
// The trace rate of httpsvc at 300 requests/s is about 120 KB/s, so the
// default 10 s window is about 1.2 MB, well under the default MaxBytes.
package flightrec
