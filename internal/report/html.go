package report

import (
	"bytes"
	"fmt"
	"html/template"
	"io"
	"strings"

	"github.com/gcwatch/gcwatch/internal/advice"
	"github.com/gcwatch/gcwatch/internal/units"
)

// PageCSS is the style of gcwatch's HTML pages. The fleet report
// (internal/fleet) uses it too, so that both reports look alike.
const PageCSS = `
body{font-family:system-ui,sans-serif;margin:2em;max-width:70em;color:#222;overflow-wrap:break-word}
table{border-collapse:collapse;margin:1em 0;max-width:100%}td,th{border:1px solid #ccc;padding:.25em .6em;text-align:left;vertical-align:top}
th{background:#f3f3f3}figure{margin:1.5em 0}figure svg{max-width:100%;height:auto}.verdict{border-left:4px solid #446;padding:.2em 1em;margin:.5em 0 1em;background:#f7f7fb}.num{text-align:right;font-variant-numeric:tabular-nums;white-space:nowrap}.dim{color:#666}
.wrap{overflow-wrap:anywhere}
section.verdict{margin:1em 0}:target{outline:2px solid #446}
h2.inputs{font-size:1em;font-weight:normal;color:#666;margin:1.5em 0 .3em;overflow-wrap:anywhere}
.verdict-id{font-size:2em;font-weight:bold;margin:.3em 0 .1em;font-family:ui-monospace,monospace}
.verdict-summary{font-size:1.3em;margin:.2em 0 .4em}
.badge{font-size:.5em;vertical-align:middle;background:#b03a2e;color:#fff;padding:.15em .5em;border-radius:.3em;font-family:system-ui,sans-serif}
details.others{margin:.5em 0 1em}details.others summary{cursor:pointer;color:#444}
`

