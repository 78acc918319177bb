// Package pprofout is a report writer of gcwatch's last step: it turns one
// process's analysis result into a pprof profile
// (github.com/google/pprof/profile), so that `go tool pprof` shows which
// code pays for the GC. It needs a trace read with stacks
// (exectrace.Options.Stacks), and computes nothing the analysis did not:
// each value is a model or analysis number placed at a stack.
//
// The profile has two sample types, both in nanoseconds:
//
//   - mark_assist: the time goroutines spent executing GC mark assists,
//     at the stack each assist began at (where the allocation that made
//     the goroutine assist was). Only executing time counts, as for the
//     report's gc.mark_assist_total_ms, which its total equals. An assist
//     in progress when the trace began has no stack: it is at the frame
//     "[assist begun before the trace]".
//   - stw_overlap: for every request the report counts (ended, selected
//     as for its latency figures), the wall time of the request that fell
//     inside GC stop-the-world pauses (sweep and mark termination), at the
//     stack of the request's goroutine when the world stopped: of its
//     goroutines, the one running when the pause began, else the one seen
//     most recently; where that goroutine stopped during the pause, else
//     where its latest stack put it (exectrace's stacks_gc.go). Its total
//     equals the report's attribution.stw_overlap_total_ms. A request whose
//     goroutine's stack is not known (a request begun inside a pause, one
//     from a latency log or a user region) is at "[stack unknown]".
//
// Samples carry the labels request_type (the request's type, or of the
// request the assisting goroutine worked for; absent when none) and, for
// stw_overlap, pause (sweep-termination or mark-termination), so that
// `go tool pprof -tagfocus` can pick them apart. The leading frames of the
// tracer itself (runtime.trace*), where the runtime recorded the stack,
// are left out. The time range is the trace's window (wall-clock start
// when the trace carried one), and the period is 1 ns: values are
// measured, not sampled.
package pprofout
