package report

import (
	"encoding/json"
	"fmt"
	"html/template"
	"io"
	"strings"
	"time"

	"github.com/gcwatch/gcwatch/internal/compare"
)

// CompareJobsDocument is what gcwatch report --prometheus --compare-range
// writes: the comparison of each job between two ranges of its metrics.
// It shares the comparison's schema and kind; each job's entry is a comparison
// (before, after, rows, notes) with its job name and what its metrics can
// and cannot tell.
type CompareJobsDocument struct {
	Schema    string         `json:"schema"`
	Kind      string         `json:"kind"` // KindComparison
	Generator string         `json:"generator"`
	Source    string         `json:"source"` // "prometheus"
	Window    CompareWindows `json:"window"`
	Alpha     float64        `json:"alpha"`
	Jobs      []compare.Job  `json:"jobs"`
	Notes     []string       `json:"notes"`
}

// CompareWindows are the two ranges compared and the windows the tests
// compare within each.
type CompareWindows struct {
	URL    string    `json:"url"`
	Job    string    `json:"job"` // the job label's regular expression
	Before TimeRange `json:"before"`
	After  TimeRange `json:"after"`
	Step   string    `json:"step"`
}

// TimeRange is a span of wall-clock time.
type TimeRange struct {
	Start time.Time `json:"start"`
	End   time.Time `json:"end"`
}

// RenderCompareJobs writes the per-job comparison in format f.
func RenderCompareJobs(w io.Writer, doc *CompareJobsDocument, f Format, opts Options) error {
	switch f {
	case JSON:
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		return enc.Encode(doc)
	case Text:
		return renderCompareJobsText(w, doc, opts)
	case Markdown:
		return renderCompareJobsMarkdown(w, doc)
	case HTML:
		return WriteHTML(w, compareJobsPage, doc)
	}
	return fmt.Errorf("unknown format %q", f)
}

// RangesLine says where the metrics came from and which ranges were
// compared, in one line.
func (d *CompareJobsDocument) RangesLine() string {
	f := func(r TimeRange) string {
		return r.Start.UTC().Format(time.RFC3339) + " … " + r.End.UTC().Format(time.RFC3339)
	}
	return fmt.Sprintf("%s, jobs %s: BEFORE %s, AFTER %s, tested over %s windows", d.Window.URL, d.Window.Job, f(d.Window.Before), f(d.Window.After), d.Window.Step)
}

func renderCompareJobsText(w io.Writer, doc *CompareJobsDocument, opts Options) error {
	style := func(code, s string) string {
		if !opts.Color {
			return s
		}
		return code + s + reset
	}
	var b strings.Builder
	fmt.Fprintf(&b, "%s\n", TerminalText(doc.RangesLine()))
	for _, j := range doc.Jobs {
		fmt.Fprintf(&b, "\n%s %s\n", style(bold, "job"), style(bold, TerminalText(j.Job)))
		fmt.Fprintf(&b, "  BEFORE %s\n  AFTER  %s\n\n", TerminalText(sideLine(j.Before)), TerminalText(sideLine(j.After)))
		writeCompareTable(&b, j.Rows, metricsLabel, style)
		for _, n := range j.Notes {
			fmt.Fprintf(&b, "  note: %s\n", TerminalText(n))
		}
		b.WriteString("\n")
		for _, k := range j.Knowable {
			fmt.Fprintf(&b, "  %s\n", style(dim, TerminalText(k)))
		}
	}
	fmt.Fprintf(&b, "\n%s\n", style(dim, compareJobsLegend(doc.Alpha)))
	for _, n := range doc.Notes {
		fmt.Fprintf(&b, "note: %s\n", TerminalText(n))
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// metricsLabel names a row of a comparison from metrics: its heap sizes
// are the highest a scrape saw, not per-cycle figures.
func metricsLabel(metric string) string {
	switch metric {
	case "live_heap_bytes":
		return "live heap (max)"
	case "peak_heap_bytes":
		return "heap in use (max)"
	}
	return compareLabel(metric)
}

// compareJobsLegend says what "~" and "?" mean in a comparison from
// metrics.
func compareJobsLegend(alpha float64) string {
	return fmt.Sprintf("~: no significant change at α=%.2g (two-sided Mann–Whitney U over the windows of each range). ?: not tested or not known.", alpha)
}

func renderCompareJobsMarkdown(w io.Writer, doc *CompareJobsDocument) error {
	var b strings.Builder
	b.WriteString("# gcwatch compare: from monitoring\n\n")
	fmt.Fprintf(&b, "%s\n", md(doc.RangesLine()))
	for _, j := range doc.Jobs {
		fmt.Fprintf(&b, "\n## job %s\n\n", md(j.Job))
		fmt.Fprintf(&b, "- **BEFORE**: %s\n- **AFTER**: %s\n\n", md(sideLine(j.Before)), md(sideLine(j.After)))
		b.WriteString("| figure | before | after | change | test |\n|---|---:|---:|---:|---|\n")
		for _, r := range j.Rows {
			fmt.Fprintf(&b, "| %s | %s | %s | %s | %s |\n", md(metricsLabel(r.Metric)), md(compareValue(r.Before, r.Unit)),
				md(compareValue(r.After, r.Unit)), md(compareChange(r)), md(compareEvidence(r)))
		}
		b.WriteString("\n")
		for _, n := range j.Notes {
			fmt.Fprintf(&b, "- note: %s\n", md(n))
		}
		for _, k := range j.Knowable {
			fmt.Fprintf(&b, "- %s\n", md(k))
		}
	}
	fmt.Fprintf(&b, "\n%s\n", md(compareJobsLegend(doc.Alpha)))
	for _, n := range doc.Notes {
		fmt.Fprintf(&b, "\n- note: %s", md(n))
	}
	_, err := io.WriteString(w, b.String())
	return err
}

var compareJobsPage = template.Must(template.New("compare-jobs").Funcs(template.FuncMap{
	"side": sideLine, "label": metricsLabel, "value": compareValue, "change": compareChange,
	"evidence": compareEvidence, "legend": compareJobsLegend,
}).Parse(`<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>gcwatch compare: from monitoring</title>
<style>` + PageCSS + `</style></head><body>
<h1>gcwatch compare: from monitoring</h1>
<p>{{.RangesLine}}</p>
{{range .Jobs}}<section><h2>job {{.Job}}</h2>
<table><tr><th>BEFORE</th><td>{{side .Before}}</td></tr><tr><th>AFTER</th><td>{{side .After}}</td></tr></table>
<table><tr><th>figure</th><th>before</th><th>after</th><th>change</th><th>test</th></tr>
{{range .Rows}}<tr><td>{{label .Metric}}</td><td class="num">{{value .Before .Unit}}</td><td class="num">{{value .After .Unit}}</td><td class="num">{{change .}}</td><td class="dim">{{evidence .}}</td></tr>
{{end}}</table>
{{if .Notes}}<ul>{{range .Notes}}<li>{{.}}</li>{{end}}</ul>{{end}}
<ul class="dim">{{range .Knowable}}<li>{{.}}</li>{{end}}</ul></section>
{{end}}
<p class="dim">{{legend .Alpha}}</p>
{{if .Notes}}<h2>Notes</h2><ul>{{range .Notes}}<li>{{.}}</li>{{end}}</ul>{{end}}
</body></html>
`))
