// Package analyze is the third step of gcwatch's pipeline: pure functions
// over a distilled model.Run (from internal/ingest) that compute what the
// reports show — GC pauses and their distribution, per-cycle figures, GC
// CPU, GC frequency, allocation rate, non-GC stop-the-world pauses, the
// minimum mutator utilisation curve and request latency percentiles.
//
// Nothing here does I/O, reads clocks or keeps global state: every function
// takes values and returns values, so each can be tested with a small
// hand-built run.
package analyze
