package fleet

import (
	"fmt"
	"io"
	"strings"
	"text/tabwriter"

	"github.com/gcwatch/gcwatch/internal/report"
)

// The columns of a report read from monitoring: what the metrics give,
// in place of the captures' tail attribution and what-ifs.
var monitoringColumns = []string{"rank", "job", "verdict", "capture?", "GC/s", "pause mean", "pause p99", "summary max pause", "GC CPU", "worst GC CPU", "memory overhead", "latency", "GOGC", "GOMEMLIMIT"}

// monitoringRow is one job's cells, in monitoringColumns order.
func monitoringRow(s Service) []string {
	m := s.Metrics
	if m == nil {
		m = &Metrics{}
	}
	verdict := s.VerdictID()
	if s.Data == "insufficient" {
		verdict += " (too little data)"
	}
	capture := "no"
	if s.WorthCapture {
		capture = "yes"
	}
	latency := "-"
	if m.LatencyMs != nil {
		latency = fmt.Sprintf("p%g %.2f ms", m.LatencyQuantile*100, *m.LatencyMs)
	}
	return []string{rankString(s), s.Name, verdict, capture, fmt.Sprintf("%.2f", m.GCPerSecond), ms(m.PauseMeanMs), ms(m.PauseP99Ms),
		ms(m.PauseSummaryMaxMs), pct1(m.GCCPUFraction), pct1(m.GCCPUPeak), pct(s.MemoryOverhead), latency, orDash(m.GOGC), orDash(m.MemoryLimit)}
}

func pct1(p *float64) string {
	if p == nil {
		return "-"
	}
	return fmt.Sprintf("%.1f%%", *p*100)
}

func orDash[T fmt.Stringer](p *T) string {
	if p == nil {
		return "-"
	}
	return (*p).String()
}

func windowLine(doc *Document) string {
	w := doc.Window
	if w == nil {
		return fmt.Sprintf("%d jobs read from monitoring", len(doc.Services))
	}
	return fmt.Sprintf("%d jobs matching %s read from %s over %s (%s to %s, worst GC CPU per %s window)", len(doc.Services), w.Job, w.URL,
		w.Range, w.Start.Format("2006-01-02 15:04:05Z"), w.End.Format("2006-01-02 15:04:05Z"), w.Step)
}

const monitoringIntro = "Metrics show what GC costs, not which requests it slowed: jobs worth a trace capture come first."

func renderMonitoringText(w io.Writer, doc *Document) error {
	var b strings.Builder
	fmt.Fprintf(&b, "Fleet: %s\n%s\n\n", term(windowLine(doc)), monitoringIntro)
	tw := tabwriter.NewWriter(&b, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, strings.Join(monitoringColumns, "\t"))
	for _, s := range doc.Services {
		fmt.Fprintln(tw, strings.Join(report.TerminalLines(monitoringRow(s)), "\t"))
	}
	tw.Flush()
	b.WriteString("\nWhy, and what the metrics can and cannot tell\n")
	for _, s := range doc.Services {
		fmt.Fprintf(&b, "  %s: %s\n", term(s.Name), term(s.Summary()))
		for _, r := range s.Reasons {
			fmt.Fprintf(&b, "    - %s\n", term(r))
		}
		for _, k := range s.Knowable {
			fmt.Fprintf(&b, "    · %s\n", term(k))
		}
	}
	for _, n := range doc.Notes {
		fmt.Fprintf(&b, "note: %s\n", term(n))
	}
	_, err := io.WriteString(w, b.String())
	return err
}
