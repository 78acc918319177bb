package report

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"

	"github.com/gcwatch/gcwatch/internal/fleet"
)

// RenderFleet writes the fleet report (internal/fleet's ranking) in
// format f. Text is the ranked table and the reasons, nothing graphical;
// HTML and Markdown place the fleet plot when opts.Figures is set.
func RenderFleet(w io.Writer, doc *fleet.Document, f Format, opts Options) error {
	switch f {
	case JSON:
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		return enc.Encode(doc)
	case Markdown:
		return renderFleetMarkdown(w, doc, opts)
	case HTML:
		return renderFleetHTML(w, doc, opts)
	case Text:
		if doc.Source == fleet.SourcePrometheus {
			return renderFleetMonitoringText(w, doc)
		}
		return renderFleetText(w, doc)
	}
	return fmt.Errorf("unknown format %q", f)
}

func fleetPct(p *float64) string {
	if p == nil {
		return "-"
	}
	return fmt.Sprintf("%.0f%%", *p*100)
}

func fleetSigned(p *float64) string {
	if p == nil {
		return "-"
	}
	return fmt.Sprintf("%+.0f%%", *p*100)
}

func fleetMs(p *float64) string {
	if p == nil {
		return "-"
	}
	return fmt.Sprintf("%.2f ms", *p)
}

func fleetRank(s fleet.Service) string {
	if s.Rank == 0 {
		return "—"
	}
	return fmt.Sprint(s.Rank)
}

func fleetTuning(s fleet.Service) string {
	if s.BestTuning == nil {
		return "-"
	}
	b := s.BestTuning
	return fmt.Sprintf("%s: p99 %s, GC CPU %.1f%%, peak memory %s", b.Setting, fleetSigned(b.P99Change), b.GCCPU*100, fleetSigned(b.PeakMemoryChange))
}

func fleetWithoutGC(s fleet.Service) string {
	if s.WithoutGC == nil {
		return "-"
	}
	m := s.WithoutGC.MemoryChange
	return fmt.Sprintf("p99 %+.0f%%, memory %+.0f%%", s.WithoutGC.P99Change*100, m*100)
}

func renderFleetText(w io.Writer, doc *fleet.Document) error {
	var b strings.Builder
	fmt.Fprintf(&b, "Fleet: %d services, ranked: %s (the decision record: p99 −25%%, memory −50%%)\n\n", len(doc.Services), fleet.Header)
	tw := tabwriter.NewWriter(&b, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "rank\tservice\tverdict\tGC share of tail\tGC CPU\tmemory overhead\tp99\tbest tuning\twithout GC")
	for _, s := range doc.Services {
		verdict := s.VerdictID()
		if s.Data == "insufficient" {
			verdict += " (too little data)"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%.1f%%\t%s\t%s\t%s\t%s\n", fleetRank(s), TerminalText(s.Name), verdict, fleetPct(s.GCShareOfTail),
			s.GCCPUFraction*100, fleetPct(s.MemoryOverhead), fleetMs(s.P99Ms), TerminalText(fleetTuning(s)), fleetWithoutGC(s))
	}
	tw.Flush()
	b.WriteString("\nWhy\n")
	for _, s := range doc.Services {
		fmt.Fprintf(&b, "  %s: %s\n", TerminalText(s.Name), TerminalText(s.Summary()))
		for _, r := range s.Reasons {
			fmt.Fprintf(&b, "    - %s\n", TerminalText(r))
		}
	}
	for _, n := range doc.Notes {
		fmt.Fprintf(&b, "note: %s\n", TerminalText(n))
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// The columns of a report read from monitoring: what the metrics give,
// in place of the captures' tail attribution and what-ifs.
var fleetMonitoringColumns = []string{"rank", "job", "verdict", "capture?", "GC/s", "pause mean", "pause p99", "summary max pause", "GC CPU", "worst GC CPU", "memory overhead", "latency", "GOGC", "GOMEMLIMIT"}

// fleetMonitoringRow is one job's cells, in fleetMonitoringColumns order.
func fleetMonitoringRow(s fleet.Service) []string {
	m := s.Metrics
	if m == nil {
		m = &fleet.Metrics{}
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
	return []string{fleetRank(s), s.Name, verdict, capture, fmt.Sprintf("%.2f", m.GCPerSecond), fleetMs(m.PauseMeanMs), fleetMs(m.PauseP99Ms),
		fleetMs(m.PauseSummaryMaxMs), fleetPct1(m.GCCPUFraction), fleetPct1(m.GCCPUPeak), fleetPct(s.MemoryOverhead), latency, orDash(m.GOGC), orDash(m.MemoryLimit)}
}

func fleetPct1(p *float64) string {
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

func fleetWindowLine(doc *fleet.Document) string {
	w := doc.Window
	if w == nil {
		return fmt.Sprintf("%d jobs read from monitoring", len(doc.Services))
	}
	return fmt.Sprintf("%d jobs matching %s read from %s over %s (%s to %s, worst GC CPU per %s window)", len(doc.Services), w.Job, w.URL,
		w.Range, w.Start.Format("2006-01-02 15:04:05Z"), w.End.Format("2006-01-02 15:04:05Z"), w.Step)
}

const fleetMonitoringIntro = "fleet.Metrics show what GC costs, not which requests it slowed: jobs worth a trace capture come first."

func renderFleetMonitoringText(w io.Writer, doc *fleet.Document) error {
	var b strings.Builder
	fmt.Fprintf(&b, "Fleet: %s\n%s\n\n", TerminalText(fleetWindowLine(doc)), fleetMonitoringIntro)
	tw := tabwriter.NewWriter(&b, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, strings.Join(fleetMonitoringColumns, "\t"))
	for _, s := range doc.Services {
		fmt.Fprintln(tw, strings.Join(TerminalLines(fleetMonitoringRow(s)), "\t"))
	}
	tw.Flush()
	b.WriteString("\nWhy, and what the metrics can and cannot tell\n")
	for _, s := range doc.Services {
		fmt.Fprintf(&b, "  %s: %s\n", TerminalText(s.Name), TerminalText(s.Summary()))
		for _, r := range s.Reasons {
			fmt.Fprintf(&b, "    - %s\n", TerminalText(r))
		}
		for _, k := range s.Knowable {
			fmt.Fprintf(&b, "    · %s\n", TerminalText(k))
		}
	}
	for _, n := range doc.Notes {
		fmt.Fprintf(&b, "note: %s\n", TerminalText(n))
	}
	_, err := io.WriteString(w, b.String())
	return err
}
