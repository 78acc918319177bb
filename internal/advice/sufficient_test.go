package advice

import (
	"strings"
	"testing"
	"time"

	"github.com/gcwatch/gcwatch/internal/analyze"
	"github.com/gcwatch/gcwatch/internal/whatif/whatiftest"
)

// TestNotEnoughData: a capture cut short after two cycles of a heavy
// tail. The rules lean to migration-candidate, but two cycles fit no
// model: the headline says what is missing and how to get it, and nothing
// is recommended.
func TestNotEnoughData(t *testing.T) {
	p := allocParams()
	p.Cycles = 2
	req := allocCase(allocParams(), 0.5)
	req.Run = whatiftest.Run(p, 11)
	req.Analysis.GC.Cycles = 2
	req.Budget = -1
	v := Decide(req).Verdict
	if v.SufficientData || v.Confidence != "low" || v.Settings != nil {
		t.Errorf("sufficient %v, confidence %s, settings %v: want insufficient, low, none", v.SufficientData, v.Confidence, v.Settings)
	}
	for _, want := range []string{"not enough data: ", "2 complete GC cycles (need 3)", "a memory budget", "leading hypothesis"} {
		if !strings.Contains(v.Summary, want) {
			t.Errorf("summary %q lacks %q", v.Summary, want)
		}
	}
	if !strings.HasPrefix(v.Summary, "not enough data: ") {
		t.Errorf("summary %q: want it to start with the missing data", v.Summary)
	}
	acts := strings.Join(v.Actions, "\n")
	for _, want := range []string{"capture longer", "--mem-budget"} {
		if !strings.Contains(acts, want) {
			t.Errorf("actions %q lack %q", acts, want)
		}
	}
}

// TestNoCauseFromZeroRate: without a cost model the allocation rate is
// unknown, and an unknown rate is not named as the GC's driver.
func TestNoCauseFromZeroRate(t *testing.T) {
	p := allocParams()
	p.Cycles = 1
	run := whatiftest.Run(p, 3)
	run.End = run.Start.Add(2 * time.Second)
	a := &analyze.Result{}
	a.GC.Cycles = 1
	a.GC.CPUFraction = 0.4
	v := Decide(Case{Run: run, Analysis: a, Budget: 2 << 30, Rules: DefaultThresholds()}).Verdict
	if v.ID != ReduceAllocation {
		t.Fatalf("verdict %s (%s): the test wants the reduce-allocation path", v.ID, v.Summary)
	}
	if strings.Contains(v.Summary, "0 KiB/s") || strings.Contains(v.Summary, "drives the GC cost") && !strings.Contains(v.Summary, "leading hypothesis") {
		t.Errorf("summary %q claims a cause from a zero rate", v.Summary)
	}
	if v.SufficientData {
		t.Errorf("one cycle counted as enough data")
	}
}
