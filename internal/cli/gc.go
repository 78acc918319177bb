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
//     little CPU (peak RSS of the ingest of a 300 MB trace: 121-127 MB at
//     50, 159-169 MB at 100, the same CPU time); lower costs CPU (25: 15-20 %
//     more on a 1 GB trace for 5-10 % less RSS).
//   - Once a trace's stream is read, the heap is the distilled run, live
//     to the end, and what follows adds little garbage: assembling the run
//     (the stored requests are decoded into its model.Requests), then the
//     analysis. At 10 the heap may grow 10 % over it instead of
//     50 %. Peak RSS, paired runs: 1 GB realistic trace 183-185 MB ->
//     152-165 MB with the switch after the inputs were read, 168 -> 148 MB
//     with it before the run is assembled; 300 MB request-dense trace
//     525-542 MB -> 413-429 MB. CPU within run-to-run noise.
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
