package fleet

import (
	"fmt"
	"html/template"
	"io"
	"slices"
	"strings"
	"text/tabwriter"
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
	verdict := s.Verdict
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
		ms(m.PauseSummaryMaxMs), pct1(m.GCCPUFraction), pct1(m.GCCPUPeak), pct(s.MemoryOverhead), latency, orDash(m.GOGC), orDash(m.GOMEMLIMIT)}
}

func pct1(p *float64) string {
	if p == nil {
		return "-"
	}
	return fmt.Sprintf("%.1f%%", *p*100)
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
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

func renderMonitoring(w io.Writer, doc *Document, format string) error {
	switch format {
	case "markdown":
		return renderMonitoringMarkdown(w, doc)
	case "html":
		return monitoringPage.Execute(w, doc)
	}
	var b strings.Builder
	fmt.Fprintf(&b, "Fleet: %s\n%s\n\n", windowLine(doc), monitoringIntro)
	tw := tabwriter.NewWriter(&b, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, strings.Join(monitoringColumns, "\t"))
	for _, s := range doc.Services {
		fmt.Fprintln(tw, strings.Join(monitoringRow(s), "\t"))
	}
	tw.Flush()
	b.WriteString("\nWhy, and what the metrics can and cannot tell\n")
	for _, s := range doc.Services {
		fmt.Fprintf(&b, "  %s: %s\n", s.Name, s.Summary)
		for _, r := range s.Reasons {
			fmt.Fprintf(&b, "    - %s\n", r)
		}
		for _, k := range s.Knowable {
			fmt.Fprintf(&b, "    · %s\n", k)
		}
	}
	for _, n := range doc.Notes {
		fmt.Fprintf(&b, "note: %s\n", n)
	}
	_, err := io.WriteString(w, b.String())
	return err
}

func renderMonitoringMarkdown(w io.Writer, doc *Document) error {
	var b strings.Builder
	fmt.Fprintf(&b, "# gcwatch fleet report (monitoring)\n\n%s. %s\n\n", mdEscape.Replace(windowLine(doc)), monitoringIntro)
	fmt.Fprintf(&b, "| %s |\n|%s\n", strings.Join(monitoringColumns, " | "), strings.Repeat("---|", len(monitoringColumns)))
	for _, s := range doc.Services {
		row := monitoringRow(s)
		for i := range row {
			row[i] = mdEscape.Replace(row[i])
		}
		fmt.Fprintf(&b, "| %s |\n", strings.Join(row, " | "))
	}
	b.WriteString("\n## Why, and what the metrics can and cannot tell\n\n")
	for _, s := range doc.Services {
		fmt.Fprintf(&b, "- **%s**: %s\n", mdEscape.Replace(s.Name), mdEscape.Replace(s.Summary))
		for _, r := range slices.Concat(s.Reasons, s.Knowable) {
			fmt.Fprintf(&b, "  - %s\n", mdEscape.Replace(r))
		}
	}
	if len(doc.Notes) > 0 {
		b.WriteString("\n## Notes\n\n")
		for _, n := range doc.Notes {
			fmt.Fprintf(&b, "- %s\n", mdEscape.Replace(n))
		}
	}
	_, err := io.WriteString(w, b.String())
	return err
}

var monitoringPage = template.Must(template.New("monitoring").Funcs(template.FuncMap{
	"row": monitoringRow, "columns": func() []string { return monitoringColumns }, "window": windowLine, "intro": func() string { return monitoringIntro },
}).Parse(`<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>gcwatch fleet report (monitoring)</title>
<style>body{font-family:system-ui,sans-serif;margin:2em}table{border-collapse:collapse}td,th{border:1px solid #ccc;padding:.25em .6em;text-align:left}th{background:#f3f3f3}</style>
</head><body><h1>gcwatch fleet report (monitoring)</h1>
<p>{{window .}}. {{intro}}</p>
<table><tr>{{range columns}}<th>{{.}}</th>{{end}}</tr>
{{range .Services}}<tr>{{range row .}}<td>{{.}}</td>{{end}}</tr>
{{end}}</table>
<h2>Why, and what the metrics can and cannot tell</h2><ul>{{range .Services}}<li><strong>{{.Name}}</strong>: {{.Summary}}<ul>{{range .Reasons}}<li>{{.}}</li>{{end}}{{range .Knowable}}<li>{{.}}</li>{{end}}</ul></li>{{end}}</ul>
{{if .Notes}}<h2>Notes</h2><ul>{{range .Notes}}<li>{{.}}</li>{{end}}</ul>{{end}}
</body></html>
`))
