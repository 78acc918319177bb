package report

import (
	"fmt"
	"html/template"
	"io"
	"path"
	"slices"
	"strings"

	"github.com/gcwatch/gcwatch/internal/fleet"
)

// fleetView is the fleet report as the HTML and Markdown formats show it, for
// either source: the ranked table, the plot, each service's reasons.
type fleetView struct {
	Title, Intro string
	Columns      []string
	Rows         []fleetRow
	Services     []fleetService
	WhyTitle     string
	Notes        []string
	// Plotted is set when a plot was asked for; Figure is nil then when
	// no service could be placed.
	Plotted bool
	Figure  *fleetFigure
	LeftOut []fleetLeftOut
}

type fleetRow struct {
	Anchor string
	Cells  []string // Cells[1] is the service's name, linked to its reasons
	Thin   bool     // too little data to rank
}

type fleetService struct {
	*fleet.Service
	Anchor string
}

type fleetFigure struct {
	Title string
	SVG   template.HTML
}

type fleetLeftOut struct {
	FleetLeftOut
	Anchor string
}

// The columns of a report from captures, for HTML and Markdown.
var fleetCaptureColumns = []string{"rank", "service", "verdict", "GC share of tail", "GC CPU", "memory overhead", "p99", "best tuning", "without GC", "confidence"}

func fleetCaptureRow(s fleet.Service) []string {
	verdict := s.VerdictID()
	if s.Data == "insufficient" {
		verdict += " (too little data)"
	}
	return []string{fleetRank(s), s.Name, verdict, fleetPct(s.GCShareOfTail), fmt.Sprintf("%.1f%%", s.GCCPUFraction*100),
		fleetPct(s.MemoryOverhead), fleetMs(s.P99Ms), fleetTuning(s), fleetWithoutGC(s), s.Confidence()}
}

func newFleetView(doc *fleet.Document) *fleetView {
	p := &fleetView{Title: "gcwatch fleet report", Columns: fleetCaptureColumns, WhyTitle: "Why", Notes: doc.Notes,
		Intro: fmt.Sprintf("%d services, ranked: %s. The decision record's migrated services saw p99 −25%% and memory −50%%.", len(doc.Services), fleet.Header)}
	row := fleetCaptureRow
	if doc.Source == fleet.SourcePrometheus {
		p.Title, p.Columns, p.WhyTitle, row = "gcwatch fleet report (monitoring)", fleetMonitoringColumns, "Why, and what the metrics can and cannot tell", fleetMonitoringRow
		p.Intro = fleetWindowLine(doc) + ". " + fleetMonitoringIntro
	}
	for i := range doc.Services {
		s := &doc.Services[i]
		a := fleetAnchor(i, s.Name)
		p.Rows = append(p.Rows, fleetRow{Anchor: a, Cells: row(*s), Thin: s.Data == "insufficient"})
		p.Services = append(p.Services, fleetService{Service: s, Anchor: a})
	}
	return p
}

// anchor is a service's id in the fleetView: its place in the document, so it
// is unique, and its name reduced to characters safe in a fragment.
func fleetAnchor(i int, name string) string {
	var b strings.Builder
	for _, r := range strings.ToLower(name) {
		if b.Len() >= 40 {
			break
		}
		if r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '-' || r == '_' {
			b.WriteRune(r)
		} else {
			b.WriteByte('-')
		}
	}
	return fmt.Sprintf("svc-%d-%s", i+1, b.String())
}

// plot draws the fleet figure, when asked for, and notes which services
// it leaves out.
func (p *fleetView) plot(doc *fleet.Document, opts Options) *Figure {
	if opts.Figures == nil {
		return nil
	}
	p.Plotted = true
	f := opts.Figures.Fleet
	if f == nil {
		return nil
	}
	anchors := map[string]string{}
	for _, s := range slices.Backward(p.Services) {
		anchors[s.Name] = s.Anchor // the first service of a name wins
	}
	for _, l := range FleetPlacement(doc).LeftOut {
		p.LeftOut = append(p.LeftOut, fleetLeftOut{FleetLeftOut: l, Anchor: anchors[l.Name]})
	}
	return f
}

func renderFleetHTML(w io.Writer, doc *fleet.Document, opts Options) error {
	p := newFleetView(doc)
	if f := p.plot(doc, opts); f != nil {
		svg, err := InlineSVG(*f)
		if err != nil {
			return err
		}
		p.Figure = &fleetFigure{Title: f.Title, SVG: svg}
	}
	return WriteHTML(w, fleetPage, p)
}

