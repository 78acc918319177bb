package report

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"

	"github.com/gcwatch/gcwatch/internal/compare"
	"github.com/gcwatch/gcwatch/internal/units"
)

// CompareDocument is what gcwatch compare writes: schema Schema, kind
// KindComparison.
type CompareDocument struct {
	Schema    string `json:"schema"`
	Kind      string `json:"kind"`
	Generator string `json:"generator"`
	*compare.Comparison
}

// NewCompareDocument wraps a comparison for rendering.
func NewCompareDocument(c *compare.Comparison, generator string) *CompareDocument {
	return &CompareDocument{Schema: Schema, Kind: KindComparison, Generator: generator, Comparison: c}
}

// RenderCompare writes the comparison in format f.
func RenderCompare(w io.Writer, doc *CompareDocument, f Format, opts Options) error {
	switch f {
	case JSON:
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		return enc.Encode(doc)
	case Text:
		return renderCompareText(w, doc, opts)
	case Markdown:
		return renderCompareMarkdown(w, doc, opts)
	case HTML:
		return renderCompareHTML(w, doc, opts)
	}
	return fmt.Errorf("unknown format %q", f)
}

// compareLabels name the rows for people.
var compareLabels = map[string]string{
	"gc_per_second": "GC cycles/s", "gc_cpu_fraction": "GC CPU",
	"pause_p50_ms": "pause p50", "pause_p99_ms": "pause p99", "pause_max_ms": "pause max",
	"time_to_stop_p99_ms": "time to stop p99", "mark_assist_ms_per_second": "mark assist per s",
	"mmu_1ms": "MMU 1ms", "mmu_10ms": "MMU 10ms", "mmu_100ms": "MMU 100ms",
	"live_heap_bytes": "live heap (median)", "peak_heap_bytes": "peak heap",
	"request_p50_ms": "request p50", "request_p99_ms": "request p99", "request_p999_ms": "request p99.9",
	"gc_share_of_tail": "GC share of tail",
}

func compareLabel(metric string) string {
	if l, ok := compareLabels[metric]; ok {
		return l
	}
	return metric
}

// compareValue formats a row's value in its unit.
func compareValue(v *float64, unit string) string {
	if v == nil {
		return "?"
	}
	switch unit {
	case "per_second":
		return fmt.Sprintf("%.2f", *v)
	case "fraction":
		return fmtPct(*v)
	case "ms":
		return units.Ms(*v)
	case "ms_per_second":
		return units.Ms(*v) + "/s"
	case "bytes":
		return units.Bytes(int64(*v))
	}
	return fmtNum(*v)
}

// compareChange is benchstat's change column: the change when it is
// significant, "~" when it is inside the noise, and the change with "?"
// when it could not be tested.
func compareChange(r compare.Row) string {
	if r.Change == nil {
		return "?"
	}
	c := fmt.Sprintf("%+.1f%%", 100**r.Change)
	switch {
	case r.Significant == nil:
		return c + " ?"
	case !*r.Significant:
		return "~"
	}
	return c
}

// compareEvidence is the test behind the change: p-value and sample
// counts, or why there is none.
func compareEvidence(r compare.Row) string {
	if r.PValue == nil {
		return "(" + r.Note + ")"
	}
	s := fmt.Sprintf("(p=%.3f n=%d+%d)", *r.PValue, r.BeforeN, r.AfterN)
	if r.ChangeCI != nil {
		s += fmt.Sprintf(" %.0f%% CI [%+.1f%%, %+.1f%%]", 95.0, 100*r.ChangeCI[0], 100*r.ChangeCI[1])
	}
	if r.Note != "" {
		s += " (" + r.Note + ")"
	}
	return s
}

// compareLegend says what "~" and "?" mean and which tests stand behind
// the changes.
func compareLegend(alpha float64) string {
	return fmt.Sprintf("~: no significant change at α=%.2g. Request percentiles: block bootstrap of the change (blocks of consecutive requests, so that requests sharing a GC cycle or a burst of load count as one sample); pauses and cycles: two-sided Mann–Whitney U, and a pause percentile also needs the bootstrap interval of its change to exclude 0. ?: not tested.", alpha)
}

// sideLine says what a side was, in one line.
func sideLine(s compare.SideSummary) string {
	var parts []string
	if s.GOGC != nil {
		p := "GOGC=" + s.GOGC.String()
		if s.MemoryLimit != nil {
			p += " GOMEMLIMIT=" + s.MemoryLimit.String()
		}
		parts = append(parts, p)
	}
	if s.GOMAXPROCS > 0 {
		parts = append(parts, fmt.Sprintf("GOMAXPROCS %d", s.GOMAXPROCS))
	}
	if s.GoVersion != "" {
		parts = append(parts, s.GoVersion)
	}
	parts = append(parts, fmt.Sprintf("%d run(s), %s observed, %d requests, %d cycles", s.Runs, units.Ms(s.WindowMs), s.Requests, s.Cycles))
	return strings.Join(s.Inputs, " ") + " (" + strings.Join(parts, ", ") + ")"
}

