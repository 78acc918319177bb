package report

import (
	"bytes"
	"strings"
	"testing"

	"github.com/gcwatch/gcwatch/internal/advice"
)

// TestEvidenceApart renders a tune verdict reached after gc-not-the-cause
// was ruled out, and checks the HTML and Markdown show the tune rule's
// rows under "Why tune" and gc-not-the-cause's, with its failing row,
// apart, after them, naming the rule.
func TestEvidenceApart(t *testing.T) {
	v := &advice.Verdict{ID: advice.Tune, Summary: "set GOGC=200", Confidence: "high", SufficientData: true,
		Actions: []string{"run with GOGC=200"}, Caveats: []string{},
		Evidence: []advice.Evidence{
			{Metric: "gc_cpu_fraction", Value: 0.02, Op: "<", Threshold: 0.25, Holds: true, Rule: advice.NotTheCause},
			{Metric: "gc_share_of_tail", Value: 0.305, Op: "<", Threshold: 0.1, Holds: false, Rule: advice.NotTheCause},
			{Metric: "settings_meeting_target", Value: 3, Op: ">=", Threshold: 1, Holds: true, Rule: advice.Tune},
			{Metric: "predicted_peak_memory_bytes", Value: 16 << 20, Op: "<=", Threshold: 900 << 20, Unit: "bytes", Holds: true, Rule: advice.Tune},
		}}
	decided, others := splitEvidence(v)
	if len(decided) != 2 || decided[0].Metric != "settings_meeting_target" || len(others) != 1 || others[0].Rule != advice.NotTheCause || len(others[0].Rows) != 2 {
		t.Fatalf("split: decided %v, others %v", decided, others)
	}
	doc := &Document{Processes: []Process{{Verdict: v, Latency: Latency{Source: "none"}}}}
	for _, f := range []Format{HTML, Markdown} {
		var b bytes.Buffer
		if err := Render(&b, doc, f, Options{}); err != nil {
			t.Fatal(err)
		}
		page := b.String()
		why, other := strings.Index(page, "Why "), strings.Index(page, "Other rules tried")
		if why < 0 || other < why {
			t.Fatalf("%v: want the deciding rule's table, then the other rules'; got\n%s", f, page)
		}
		first, rest := page[why:other], page[other:]
		for _, m := range []string{"settings", "16.0 MiB", "≤ 900.0 MiB"} {
			if !strings.Contains(first, m) {
				t.Errorf("%v: the deciding rows lack %q:\n%s", f, m, first)
			}
		}
		for _, m := range []string{"gc_cpu_fraction", "gc_share_of_tail", "gc\\_share\\_of\\_tail"} {
			if strings.Contains(first, m) {
				t.Errorf("%v: %q is among the deciding rows", f, m)
			}
		}
		if !strings.Contains(rest, "gc-not-the-cause") || !strings.Contains(rest, "0.305") || !strings.Contains(rest, "no") {
			t.Errorf("%v: the other rules' rows do not name the rule and its failing comparison:\n%s", f, rest)
		}
	}
}
