// Package exectrace is the ingest step for execution traces: it streams a
// trace written by runtime/trace (every format golang.org/x/exp/trace
// reads, Go 1.11 to 1.26) and distils it into a model.Run. Raw events are
// never kept; what survives is GC cycles, stop-the-world pauses, tasks and
// regions with the time their goroutines spent in each state, down-sampled
// heap metrics, the GC's CPU use and the MMU curve.
//
// The work is split in three layers:
//
//   - split.go cuts a Go 1.22+ byte stream into generations by reading only
//     batch headers (no event decoding).
//   - record.go turns each x/exp event into a small record holding only what
//     the analysis needs; workers do this for several generations at once,
//     each with its own exptrace.Reader over the trace header plus that
//     generation's bytes (parallel.go).
//   - build.go and its neighbours are one sequential state machine fed the
//     records in generation order. It treats generation-start facts (status
//     events, "active" ranges) as "ensure this state", which is what makes
//     per-generation readers stitch together exactly.
//
// Go 1.11–1.21 traces (one big generation, read whole by x/exp) take the
// same records through a single reader.
//
// Conventions of the result, beyond those of package model:
//
//   - Cycle.N counts GC cycles from the start of the trace (1, 2, ...): the
//     runtime's own GC number is not in the trace.
//   - Request.Assist and Request.Sweep are parts of Request.Running;
//     Request.RunnableDuringMark is the part of Request.Runnable that fell in
//     a concurrent mark phase (between the two GC stop-the-world pauses).
//   - Requests and Regions come in the order they ended; those still open
//     at the end of the window come last.
//   - Run.Heap keeps, per 10 ms of trace time, the lowest and highest heap
//     sample, plus the samples at each cycle's start, mark termination and
//     live-heap reset; its size grows with time and cycles, not with events.
package exectrace
