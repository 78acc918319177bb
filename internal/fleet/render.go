package fleet

import (
	"encoding/json"
	"fmt"
	"html/template"
	"io"
	"strings"
	"text/tabwriter"
)

// Document is the fleet report.
type Document struct {
	Schema    string    `json:"schema"`
	Kind      string    `json:"kind"` // "fleet"
	Generator string    `json:"generator"`
	Services  []Service `json:"services"`
	Notes     []string  `json:"notes"`
	// Source and Window are set for a report read from monitoring
	// (SourcePrometheus); a capture report leaves them out.
	Source string  `json:"source,omitempty"`
	Window *Window `json:"window,omitempty"`
}

// Render writes the fleet report in format (text, json, markdown, html).
func Render(w io.Writer, doc *Document, format string) error {
	if doc.Source == SourcePrometheus && format != "json" {
		return renderMonitoring(w, doc, format)
	}
	switch format {
	case "json":
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		return enc.Encode(doc)
	case "markdown":
		return renderMarkdown(w, doc)
	case "html":
		return fleetPage.Execute(w, doc)
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
	return fmt.Sprintf("GOGC=%s GOMEMLIMIT=%s: p99 %s, GC CPU %.1f%%", b.GOGC, b.GOMEMLIMIT, signed(b.P99Change), b.GCCPU*100)
}

func withoutGC(s Service) string {
	if s.WithoutGC == nil {
		return "-"
	}
	m := s.WithoutGC.MemoryChange
	return fmt.Sprintf("p99 %+.0f%%, memory %+.0f%%", s.WithoutGC.P99Change*100, m*100)
}

func renderText(w io.Writer, doc *Document) error {
	var b strings.Builder
	fmt.Fprintf(&b, "Fleet: %d services, ranked by what removing the GC would gain (the decision record: p99 −25%%, memory −50%%)\n\n", len(doc.Services))
	tw := tabwriter.NewWriter(&b, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "rank\tservice\tverdict\tGC share of tail\tGC CPU\tmemory overhead\tp99\tbest tuning\twithout GC")
	for _, s := range doc.Services {
		verdict := s.Verdict
		if s.Data == "insufficient" {
			verdict += " (too little data)"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%.1f%%\t%s\t%s\t%s\t%s\n", rankString(s), s.Name, verdict, pct(s.GCShareOfTail),
			s.GCCPUFraction*100, pct(s.MemoryOverhead), ms(s.P99Ms), tuning(s), withoutGC(s))
	}
	tw.Flush()
	b.WriteString("\nWhy\n")
	for _, s := range doc.Services {
		fmt.Fprintf(&b, "  %s: %s\n", s.Name, s.Summary)
		for _, r := range s.Reasons {
			fmt.Fprintf(&b, "    - %s\n", r)
		}
	}
	for _, n := range doc.Notes {
		fmt.Fprintf(&b, "note: %s\n", n)
	}
	_, err := io.WriteString(w, b.String())
	return err
}

var mdEscape = strings.NewReplacer("|", `\|`, "<", "&lt;", ">", "&gt;", "\n", " ", "*", `\*`, "_", `\_`)

func renderMarkdown(w io.Writer, doc *Document) error {
	var b strings.Builder
	fmt.Fprintf(&b, "# gcwatch fleet report\n\n%d services, ranked by what removing the GC would gain. The decision record's migrated services saw p99 −25%% and memory −50%%.\n\n", len(doc.Services))
	b.WriteString("| rank | service | verdict | GC share of tail | GC CPU | memory overhead | p99 | best tuning | without GC | confidence |\n|---|---|---|---|---|---|---|---|---|---|\n")
	for _, s := range doc.Services {
		fmt.Fprintf(&b, "| %s | %s | `%s` | %s | %.1f%% | %s | %s | %s | %s | %s |\n", rankString(s), mdEscape.Replace(s.Name), s.Verdict,
			pct(s.GCShareOfTail), s.GCCPUFraction*100, pct(s.MemoryOverhead), ms(s.P99Ms), mdEscape.Replace(tuning(s)), withoutGC(s), s.Confidence)
	}
	b.WriteString("\n## Why\n\n")
	for _, s := range doc.Services {
		fmt.Fprintf(&b, "- **%s**: %s\n", mdEscape.Replace(s.Name), mdEscape.Replace(s.Summary))
		for _, r := range s.Reasons {
			fmt.Fprintf(&b, "  - %s\n", mdEscape.Replace(r))
		}
	}
	_, err := io.WriteString(w, b.String())
	return err
}

var fleetPage = template.Must(template.New("fleet").Funcs(template.FuncMap{
	"pct": pct, "signed": signed, "ms": ms, "rank": rankString, "tuning": tuning, "withoutgc": withoutGC,
	"cpu": func(f float64) string { return fmt.Sprintf("%.1f%%", f*100) },
}).Parse(`<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>gcwatch fleet report</title>
<style>body{font-family:system-ui,sans-serif;margin:2em}table{border-collapse:collapse}td,th{border:1px solid #ccc;padding:.25em .6em;text-align:left}th{background:#f3f3f3}</style>
</head><body><h1>gcwatch fleet report</h1>
<p>{{len .Services}} services, ranked by what removing the GC would gain. The decision record's migrated services saw p99 −25% and memory −50%.</p>
<table><tr><th>rank</th><th>service</th><th>verdict</th><th>GC share of tail</th><th>GC CPU</th><th>memory overhead</th><th>p99</th><th>best tuning</th><th>without GC</th><th>confidence</th></tr>
{{range .Services}}<tr><td>{{rank .}}</td><td>{{.Name}}</td><td><code>{{.Verdict}}</code>{{if eq .Data "insufficient"}} (too little data){{end}}</td><td>{{pct .GCShareOfTail}}</td><td>{{cpu .GCCPUFraction}}</td><td>{{pct .MemoryOverhead}}</td><td>{{ms .P99Ms}}</td><td>{{tuning .}}</td><td>{{withoutgc .}}</td><td>{{.Confidence}}</td></tr>
{{end}}</table>
<h2>Why</h2><ul>{{range .Services}}<li><strong>{{.Name}}</strong>: {{.Summary}}<ul>{{range .Reasons}}<li>{{.}}</li>{{end}}</ul></li>{{end}}</ul>
{{if .Notes}}<h2>Notes</h2><ul>{{range .Notes}}<li>{{.}}</li>{{end}}</ul>{{end}}
</body></html>
`))
