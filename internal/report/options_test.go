package report

import (
	"bytes"
	"strings"
	"testing"

	"github.com/gcwatch/gcwatch/internal/advice"
	"github.com/gcwatch/gcwatch/internal/units"
	"github.com/gcwatch/gcwatch/internal/whatif"
)

// ladderDocument is a report whose verdict carries a ladder of every kind
// of row: recommended, missed, an estimate, not modelled, not applicable;
// a site name from a profile tries markup and a terminal escape.
func ladderDocument() *Document {
	f := func(v float64) *float64 { return &v }
	i := func(v int64) *int64 { return &v }
	yes, no := true, false
	v := &advice.Verdict{ID: advice.ReduceAllocation, Summary: "cut allocation", Confidence: "high", SufficientData: true,
		Target: "p99 ≤ 5ms", Actions: []string{}, Evidence: []advice.Evidence{}, Caveats: []string{},
		Options: []advice.Option{
			{ID: advice.Tune, Applicable: true, Modelled: true, Change: "no GOGC/GOMEMLIMIT in the grid meets the target",
				P99Ms: f(12.5), GCCPUFraction: f(0.31), PeakMemoryBytes: i(480 << 20), MeetsTarget: &no,
				Settings: &advice.Recommendation{Setting: units.Setting{GOGC: 50, MemoryLimit: units.LimitOff}}},
			{ID: advice.ReduceAllocation, Applicable: true, Modelled: true, Recommended: true, MeetsTarget: &yes,
				Change: "cut the allocation rate by 40%, starting with main.<script>x</script>\x1b[2J", P99Ms: f(4.25), GCCPUFraction: f(0.125), PeakMemoryBytes: i(450 << 20)},
			{ID: advice.UpgradeGo, Applicable: true, Change: "upgrade Go from go1.22.5", Note: "an estimate",
				Estimate: &advice.Estimate{GCCPUFractionLow: 0.186, GCCPUFractionHigh: 0.279, SavingLow: 0.1, SavingHigh: 0.4}},
			{ID: advice.RestructureHeap, Applicable: true, Change: "fewer pointers", Note: "how much depends on the heap"},
			{ID: advice.MigrationCandidate, Applicable: false, Modelled: true, MeetsTarget: &yes, Change: "no GC", Note: "the cost is not the live heap's",
				P99Ms: f(1.5), GCCPUFraction: f(0), PeakMemoryBytes: i(300 << 20)},
		}}
	return &Document{Schema: Schema, Processes: []Process{{Verdict: v}}}
}

func renderString(t *testing.T, doc *Document, f Format) string {
	t.Helper()
	var buf bytes.Buffer
	if err := Render(&buf, doc, f, Options{}); err != nil {
		t.Fatal(err)
	}
	return buf.String()
}

// TestLadderInEveryFormat: text, Markdown and HTML show the five steps in
// order, each with its status and the figures the verdict carries, the
// estimate's range, and "not modelled" where there are none.
func TestLadderInEveryFormat(t *testing.T) {
	doc := ladderDocument()
	for _, f := range []Format{Text, Markdown, HTML} {
		out := renderString(t, doc, f)
		if !strings.Contains(out, "Options, cheapest first (target: p99 ≤ 5ms)") {
			t.Errorf("%s: no ladder heading with the target", f)
		}
		last := -1
		for _, id := range advice.LadderOrder {
			row := map[Format]string{Text: "    " + id + " ", Markdown: "| `" + id + "` |", HTML: "<td><code>" + id + "</code></td>"}[f]
			at := strings.Index(out, row)
			if at < last {
				t.Errorf("%s: %s missing or out of order", f, id)
			}
			last = at
		}
		for _, want := range []string{
			"misses target", "nearest GOGC=50 GOMEMLIMIT=off, p99 12.50 ms, GC CPU 31.0%, peak memory 480.0 MiB",
			"recommended", "p99 4.25 ms, GC CPU 12.5%, peak memory 450.0 MiB",
			"GC CPU 18.6%–27.9% (estimate: 10–40% less)",
			"not modelled", "not applicable",
		} {
			if !strings.Contains(out, want) {
				t.Errorf("%s: lacks %q\n%s", f, want, out)
			}
		}
		if (f != Text && strings.Contains(out, "<script>")) || strings.Contains(out, "\x1b[2J") {
			t.Errorf("%s: a site name's markup or escape reached the output", f)
		}
	}
}

// TestLadderSaysWhyNoneIsRecommended: with too little data, or a verdict
// decided before the ladder, the heading says why no row is recommended.
func TestLadderSaysWhyNoneIsRecommended(t *testing.T) {
	doc := ladderDocument()
	v := doc.Processes[0].Verdict
	v.Options[1].Recommended = false
	v.SufficientData = false
	if out := renderString(t, doc, Text); !strings.Contains(out, "not enough data: none is recommended") || strings.Contains(out, "recommended  ") {
		t.Errorf("insufficient data:\n%s", out)
	}
	v.SufficientData, v.ID = true, advice.FixSTWDelay
	if out := renderString(t, doc, Markdown); !strings.Contains(out, "none is recommended: the pauses wait for goroutines to stop") {
		t.Errorf("fix-stw-delay:\n%s", out)
	}
}

// TestLadderBounds: a step the model can neither show nor rule out says
// "not ruled out", a p99 that is a bound says "at most" or "at least",
// and the heading says why nothing is recommended.
func TestLadderBounds(t *testing.T) {
	doc := ladderDocument()
	v := doc.Processes[0].Verdict
	f := func(v float64) *float64 { return &v }
	v.Options[0].Settings.Predicted.P99Bound = whatif.BoundLower
	v.Options[1] = advice.Option{ID: advice.ReduceAllocation, Applicable: true, Modelled: true, NotRuledOut: true,
		Change: "cut the allocation rate: whether that meets the target is not modelled", P99Ms: f(73.4), GCCPUFraction: f(0.08),
		Settings: &advice.Recommendation{Setting: units.Setting{GOGC: 25, MemoryLimit: units.LimitOff}, Predicted: whatif.Row{P99Bound: whatif.BoundUpper}}}
	for _, format := range []Format{Text, Markdown, HTML} {
		out := renderString(t, doc, format)
		for _, want := range []string{"not ruled out", "p99 at most 73.4", "p99 at least 12.5", "none is recommended: whether reduce-allocation meets the target is not modelled"} {
			if !strings.Contains(out, want) {
				t.Errorf("%s: no %q", format, want)
			}
		}
	}
}
