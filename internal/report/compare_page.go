package report

import (
	"fmt"
	"html/template"
	"io"
	"strings"

	"github.com/gcwatch/gcwatch/internal/compare"
)

func renderCompareMarkdown(w io.Writer, doc *CompareDocument) error {
	c := doc.Comparison
	var b strings.Builder
	b.WriteString("# gcwatch compare\n\n")
	fmt.Fprintf(&b, "- **BEFORE**: %s — verdict %s\n", md(sideLine(c.Before)), md(sideVerdict(c.Before)))
	fmt.Fprintf(&b, "- **AFTER**: %s — verdict %s\n\n", md(sideLine(c.After)), md(sideVerdict(c.After)))
	b.WriteString("| figure | before | after | change | test |\n|---|---:|---:|---:|---|\n")
	for _, r := range c.Rows {
		fmt.Fprintf(&b, "| %s | %s | %s | %s | %s |\n", md(compareLabel(r.Metric)), md(compareValue(r.Before, r.Unit)),
			md(compareValue(r.After, r.Unit)), md(compareChange(r)), md(compareEvidence(r)))
	}
	fmt.Fprintf(&b, "\n%s\n", md(fmt.Sprintf("~: no significant change (two-sided Mann–Whitney U, α=%.2g; a percentile also needs the bootstrap interval of its change to exclude 0). ?: not tested.", c.Alpha)))
	if pc := c.PredictionCheck; pc != nil {
		var t strings.Builder
		writeTextPrediction(&t, pc, func(_, s string) string { return s })
		b.WriteString("\n## Prediction checked\n\n")
		for line := range strings.Lines(t.String()) {
			fmt.Fprintf(&b, "- %s\n", md(strings.TrimSpace(line)))
		}
	}
	if len(c.Notes) > 0 {
		b.WriteString("\n## Notes\n\n")
		for _, n := range c.Notes {
			fmt.Fprintf(&b, "- %s\n", md(n))
		}
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// The comparison page is one self-contained file like the report's;
// every input-derived string goes through html/template's escaping.
var comparePage = template.Must(template.New("compare").Funcs(template.FuncMap{
	"side": sideLine, "verdict": sideVerdict, "label": compareLabel, "value": compareValue,
	"change": compareChange, "evidence": compareEvidence, "prediction": func(pc *compare.PredictionCheck) []string {
		var t strings.Builder
		writeTextPrediction(&t, pc, func(_, s string) string { return s })
		var lines []string
		for line := range strings.Lines(t.String()) {
			lines = append(lines, strings.TrimSpace(line))
		}
		return lines
	},
}).Parse(`<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>gcwatch compare</title>
<style>` + PageCSS + `</style></head><body>
<h1>gcwatch compare</h1>
<table><tr><th>BEFORE</th><td>{{side .Before}}</td><td>{{verdict .Before}}</td></tr>
<tr><th>AFTER</th><td>{{side .After}}</td><td>{{verdict .After}}</td></tr></table>
<table><tr><th>figure</th><th>before</th><th>after</th><th>change</th><th>test</th></tr>
{{range .Rows}}<tr><td>{{label .Metric}}</td><td class="num">{{value .Before .Unit}}</td><td class="num">{{value .After .Unit}}</td><td class="num">{{change .}}</td><td class="dim">{{evidence .}}</td></tr>
{{end}}</table>
<p class="dim">~: no significant change (two-sided Mann–Whitney U, α={{printf "%.2g" .Alpha}}; a percentile also needs the bootstrap interval of its change to exclude 0). ?: not tested.</p>
{{with .PredictionCheck}}<h2>Prediction checked</h2><ul>{{range prediction .}}<li>{{.}}</li>{{end}}</ul>{{end}}
{{if .Notes}}<h2>Notes</h2><ul>{{range .Notes}}<li>{{.}}</li>{{end}}</ul>{{end}}
</body></html>
`))

func renderCompareHTML(w io.Writer, doc *CompareDocument) error {
	return WriteHTML(w, comparePage, doc.Comparison)
}
