package cli

import (
	"runtime/debug"
	"sync/atomic"
)

// gcwatch sets its own GC percent, in two phases, unless GOGC is set (main
// calls ManageGC then):
//
//   - While reading inputs, most of the heap is generations in flight:
//     byte buffers the GC marks without scanning, which turn over quickly.
//     50 instead of the default 100 keeps the heap near their size for
//     little CPU; lower costs noticeably more CPU for little memory.
//   - Once a trace's stream is read, the heap is the distilled run, live
//     to the end, and what follows (assembling the run, then the analysis)
//     adds little garbage: at 10 the heap may grow 10 % over it instead of
//     50 %.
//
// docs/performance.md has the measurements behind both.
const (
	ingestGOGC   = 50
	analysisGOGC = 10
)

var managedGC atomic.Bool

// setGCPercent is debug.SetGCPercent; tests record the calls.
var setGCPercent = debug.SetGCPercent

// ManageGC makes gcwatch set its own GC percent for the phases of its
// work (main calls it unless GOGC is set; tests leave the GC alone).
func ManageGC() {
	managedGC.Store(true)
	setGCPercent(ingestGOGC)
}

// gcPhase sets the GC percent to percent if gcwatch manages it.
func gcPhase(percent int) {
	if managedGC.Load() {
		setGCPercent(percent)
	}
}

// StreamPhase is the exectrace.Options.Phase gcwatch reads traces with:
// the ingest percent while a trace streams, the analysis percent after
// (when gcwatch manages its GC).
func StreamPhase(streaming bool) {
	if streaming {
		gcPhase(ingestGOGC)
	} else {
		gcPhase(analysisGOGC)
	}
}
