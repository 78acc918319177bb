package fleet

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"

	"github.com/gcwatch/gcwatch/internal/report"
)

// Kind is the fleet report's document kind (report.Schema names its
// version).
const Kind = report.KindFleet

// Document is the fleet report.
type Document struct {
	Schema    string    `json:"schema"`
	Kind      string    `json:"kind"` // Kind
	Generator string    `json:"generator"`
	Services  []Service `json:"services"`
	Notes     []string  `json:"notes"`
	// Source and Window are set for a report read from monitoring
	// (SourcePrometheus); a capture report leaves them out.
	Source string  `json:"source,omitempty"`
	Window *Window `json:"window,omitempty"`
}

// Options tune the human formats; JSON never changes with them.
type Options struct {
	// Plot draws the fleet plot for the HTML and Markdown reports
	// (internal/report/plot.FleetFigure, which imports this package and
	// so is injected); nil leaves it out, and a nil figure means no
	// service could be placed.
	Plot func(*Document) (*report.Figure, error)
	// Files receives the Markdown report's plot as a PNG file; nil leaves
	// it out (a report on standard output has nowhere to put it).
	Files *report.Files
}

// Render writes the fleet report in format (text, json, markdown, html).
// Text is the ranked table and the reasons, nothing graphical.
func Render(w io.Writer, doc *Document, format string, opts Options) error {
	switch format {
	case "json":
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		return enc.Encode(doc)
	case "markdown":
		return renderMarkdown(w, doc, opts)
	case "html":
		return renderHTML(w, doc, opts)
	}
	if doc.Source == SourcePrometheus {
		return renderMonitoringText(w, doc)
	}
	return renderText(w, doc)
}

func pct(p *float64) string {
	if p == nil {
		return "-"
	}
	return fmt.Sprintf("%.0f%%", *p*100)
}

func signed(p *float64) string {
	if p == nil {
		return "-"
	}
	return fmt.Sprintf("%+.0f%%", *p*100)
}

func ms(p *float64) string {
	if p == nil {
		return "-"
	}
	return fmt.Sprintf("%.2f ms", *p)
}

func rankString(s Service) string {
	if s.Rank == 0 {
		return "—"
	}
	return fmt.Sprint(s.Rank)
}

func tuning(s Service) string {
	if s.BestTuning == nil {
		return "-"
	}
	b := s.BestTuning
	return fmt.Sprintf("%s: p99 %s, GC CPU %.1f%%, peak memory %s", b.Setting, signed(b.P99Change), b.GCCPU*100, signed(b.PeakMemoryChange))
}

func withoutGC(s Service) string {
	if s.WithoutGC == nil {
		return "-"
	}
	m := s.WithoutGC.MemoryChange
	return fmt.Sprintf("p99 %+.0f%%, memory %+.0f%%", s.WithoutGC.P99Change*100, m*100)
}

// term makes an input-derived string (a service name, a reason quoting a
// capture) safe for a terminal.
var term = report.TerminalText

func renderText(w io.Writer, doc *Document) error {
	var b strings.Builder
	fmt.Fprintf(&b, "Fleet: %d services, ranked: %s (the decision record: p99 −25%%, memory −50%%)\n\n", len(doc.Services), Header)
	tw := tabwriter.NewWriter(&b, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "rank\tservice\tverdict\tGC share of tail\tGC CPU\tmemory overhead\tp99\tbest tuning\twithout GC")
	for _, s := range doc.Services {
		verdict := s.VerdictID()
		if s.Data == "insufficient" {
			verdict += " (too little data)"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%.1f%%\t%s\t%s\t%s\t%s\n", rankString(s), term(s.Name), verdict, pct(s.GCShareOfTail),
			s.GCCPUFraction*100, pct(s.MemoryOverhead), ms(s.P99Ms), term(tuning(s)), withoutGC(s))
	}
	tw.Flush()
	b.WriteString("\nWhy\n")
	for _, s := range doc.Services {
		fmt.Fprintf(&b, "  %s: %s\n", term(s.Name), term(s.Summary()))
		for _, r := range s.Reasons {
			fmt.Fprintf(&b, "    - %s\n", term(r))
		}
	}
	for _, n := range doc.Notes {
		fmt.Fprintf(&b, "note: %s\n", term(n))
	}
	_, err := io.WriteString(w, b.String())
	return err
}
