package report

import (
	"bytes"
	"fmt"
	"html/template"
	"io"
	"strings"
)

// PageCSS is the style of gcwatch's HTML pages. The fleet report
// (internal/fleet) uses it too, so that both reports look alike.
const PageCSS = `
body{font-family:system-ui,sans-serif;margin:2em;max-width:70em;color:#222}
table{border-collapse:collapse;margin:1em 0}td,th{border:1px solid #ccc;padding:.25em .6em;text-align:left}
th{background:#f3f3f3}figure{margin:1.5em 0}figure svg{max-width:100%;height:auto}.verdict{border-left:4px solid #446;padding:.2em 1em;background:#f7f7fb}.num{text-align:right;font-variant-numeric:tabular-nums}.dim{color:#666}
section.verdict{margin:1em 0}:target{outline:2px solid #446}
`

// The HTML report is one self-contained file: no scripts, no network. Every
// input-derived string goes through html/template's contextual escaping.
var htmlPage = template.Must(template.New("report").Funcs(template.FuncMap{
	"ms": fmtMs, "bytes": fmtBytes, "pct": fmtPct, "rate": fmtRate, "window": fmtWindow,
	"inputs": inputsLine, "num": fmtNum, "kinds": kindsLine, "stw": stwLine, "label": pauseLabel, "picks": mmuPicks,
	"sites": topSites, "lastToStop": lastToStop, "traceURL": TraceURL, "anyTrace": anyTrace,
}).Parse(`<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>gcwatch report</title>
<style>` + PageCSS + `</style></head><body>
<h1>gcwatch report</h1>
{{range .Procs}}<section>
<h2>{{inputs .Source}}</h2><p class="dim">{{kinds .Source}}</p>
{{with .Source.Matching}}<p class="dim">{{.}}</p>{{end}}
{{with .Verdict}}<div class="verdict"><p><strong>Verdict: <code>{{.ID}}</code></strong> — {{.Summary}} <span class="dim">(confidence {{.Confidence}})</span></p>
<ul>{{range .Actions}}<li>{{.}}</li>{{end}}</ul>
{{template "options" .}}
{{if .STWDelays}}<table><tr><th>pause</th><th>at</th><th>duration</th><th>time to stop</th><th>last goroutine to stop</th></tr>
{{range .STWDelays}}<tr><td>gc {{.Cycle}} {{.Phase}}</td><td class="num">{{ms .StartMs}}</td><td class="num">{{ms .DurationMs}}</td><td class="num">{{ms .TimeToStopMs}}</td><td>{{lastToStop .LastToStop}}</td></tr>
{{end}}</table>{{end}}
{{with .Migration}}<p>Without the GC: {{.Comparison}}.</p>{{end}}
{{if .Evidence}}<table><tr><th>evidence</th><th>value</th><th>threshold</th><th>holds</th></tr>
{{range .Evidence}}<tr><td>{{.Metric}}</td><td class="num">{{num .Value}}</td><td>{{.Op}} {{num .Threshold}}</td><td>{{.Holds}}</td></tr>
{{end}}</table>{{end}}
{{range .Caveats}}<p class="dim">caveat: {{.}}</p>{{end}}</div>{{end}}
{{with .Attribution}}<h3>How much of the tail is GC</h3>
<p>The slowest 1% ({{.TailRequests}} of {{.Requests}} requests): <strong>{{pct .GCShareOfTail}}</strong> of their time is GC-attributable; {{pct .STWOverlapFraction}} of them overlapped a GC pause. p99 {{ms .P99Ms}}, without GC time {{ms .P99WithoutGCMs}}.</p>
{{if .Worst}}{{$traces := anyTrace .Worst}}<table><tr><th>latency</th><th>GC</th><th>request</th><th>cycles</th><th>phases</th>{{if $traces}}<th>trace / span</th>{{end}}</tr>
{{range .Worst}}<tr><td class="num">{{ms .LatencyMs}}</td><td class="num">{{ms .Breakdown.GC}}</td><td>{{.Type}} #{{.ID}}</td><td>{{.Cycles}}</td><td>{{range $i, $p := .Phases}}{{if $i}}, {{end}}{{$p}}{{end}}</td>{{if $traces}}<td><code>{{with traceURL $.TraceURL .TraceID .SpanID}}<a href="{{.}}">{{end}}{{.TraceID}}{{if traceURL $.TraceURL .TraceID .SpanID}}</a>{{end}}{{if .SpanID}} / {{.SpanID}}{{end}}</code></td>{{end}}</tr>
{{end}}</table>{{end}}
{{if .Spikes}}<h3>Spikes</h3><table><tr><th>window</th><th>requests</th><th>p99</th><th>max</th><th>GC share</th><th>cycles</th></tr>
{{range .Spikes}}<tr><td>{{ms .StartMs}} – {{ms .EndMs}}</td><td class="num">{{.Requests}}</td><td class="num">{{ms .P99Ms}}</td><td class="num">{{ms .MaxMs}}</td><td class="num">{{pct .GCShare}}</td><td>{{.Cycles}}</td></tr>
{{end}}</table>{{end}}{{end}}
<table>
<tr><th>GC cycles</th><td>{{.GC.Cycles}} ({{.GC.ForcedCycles}} forced), {{printf "%.1f" .GC.PerSecond}} per second</td></tr>
<tr><th>GC pauses (STW)</th><td>{{.GC.STWCount}}, total {{ms .GC.STWTotalMs}}, p50 {{ms .GC.STWP50Ms}}, p99 {{ms .GC.STWP99Ms}}, max {{ms .GC.STWMaxMs}}</td></tr>
{{if .GC.CPUSource}}<tr><th>GC CPU</th><td>{{pct .GC.CPUFraction}} (STW {{pct .GC.CPU.STW}}, assist {{pct .GC.CPU.Assist}}, background {{pct .GC.CPU.Background}}; idle {{pct .GC.CPU.Idle}} not counted; from {{.GC.CPUSource}})</td></tr>{{end}}
{{with .GC.MarkAssistMs}}<tr><th>Mark assists</th><td>{{ms .}}</td></tr>{{end}}
{{with .GC.AllocRate}}<tr><th>Allocation rate</th><td>{{rate .}}</td></tr>{{end}}
<tr><th>Non-GC STW</th><td>{{stw .NonGCSTW}}</td></tr>
{{if ne .Latency.Source "none"}}<tr><th>Requests ({{.Latency.Source}})</th><td>{{.Latency.Requests}}, p50 {{ms .Latency.P50Ms}}, p90 {{ms .Latency.P90Ms}}, p99 {{ms .Latency.P99Ms}}, p99.9 {{ms .Latency.P999Ms}}, max {{ms .Latency.MaxMs}}</td></tr>{{end}}
</table>
{{with .Allocations}}{{if .Sites}}<h3>Top allocation sites</h3>
<p class="dim">{{.SampleType}}, {{bytes .TotalBytes}} in all.</p>
<table><tr><th>share</th><th>bytes</th><th>objects</th><th>site</th><th>through</th><th>called from</th></tr>
{{range sites .Sites}}<tr><td class="num">{{pct .Share}}</td><td class="num">{{bytes .Bytes}}</td><td class="num">{{.Objects}}</td><td>{{.Function}} ({{.File}}:{{.Line}})</td><td>{{.Via}}</td><td>{{range $i, $c := .Callers}}{{if $i}} ← {{end}}{{$c}}{{end}}</td></tr>
{{end}}</table>{{end}}{{end}}
{{if .Figures}}<h3>Plots</h3>
{{range .Figures}}<figure aria-label="{{.Title}}">{{.SVG}}</figure>
{{end}}{{end}}
{{if .GC.MMU}}<h3>Minimum mutator utilisation</h3>
<table><tr><th>window</th><th>MMU</th><th>STW only</th><th>assist only</th><th>background only</th><th>sweep only</th></tr>
{{range picks .GC.MMU}}<tr><td>{{window .WindowMs}}</td><td class="num">{{printf "%.3f" .MMU}}</td><td class="num">{{printf "%.3f" .BySource.STW}}</td><td class="num">{{printf "%.3f" .BySource.Assist}}</td><td class="num">{{printf "%.3f" .BySource.Background}}</td><td class="num">{{printf "%.3f" .BySource.Sweep}}</td></tr>
{{end}}</table>{{end}}
{{if .WorstPauses}}<h3>Worst pauses</h3>
<table><tr><th>duration</th><th>at</th><th>cycle</th><th>time to stop</th><th>phase / reason</th></tr>
{{range .WorstPauses}}<tr><td class="num">{{ms .DurationMs}}</td><td class="num">{{ms .StartMs}}</td><td class="num">{{.Cycle}}</td><td class="num">{{with .TimeToStopMs}}{{ms .}}{{else}}-{{end}}</td><td>{{label .}}</td></tr>
{{end}}</table>{{end}}
{{if .Cycles}}<h3>Cycles</h3>
<table><tr><th>gc</th><th>at</th><th>sweep term.</th><th>mark</th><th>mark term.</th><th>assist</th><th>heap start → end → live</th><th>goal</th><th>forced</th></tr>
{{range .Cycles}}<tr><td class="num">{{.N}}</td><td class="num">{{ms .StartMs}}</td><td class="num">{{ms .SweepTerminationMs}}</td><td class="num">{{ms .MarkMs}}</td><td class="num">{{ms .MarkTerminationMs}}</td><td class="num">{{ms .AssistMs}}</td><td>{{bytes .HeapStart}} → {{bytes .HeapEnd}} → {{bytes .HeapLive}}</td><td>{{bytes .HeapGoal}}</td><td>{{if .Forced}}yes{{end}}</td></tr>
{{end}}</table>{{end}}
{{if .Warnings}}<h3>Warnings</h3><ul>{{range .Warnings}}<li>{{.}}</li>{{end}}</ul>{{end}}
</section>{{end}}
{{if .Doc.Notes}}<h2>Notes</h2><ul>{{range .Doc.Notes}}<li>{{.}}</li>{{end}}</ul>{{end}}
</body></html>
`))

