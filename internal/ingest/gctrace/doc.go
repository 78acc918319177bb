// Package gctrace is the ingest step for GODEBUG=gctrace=1 logs: it reads a
// text stream, finds the runtime's per-cycle "gc N @Ts P%: ..." records in
// it, and distils them into model.Cycle values grouped by process, ready to
// become a model.Run for the analysis step.
//
// The stream is whatever a process's stderr ended up as: application output,
// log-shipper prefixes (timestamps, container JSON wrappers, journald and
// syslog headers) and other runtime debug lines (scavenger, pacer, schedtrace)
// mixed with the gc records. The runtime prints straight to file descriptor
// 2, piece by piece, so a record may start in the middle of an application
// line or be cut by one; records are therefore found anywhere in a line, and
// a damaged one is reported with its line number instead of stopping the
// parse. A record cut after its cpu fields still gives its cycle, with the
// sizes printed after the cut unknown. Every layout from Go 1.5 (five clock phases) through Go 1.6–1.17
// (three phases) to Go 1.18+ (stacks and globals) is understood.
//
// A log may hold several processes, each restarting the gc counter (a
// service restarted under the same log, or `GODEBUG=gctrace=1 go build`,
// whose compiler processes even interleave their lines). Each record is
// given to the process it continues — the next gc number with a clock that
// has not gone backwards — and otherwise starts a new process; the tracker
// type says how ties are broken and gaps bridged.
//
// Parsing is a hand-written scanner over a large bufio.Reader: no regular
// expressions on the hot path, and memory grows with the number of cycles
// only, never with the length of the input or of a line.
package gctrace