// fleetPage is one self-contained file in the single-process report's
// style (PageCSS): no scripts, nothing fetched, every input string
// escaped by html/template.
var fleetPage = template.Must(template.New("fleet").Parse(`<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>{{.Title}}</title>
<style>` + PageCSS + `</style></head><body>
<h1>{{.Title}}</h1>
<p>{{.Intro}}</p>
<table><tr>{{range .Columns}}<th>{{.}}</th>{{end}}</tr>
{{range .Rows}}{{$row := .}}<tr{{if .Thin}} class="dim"{{end}}>{{range $i, $c := .Cells}}<td>{{if eq $i 1}}<a href="#{{$row.Anchor}}">{{$c}}</a>{{else}}{{$c}}{{end}}</td>{{end}}</tr>
{{end}}</table>
{{if .Plotted}}<h2>Plot</h2>
{{with .Figure}}<figure aria-label="{{.Title}}">{{.SVG}}{{with $.LeftOut}}
<figcaption class="dim">Not on the plot: {{range $i, $l := .}}{{if $i}}; {{end}}<a href="#{{$l.Anchor}}">{{$l.Name}}</a> ({{$l.Why}}){{end}}.</figcaption>{{end}}</figure>
{{else}}<p class="dim">No service has the numbers to be placed on the plot.</p>{{end}}{{end}}
<h2>{{.WhyTitle}}</h2>
{{range .Services}}<section id="{{.Anchor}}" class="verdict"><h3>{{.Name}}</h3>
<p><strong>Verdict: <code>{{.VerdictID}}</code></strong>{{with .Summary}} — {{.}}{{end}}{{with .Confidence}} <span class="dim">(confidence {{.}})</span>{{end}}</p>
{{with .Captures}}<p class="dim">captures: {{.}}</p>{{end}}
<ul>{{range .Reasons}}<li>{{.}}</li>{{end}}{{range .Knowable}}<li class="dim">{{.}}</li>{{end}}</ul></section>
{{end}}
{{if .Notes}}<h2>Notes</h2><ul>{{range .Notes}}<li>{{.}}</li>{{end}}</ul>{{end}}
</body></html>
`))

// fleetPlotFileName is the Markdown report's plot, in its files folder.
const fleetPlotFileName = "fleet.png"

func renderFleetMarkdown(w io.Writer, doc *fleet.Document, opts Options) error {
	md := MarkdownText
	p := newFleetView(doc)
	var b strings.Builder
	fmt.Fprintf(&b, "# %s\n\n%s\n\n", p.Title, md(p.Intro))
	fmt.Fprintf(&b, "| %s |\n|%s\n", strings.Join(p.Columns, " | "), strings.Repeat("---|", len(p.Columns)))
	for _, r := range p.Rows {
		cells := make([]string, len(r.Cells))
		for i, c := range r.Cells {
			cells[i] = md(c)
		}
		fmt.Fprintf(&b, "| %s |\n", strings.Join(cells, " | "))
	}
	if err := writeFleetMarkdownPlot(&b, p, doc, opts); err != nil {
		return err
	}
	fmt.Fprintf(&b, "\n## %s\n\n", p.WhyTitle)
	for _, s := range p.Services {
		fmt.Fprintf(&b, "- **%s**: %s\n", md(s.Name), md(s.Summary()))
		for _, r := range slices.Concat(s.Reasons, s.Knowable) {
			fmt.Fprintf(&b, "  - %s\n", md(r))
		}
	}
	if len(p.Notes) > 0 {
		b.WriteString("\n## Notes\n\n")
		for _, n := range p.Notes {
			fmt.Fprintf(&b, "- %s\n", md(n))
		}
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// writeFleetMarkdownPlot writes the plot as a PNG through opts.Files and links
// it, as the single-process Markdown report does its figures; without
// Files it says how to get it.
func writeFleetMarkdownPlot(b *strings.Builder, p *fleetView, doc *fleet.Document, opts Options) error {
	if opts.Figures == nil {
		return nil
	}
	b.WriteString("\n## Plot\n\n")
	if opts.Files == nil {
		b.WriteString("_The plot is written beside the report when it goes to a folder or file (`-o DIR`)._\n")
		return nil
	}
	f := p.plot(doc, opts)
	if f == nil {
		b.WriteString("No service has the numbers to be placed on the plot.\n")
		return nil
	}
	link := path.Join(opts.Files.Dir, fleetPlotFileName)
	if err := WriteFile(opts.Files, link, func(w io.Writer) error { return f.Render(w, "png") }); err != nil {
		return err
	}
	fmt.Fprintf(b, "![%s](%s)\n", MarkdownText(f.Title), link)
	if len(p.LeftOut) > 0 {
		var parts []string
		for _, l := range p.LeftOut {
			parts = append(parts, fmt.Sprintf("%s (%s)", MarkdownText(l.Name), MarkdownText(l.Why)))
		}
		fmt.Fprintf(b, "\nNot on the plot: %s.\n", strings.Join(parts, "; "))
	}
	return nil
}