// htmlView is what the page template reads: the document, and each
// process with its figures drawn.
type htmlView struct {
	Doc   *Document
	Procs []htmlProcess
	// TraceURL is Options.TraceURL.
	TraceURL string
}

type htmlProcess struct {
	*Process
	Figures []htmlFigure
}

type htmlFigure struct {
	Title string
	SVG   template.HTML
}

func renderHTML(w io.Writer, doc *Document, opts Options) error {
	view := htmlView{Doc: doc, TraceURL: opts.TraceURL}
	for i := range doc.Processes {
		hp := htmlProcess{Process: &doc.Processes[i]}
		if opts.Plots != nil {
			figs, err := opts.Plots(hp.Process)
			if err != nil {
				return err
			}
			for _, f := range figs {
				svg, err := InlineSVG(f)
				if err != nil {
					return err
				}
				hp.Figures = append(hp.Figures, htmlFigure{Title: f.Title, SVG: svg})
			}
		}
		view.Procs = append(view.Procs, hp)
	}
	return WriteHTML(w, htmlPage, view)
}

// InlineSVG renders a figure as an <svg> element to put in a page. The
// SVG is trusted markup: drawn by internal/report/plot from numbers and
// its own labels (text in it is XML-escaped by the SVG writer), so it is
// not escaped again; only the XML prologue is dropped, which an HTML page
// cannot hold.
func InlineSVG(f Figure) (template.HTML, error) {
	var b bytes.Buffer
	if err := f.Render(&b, "svg"); err != nil {
		return "", fmt.Errorf("drawing the %s plot: %w", f.Name, err)
	}
	s := b.String()
	i := strings.Index(s, "<svg")
	if i < 0 {
		return "", fmt.Errorf("drawing the %s plot: no <svg> element in the output", f.Name)
	}
	return template.HTML(s[i:]), nil
}

// anyTrace reports whether any of the requests came from a span.
func anyTrace(ws []WorstRequest) bool {
	for _, w := range ws {
		if w.TraceID != "" {
			return true
		}
	}
	return false
}
