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
//     generation's bytes (parallel.go). The common goroutine transitions
//     are read from x/exp's Event directly (transitions.go: checked against
//     Event.StateTransition, and off if x/exp's layout changes).
//   - build.go and its neighbours are one sequential state machine fed the
//     records in generation order. It treats generation-start facts (status
//     events, "active" ranges) as "ensure this state", which is what makes
//     per-generation readers stitch together exactly.
//
// Go 1.11–1.21 traces (one big generation, read whole by x/exp) take the
// same records through a single reader.
//
// Memory is bounded by the generations in flight (at most Workers+1: cut,
// parsed, waiting or being applied; a generation is typically a few to
// tens of MB) plus the distilled run. Records of a parsed generation are
// varint-encoded into pooled blocks (about 0.8 bytes per trace byte), and
// finished requests wait varint-encoded with their goroutines (about 30
// bytes each) until the end, so the GC does not scan them while
// streaming. The run itself grows with cycles, pauses and requests: each
// request is kept in model.Requests in about 36 bytes plus 8 per
// goroutine id. User regions (about 10 bytes each in model.Regions) are
// kept only while the analysis could need them, i.e. until a task of
// Options.TaskType begins (regions.go); a request-heavy trace (a task
// with four regions every ~280 bytes of trace) holds about 46 bytes per
// request once read.
//
// Damage: a truncated trace keeps every complete generation; corrupted
// bytes lose the generation they are in, and the splitter resumes at the
// next generation's chained, well-formed batches, which are analysed on
// their own. Every damaged stretch is a warning naming its byte offset,
// and Read returns a *DamageError. x/exp panics on a generation become
// damage too.
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
//   - Requests inferred from net/http and gRPC server goroutines (infer.go,
//     Kind model.RequestInferred; by default only when the trace has no
//     tasks) come after the tasks, in the same order. By default the parse
//     workers stop classifying server stacks once a task's request has
//     been applied, as the inferred ones would be dropped.
//   - With Options.Stacks, Run.Stacks is a table of the distinct stacks of
//     mark assists (their range-begin event's) and of requests' goroutines
//     at GC pauses (stacks.go, stacks_gc.go); Run.AssistStacks splits
//     GCCPU.Assist by stack exactly, and Request.PauseStacks says where a
//     request's goroutine was when each GC pause of its span stopped the
//     world. Without the option the parse step looks at no stack for it.
//   - Run.Heap keeps, per 10 ms of trace time, the lowest and highest heap
//     sample, plus the samples at each cycle's start, mark termination and
//     live-heap reset; its size grows with time and cycles, not with events.
package exectrace
