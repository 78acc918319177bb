// Package mmu computes minimum mutator utilisation (MMU) curves while a trace
// streams by. It is part of the ingest step of gcwatch's pipeline: the trace
// decoders (internal/ingest/exectrace for execution traces, and Synthesize for
// gctrace logs) feed a Builder with the number of Ps each GC source takes,
// and Finish returns the model.MMU that lands in model.Run.
//
// Utilisation. At time t there are procs Ps and busy[s] of them are taken by
// GC source s. The total mutator utilisation is
//
//	u(t) = 1 − min(procs, busy[STW]+busy[Assist]+busy[Background]) / procs
//
// Incremental sweep is left out of the total, as go tool trace does by
// default, because it is work the mutator does on its own allocation path;
// it is still reported in the per-source split. The per-source utilisation
// is u_s(t) = 1 − min(procs, busy[s]) / procs.
//
// MMU(w) is the minimum, over every window of length w inside the series, of
// the mean of u over that window. The windowed mean changes slope only when
// one of the window's edges crosses a change point of u, so its minimum is
// found at a window that starts or ends at a change point; the Builder
// evaluates exactly those windows, as the series streams, keeping only the
// change points inside the largest window.
//
// Precision. Window means come from differences of running integrals,
// which are rebased as the series moves on so that they never exceed a few
// seconds' worth; a mean is then off by at most about 1e-15 s / window, so
// below 1e-11 at the smallest default window (100µs), however long the
// trace.
package mmu
