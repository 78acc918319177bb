package report

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"

	"github.com/gcwatch/gcwatch/internal/units"
)

// Format is an output format.
type Format string

const (
	Text     Format = "text"
	JSON     Format = "json"
	Markdown Format = "markdown"
	HTML     Format = "html"
)

// Formats lists the formats in the order help text shows them.
var Formats = []Format{Text, JSON, Markdown, HTML}

// ParseFormat reads a --format value.
func ParseFormat(s string) (Format, error) {
	for _, f := range Formats {
		if string(f) == strings.ToLower(s) {
			return f, nil
		}
	}
	if strings.EqualFold(s, "md") {
		return Markdown, nil
	}
	return "", fmt.Errorf("unknown format %q (want text, json, markdown or html)", s)
}

// Options tune rendering. Only human formats use them; JSON never changes
// with them.
type Options struct {
	// Color enables ANSI colour in the text format (set only for terminals).
	Color bool
	// HTMLCommand, when set, is the command that writes the same report as
	// HTML; the text report ends with it as a hint.
	HTMLCommand string
	// Figures are the document's figures for the HTML and Markdown
	// reports, drawn by internal/report/plot; nil leaves the plots out.
	Figures *Figures
	// Files receives the Markdown report's figures as PNG files; nil
	// leaves them out (a report on standard output has nowhere to put
	// them).
	Files *Files
	// TraceURL links the HTML report's slowest requests that came from
	// OpenTelemetry spans to a tracing UI: a URL with {trace_id} (and
	// optionally {span_id}) in it (--trace-url).
	TraceURL string
}

// Files is where a multi-file report puts the files beside it. Open is
// injected so that the report can be written to memory in tests.
type Files struct {
	// Open creates a file; name is its path relative to the report's
	// folder, with forward slashes — the link the report uses.
	Open func(name string) (io.WriteCloser, error)
	// Dir is the folder, relative to the report's, the files go in; ""
	// puts them beside the report.
	Dir string
}

// Render writes doc in format f.
func Render(w io.Writer, doc *Document, f Format, opts Options) error {
	switch f {
	case JSON:
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		return enc.Encode(doc)
	case Text:
		return renderText(w, doc, opts)
	case Markdown:
		return renderMarkdown(w, doc, opts)
	case HTML:
		return renderHTML(w, doc, opts)
	}
	return fmt.Errorf("unknown format %q", f)
}

// fmtPct is a fraction as a percent with one decimal; sizes and durations
// are formatted by internal/units.
func fmtPct(f float64) string {
	return fmt.Sprintf("%.1f%%", f*100)
}

// inputsLine names the inputs of a process in one line.
func inputsLine(s Source) string {
	var parts []string
	for _, in := range s.Inputs {
		p := in.Path
		if in.Process > 0 {
			p += fmt.Sprintf(" (process %d)", in.Process)
		}
		parts = append(parts, p)
	}
	return strings.Join(parts, " + ")
}

// kindsLine says which kinds of input a process had.
func kindsLine(s Source) string {
	var parts []string
	for _, in := range s.Inputs {
		parts = append(parts, string(in.Kind))
	}
	desc := strings.Join(parts, " + ")
	if s.GoVersion != "" {
		desc += ", " + s.GoVersion
	}
	if s.GOMAXPROCS > 0 {
		desc += fmt.Sprintf(", GOMAXPROCS %d", s.GOMAXPROCS)
	}
	desc += ", " + units.Ms(s.WindowMs) + " observed"
	return desc
}

// mmuPicks selects a few MMU points to show people: about one per decade.
func mmuPicks(points []MMU) []MMU {
	var out []MMU
	for _, p := range points {
		w := p.WindowMs
		for _, want := range []float64{0.1, 1, 10, 100, 1000} {
			if w > want*0.999 && w < want*1.001 {
				out = append(out, p)
			}
		}
	}
	if len(out) == 0 {
		return points
	}
	return out
}

// stwLine describes the non-GC pauses in a few words.
func stwLine(s []STWByReason) string {
	if len(s) == 0 {
		return "none"
	}
	n, total := 0, 0.0
	var parts []string
	for _, r := range s {
		n += r.Count
		total += r.TotalMs
		parts = append(parts, fmt.Sprintf("%s %d", r.Reason, r.Count))
	}
	return fmt.Sprintf("%d pauses, %s total (%s)", n, units.Ms(total), strings.Join(parts, ", "))
}
