package report

import (
	"fmt"
	"html/template"
	"io"
	"path"
	"strings"

	"github.com/gcwatch/gcwatch/internal/compare"
)

func renderCompareMarkdown(w io.Writer, doc *CompareDocument, opts Options) error {
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
	fmt.Fprintf(&b, "\n%s\n", md(compareLegend(c.Alpha)))
	if pc := c.PredictionCheck; pc != nil {
		var t strings.Builder
		writeTextPrediction(&t, pc, func(_, s string) string { return s })
		b.WriteString("\n## Prediction checked\n\n")
		for line := range strings.Lines(t.String()) {
			fmt.Fprintf(&b, "- %s\n", md(strings.TrimSpace(line)))
		}
	}
	if err := writeCompareMarkdownFigures(&b, c, opts); err != nil {
		return err
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

// writeCompareMarkdownFigures writes the before/after figures as PNG files
// through opts.Files and links them, as the analyze report does its own.
func writeCompareMarkdownFigures(b *strings.Builder, c *compare.Comparison, opts Options) error {
	if opts.Figures == nil {
		return nil
	}
	if opts.Files == nil {
		b.WriteString("\n_Plots are written beside the comparison when it goes to a folder or file (`-o DIR`)._\n")
		return nil
	}
	figs := opts.Figures.Comparison
	if len(figs) == 0 {
		return nil
	}
	b.WriteString("\n## Plots\n\n")
	for _, f := range figs {
		link := path.Join(opts.Files.Dir, f.Name+".png")
		if err := WriteFile(opts.Files, link, func(w io.Writer) error { return f.Render(w, "png") }); err != nil {
			return err
		}
		fmt.Fprintf(b, "![%s](%s)\n\n", md(f.Title), link)
	}
	return nil
}

// The comparison page is one self-contained file like the report's;
// every input-derived string goes through html/template's escaping.
var comparePage = template.Must(template.New("compare").Funcs(template.FuncMap{
	"side": sideLine, "verdict": sideVerdict, "label": compareLabel, "value": compareValue,
	"change": compareChange, "evidence": compareEvidence, "legend": compareLegend, "prediction": func(pc *compare.PredictionCheck) []string {
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
<p class="dim">{{legend .Alpha}}</p>
{{with .PredictionCheck}}<h2>Prediction checked</h2><ul>{{range prediction .}}<li>{{.}}</li>{{end}}</ul>{{end}}
{{if .Figures}}<h2>Plots</h2>
{{range .Figures}}<figure aria-label="{{.Title}}">{{.SVG}}</figure>
{{end}}{{end}}
{{if .Notes}}<h2>Notes</h2><ul>{{range .Notes}}<li>{{.}}</li>{{end}}</ul>{{end}}
</body></html>
`))

// compareView is what the comparison page reads: the comparison and its
// figures drawn.
type compareView struct {
	*compare.Comparison
	Figures []htmlFigure
}

func renderCompareHTML(w io.Writer, doc *CompareDocument, opts Options) error {
	view := compareView{Comparison: doc.Comparison}
	if opts.Figures != nil {
		for _, f := range opts.Figures.Comparison {
			svg, err := InlineSVG(f)
			if err != nil {
				return err
			}
			view.Figures = append(view.Figures, htmlFigure{Title: f.Title, SVG: svg})
		}
	}
	return WriteHTML(w, comparePage, view)
}