// The HTML report is one self-contained file: no scripts, no network. Every
// input-derived string goes through html/template's contextual escaping.
var htmlPage = template.Must(template.New("report").Funcs(template.FuncMap{
	"ms": units.Ms, "bytes": units.Bytes, "pct": fmtPct, "rate": units.BytesPerSecond, "window": units.Window,
	"inputs": inputsLine, "num": fmtNum, "kinds": kindsLine, "stw": stwLine, "label": pauseLabel, "picks": mmuPicks,
	"sites": topSites, "lastToStop": lastToStop, "traceURL": TraceURL, "anyTrace": anyTrace,
	"evidence": evidenceOf, "test": test, "measured": measured,
}).Parse(`<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>gcwatch report</title>
<style>` + PageCSS + `</style></head><body>
<h1>gcwatch report</h1>
{{range .Procs}}<section class="process">
<h2 class="inputs">{{inputs .Source}}</h2>
{{with .Verdict}}{{$v := .}}<div class="verdict">
<p class="verdict-id">{{.ID}}{{if not .SufficientData}} <span class="badge">not enough data</span>{{end}}</p>
<p class="verdict-summary">{{.Summary}}</p>
<p class="dim">confidence {{.Confidence}}{{if not .SufficientData}}; nothing here is a recommendation until the data is enough{{end}}</p>
{{if .Actions}}<h3>What to do</h3>
<ul>{{range .Actions}}<li>{{.}}</li>{{end}}</ul>{{end}}
{{template "options" .}}
{{if .STWDelays}}<table><tr><th>pause</th><th>at</th><th>duration</th><th>time to stop</th><th>last goroutine to stop</th></tr>
{{range .STWDelays}}<tr><td>gc {{.Cycle}} {{.Phase}}</td><td class="num">{{ms .StartMs}}</td><td class="num">{{ms .DurationMs}}</td><td class="num">{{ms .TimeToStopMs}}</td><td>{{lastToStop .LastToStop}}</td></tr>
{{end}}</table>{{end}}
{{with .Migration}}<p>Without the GC: {{.Comparison}}.</p>{{end}}
{{with evidence .}}{{if .Decided}}<h3>Why {{$v.ID}}</h3>
<p class="dim">The rule that decided the verdict: each comparison it made, with the value measured.</p>
<table class="evidence"><tr><th>evidence</th><th>value</th><th>needs</th><th>holds</th></tr>
{{range .Decided}}<tr><td class="wrap">{{.Metric}}{{with .Note}}<br><span class="dim">{{.}}</span>{{end}}</td><td class="num">{{measured .}}</td><td class="num">{{test .}}</td><td>{{if .Holds}}yes{{else}}<strong>no</strong>{{end}}</td></tr>
{{end}}</table>{{end}}
{{if .Others}}<details class="others"><summary>Other rules tried ({{len .Others}}), and why they did not decide</summary>
<p class="dim">The rules are tried in order (fix-stw-delay, gc-not-the-cause, tune, then reduce-allocation or migration-candidate); a rule decides only when all its comparisons hold.</p>
<table class="evidence"><tr><th>rule</th><th>evidence</th><th>measured</th><th>needs</th><th>holds</th></tr>
{{range .Others}}{{$rule := .Rule}}{{range .Rows}}<tr><td><code>{{$rule}}</code></td><td class="wrap">{{.Metric}}{{with .Note}}<br><span class="dim">{{.}}</span>{{end}}</td><td class="num">{{measured .}}</td><td class="num">{{test .}}</td><td>{{if .Holds}}yes{{else}}no{{end}}</td></tr>
{{end}}{{end}}</table></details>{{end}}{{end}}
{{range .Caveats}}<p class="dim">caveat: {{.}}</p>{{end}}</div>{{end}}
<p class="dim">{{kinds .Source}}</p>
{{with .Source.Matching}}<p class="dim">{{.}}</p>{{end}}
{{with .Attribution}}<h3>How much of the tail is GC</h3>
<p>The slowest 1% ({{.TailRequests}} of {{.Requests}} requests): <strong>{{pct .GCShareOfTail}}</strong> of their time is GC-attributable; {{pct .STWOverlapFraction}} of them overlapped a GC pause. p99 {{ms .P99Ms}}, without GC time {{ms .P99WithoutGCMs}}.</p>
{{if .Worst}}{{$traces := anyTrace .Worst}}<table><tr><th>latency</th><th>GC</th><th>request</th><th>cycles</th><th>phases</th>{{if $traces}}<th>trace / span</th>{{end}}</tr>
{{range .Worst}}<tr><td class="num">{{ms .LatencyMs}}</td><td class="num">{{ms .Breakdown.GC}}</td><td class="wrap">{{.Type}} #{{.ID}}</td><td>{{.Cycles}}</td><td>{{range $i, $p := .Phases}}{{if $i}}, {{end}}{{$p}}{{end}}</td>{{if $traces}}<td><code>{{with traceURL $.TraceURL .TraceID .SpanID}}<a href="{{.}}">{{end}}{{.TraceID}}{{if traceURL $.TraceURL .TraceID .SpanID}}</a>{{end}}{{if .SpanID}} / {{.SpanID}}{{end}}</code></td>{{end}}</tr>
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
<p class="dim">{{.SampleType}}, {{bytes .TotalBytes}} in all{{with .Covers}} — {{.}}{{end}}.</p>
<table><tr><th>share</th><th>bytes</th><th>objects</th><th>site</th><th>through</th><th>called from</th></tr>
{{range sites .Sites}}<tr><td class="num">{{pct .Share}}</td><td class="num">{{bytes .Bytes}}</td><td class="num">{{.Objects}}</td><td class="wrap">{{.Function}}<br><span class="dim">{{.File}}:{{.Line}}</span></td><td class="wrap">{{.Via}}</td><td class="wrap">{{range $i, $c := .Callers}}{{if $i}} ← {{end}}{{$c}}{{end}}</td></tr>
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

// evidenceView is a verdict's evidence as the page shows it: the rule
// that decided apart from the others.
type evidenceView struct {
	Decided []advice.Evidence
	Others  []ruleEvidence
}

func evidenceOf(v *advice.Verdict) evidenceView {
	d, o := splitEvidence(v)
	return evidenceView{Decided: d, Others: o}
}

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
		if opts.Figures != nil {
			for _, f := range opts.Figures.process(i) {
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
