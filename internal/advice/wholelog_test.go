package advice

import (
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/gcwatch/gcwatch/internal/analyze"
	"github.com/gcwatch/gcwatch/internal/whatif"
	"github.com/gcwatch/gcwatch/internal/whatif/whatiftest"
)

// TestFitFallsBackToWholeLog checks that a run whose window holds too few
// cycles to fit the cost model is fitted on the whole gctrace log lined
// up with it — the same fit as FitRun on the log itself — and says so,
// and that without the log it still says no model could be fitted.
func TestFitFallsBackToWholeLog(t *testing.T) {
	rec, ok := whatiftest.LoadRecording(t, "allocheavy-p2-gogc100")
	if !ok {
		t.Skip("recording not available")
	}
	whole := rec.Run
	if len(whole.Cycles) < 10 {
		t.Fatalf("the recording's log has %d cycles", len(whole.Cycles))
	}
	window := *whole
	window.Cycles = slices.Clone(whole.Cycles[5:7])
	window.Start, window.End = window.Cycles[0].Start, window.Cycles[1].End
	decide := func(wl bool) Outcome {
		run := window
		if wl {
			run.WholeLog = whole
		}
		return Decide(Case{Run: &run, Analysis: analyze.Analyze(&run, analyze.DefaultOptions()), Known: whatif.Known{GOGC: rec.GOGC, MemoryLimit: rec.MemoryLimit}, Rules: DefaultThresholds()})
	}

	out := decide(true)
	direct, err := whatif.FitRun(whole, whatif.Known{GOGC: rec.GOGC, MemoryLimit: rec.MemoryLimit})
	if err != nil {
		t.Fatal(err)
	}
	if out.Fit == nil || out.Fit.LiveHeap != direct.LiveHeap || out.Fit.AllocRate != direct.AllocRate {
		t.Fatalf("fit %+v, want the log's own fit (live heap %d, alloc rate %.0f)", out.Fit, direct.LiveHeap, direct.AllocRate)
	}
	n := 0
	for _, c := range whole.Cycles {
		if !c.Partial {
			n++
		}
	}
	wantCaveat := fmt.Sprintf("fitted on the whole gctrace log lined up with it (%d complete cycles over %s)", n, whole.Duration().Round(time.Millisecond))
	if !slices.ContainsFunc(out.Verdict.Caveats, func(c string) bool { return strings.Contains(c, wantCaveat) }) {
		t.Errorf("caveats %q do not say %q", out.Verdict.Caveats, wantCaveat)
	}

	out = decide(false)
	if out.Fit != nil || !slices.ContainsFunc(out.Verdict.Caveats, func(c string) bool { return strings.Contains(c, "could not be fitted") }) {
		t.Errorf("without the log: fit %v, caveats %q", out.Fit != nil, out.Verdict.Caveats)
	}
}