func sideVerdict(s compare.SideSummary) string {
	switch s.VerdictID {
	case "":
		return "no verdict"
	case "mixed":
		return "mixed verdicts: " + strings.Join(s.Verdicts, ", ")
	}
	return s.VerdictID + " — " + s.VerdictSummary
}

func renderCompareText(w io.Writer, doc *CompareDocument, opts Options) error {
	style := func(code, s string) string {
		if !opts.Color {
			return s
		}
		return code + s + reset
	}
	c := doc.Comparison
	var b strings.Builder
	// Input names and verdict summaries quote inputs: shown escaped.
	fmt.Fprintf(&b, "%s %s\n", style(bold, "BEFORE"), TerminalText(sideLine(c.Before)))
	fmt.Fprintf(&b, "       verdict: %s\n", TerminalText(sideVerdict(c.Before)))
	fmt.Fprintf(&b, "%s  %s\n", style(bold, "AFTER"), TerminalText(sideLine(c.After)))
	fmt.Fprintf(&b, "       verdict: %s\n\n", TerminalText(sideVerdict(c.After)))
	writeCompareTable(&b, c.Rows, compareLabel, style)
	fmt.Fprintf(&b, "\n%s\n", style(dim, compareLegend(c.Alpha)))
	if pc := c.PredictionCheck; pc != nil {
		b.WriteString("\n")
		writeTextPrediction(&b, pc, style)
	}
	if len(c.Notes) > 0 {
		b.WriteString("\nNotes\n")
		for _, n := range c.Notes {
			fmt.Fprintf(&b, "  - %s\n", TerminalText(n))
		}
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// writeCompareTable writes the rows as the text table: figure, BEFORE,
// AFTER, change, and the test behind it.
func writeCompareTable(b *strings.Builder, rows []compare.Row, label func(string) string, style func(code, s string) string) {
	tw := tabwriter.NewWriter(b, 0, 4, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintf(tw, "\tBEFORE\tAFTER\tchange\t\n")
	for _, r := range rows {
		change := compareChange(r)
		if r.Regressed() {
			change = style(red, change)
		} else if r.Significant != nil && *r.Significant {
			change = style(green, change)
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", label(r.Metric), compareValue(r.Before, r.Unit), compareValue(r.After, r.Unit), change, "  "+style(dim, TerminalText(compareEvidence(r))))
	}
	tw.Flush()
}

func writeTextPrediction(b *strings.Builder, pc *compare.PredictionCheck, style func(code, s string) string) {
	if pc.Remedy == "allocation_cut" {
		fmt.Fprintf(b, "%s: BEFORE's verdict said to %s", style(bold, "Prediction"), pc.Change)
		if !pc.Applies {
			fmt.Fprintf(b, "; not checked: %s\n", pc.Reason)
			return
		}
		fmt.Fprintf(b, "; AFTER ran with the %s\n", pc.AfterChange)
		if ac := pc.AllocCut; ac != nil && ac.Needed != nil {
			verb := "more than"
			if ac.Made < *ac.Needed {
				verb = "less than"
			}
			fmt.Fprintf(b, "  the cut made (%.0f%%) is %s the cut asked for (%.0f%%); BEFORE's model at AFTER's allocation rate and settings:\n", 100*ac.Made, verb, 100**ac.Needed)
		}
	} else {
		fmt.Fprintf(b, "%s: BEFORE's verdict recommended %s", style(bold, "Prediction"), pc.Recommended)
		if !pc.Applies {
			fmt.Fprintf(b, "; not checked: %s\n", pc.Reason)
			return
		}
		fmt.Fprintf(b, " and AFTER ran with it\n")
	}
	for _, f := range pc.Figures {
		unit := "per_second"
		switch {
		case strings.HasSuffix(f.Metric, "_ms"):
			unit = "ms"
		case strings.HasSuffix(f.Metric, "_fraction"):
			unit = "fraction"
		}
		p, m := f.Predicted, f.Measured
		fmt.Fprintf(b, "  %-16s predicted %s, measured %s: off by %+.1f%%", compareLabel(f.Metric), compareValue(&p, unit), compareValue(&m, unit), 100*f.Error)
		if f.Within != nil {
			fmt.Fprintf(b, ", %s ±%.0f%%", map[bool]string{true: "within", false: "outside"}[*f.Within], 100**f.Tolerance)
		}
		if f.Note != "" {
			fmt.Fprintf(b, " (%s)", f.Note)
		}
		b.WriteString("\n")
	}
	if pc.WithinError != nil {
		if *pc.WithinError {
			fmt.Fprintf(b, "  → %s\n", style(green, "the prediction held, within the model's stated error"))
		} else {
			fmt.Fprintf(b, "  → %s\n", style(red, "the prediction missed by more than the model's stated error"))
		}
	}
}
