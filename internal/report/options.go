package report

import (
	"fmt"
	"html/template"
	"strings"
	"text/tabwriter"

	"github.com/gcwatch/gcwatch/internal/advice"
	"github.com/gcwatch/gcwatch/internal/units"
	"github.com/gcwatch/gcwatch/internal/whatif"
)

// The options ladder (verdict.options) as each format shows it: one row
// per remedy, cheapest first, with its status, what to change, the
// predicted p99, GC CPU and peak memory (or "not modelled") and a note.

// optionStatus is one word or two for where an option stands.
func optionStatus(o advice.Option) string {
	switch {
	case o.Recommended:
		return "recommended"
	case !o.Applicable:
		return "not applicable"
	case o.Estimate != nil:
		return "estimate"
	case !o.Modelled:
		return "not modelled"
	case o.NotRuledOut:
		return "not ruled out"
	case o.MeetsTarget == nil:
		return "no target"
	case *o.MeetsTarget:
		return "meets target"
	}
	return "misses target"
}

// optionFigures says the option's predicted p99, GC CPU and peak memory,
// "not modelled" when there are none, and an estimate's range.
func optionFigures(o advice.Option) string {
	if e := o.Estimate; e != nil {
		return fmt.Sprintf("GC CPU %s–%s (estimate: %.0f–%.0f%% less)", fmtPct(e.GCCPUFractionLow), fmtPct(e.GCCPUFractionHigh), e.SavingLow*100, e.SavingHigh*100)
	}
	if !o.Modelled {
		return "not modelled"
	}
	var parts []string
	if o.MeetsTarget != nil && !*o.MeetsTarget && o.Settings != nil {
		// A step that misses shows the setting that came nearest.
		parts = append(parts, "nearest "+o.Settings.Setting.String())
	}
	if o.P99Ms != nil {
		parts = append(parts, "p99 "+p99Bound(o)+units.Ms(*o.P99Ms))
	}
	if o.GCCPUFraction != nil {
		parts = append(parts, "GC CPU "+fmtPct(*o.GCCPUFraction))
	}
	if o.PeakMemoryBytes != nil {
		parts = append(parts, "peak memory "+units.Bytes(*o.PeakMemoryBytes))
	} else {
		parts = append(parts, "peak memory unbounded")
	}
	return strings.Join(parts, ", ")
}

// p99Bound is "at most " or "at least " when the option's p99 is a bound
// (what the model could not predict it says), "" when it is a prediction.
func p99Bound(o advice.Option) string {
	b := whatif.BoundNone
	if o.Settings != nil {
		b = o.Settings.Predicted.P99Bound
	}
	if m := o.Migration; o.ID == advice.MigrationCandidate && m != nil && m.P99WithoutGCBasis == advice.WithoutGCOwnTime {
		b = whatif.BoundUpper
	}
	switch b {
	case whatif.BoundUpper:
		return "at most "
	case whatif.BoundLower:
		return "at least "
	}
	return ""
}

// optionsHeading says what the ladder is measured against and, when it
// recommends nothing, why.
func optionsHeading(v *advice.Verdict) string {
	h := "Options, cheapest first"
	if v.Target != "" {
		h += " (target: " + v.Target + ")"
	}
	if why := noRecommendation(v); why != "" {
		h += "; " + why
	}
	return h
}

// noRecommendation says why no option is recommended, "" when one is.
func noRecommendation(v *advice.Verdict) string {
	for _, o := range v.Options {
		if o.Recommended {
			return ""
		}
	}
	switch {
	case !v.SufficientData:
		return "not enough data: none is recommended"
	case v.ID == advice.NotTheCause:
		return "none is recommended: the GC is not what makes the tail"
	case v.ID == advice.FixSTWDelay:
		return "none is recommended: the pauses wait for goroutines to stop, which no GC remedy shortens"
	case v.Target == "":
		return "none is recommended: no target could be worked out"
	}
	for _, o := range v.Options {
		if o.Applicable && o.NotRuledOut {
			return "none is recommended: whether " + o.ID + " meets the target is not modelled, and it comes first"
		}
	}
	return "none meets the target"
}

// optionNote is what the row says beside its figures.
func optionNote(o advice.Option) string {
	return o.Note
}

// writeTextOptions writes the ladder under the verdict.
func writeTextOptions(b *strings.Builder, v *advice.Verdict, style func(code, s string) string) {
	if len(v.Options) == 0 {
		return
	}
	fmt.Fprintf(b, "  %s:\n", TerminalText(optionsHeading(v)))
	tw := tabwriter.NewWriter(b, 0, 4, 2, ' ', 0)
	for _, o := range v.Options {
		status := optionStatus(o)
		if o.Recommended {
			status = style(bold, status)
		}
		line := fmt.Sprintf("    %s\t%s\t%s: %s", o.ID, status, TerminalText(o.Change), TerminalText(optionFigures(o)))
		switch {
		case !o.Modelled && o.Estimate == nil && o.Applicable:
			line = fmt.Sprintf("    %s\t%s\t%s", o.ID, status, TerminalText(o.Change))
		case !o.Applicable:
			line = fmt.Sprintf("    %s\t%s\t%s", o.ID, status, TerminalText(o.Note))
		}
		fmt.Fprintln(tw, line)
	}
	tw.Flush()
	for _, o := range v.Options {
		if o.Applicable && o.Note != "" {
			fmt.Fprintf(b, "    %s\n", style(dim, TerminalText(o.ID+": "+o.Note)))
		}
	}
}

// writeMarkdownOptions writes the ladder as a table.
func writeMarkdownOptions(b *strings.Builder, v *advice.Verdict) {
	if len(v.Options) == 0 {
		return
	}
	fmt.Fprintf(b, "\n%s:\n\n| option | status | change | predicted | note |\n|---|---|---|---|---|\n", md(optionsHeading(v)))
	for _, o := range v.Options {
		status := optionStatus(o)
		if o.Recommended {
			status = "**" + status + "**"
		}
		fmt.Fprintf(b, "| `%s` | %s | %s | %s | %s |\n", o.ID, status, md(o.Change), md(optionFigures(o)), md(optionNote(o)))
	}
}

// optionsTemplate is the HTML report's ladder, a partial the page calls
// with the verdict.
const optionsTemplate = `{{define "options"}}{{if .Options}}<div class="options"><p>{{optionsHeading .}}:</p>
<table><tr><th>option</th><th>status</th><th>change</th><th>predicted</th><th>note</th></tr>
{{range .Options}}<tr{{if .Recommended}} class="recommended"{{end}}><td><code>{{.ID}}</code></td><td>{{if .Recommended}}<strong>{{optionStatus .}}</strong>{{else}}{{optionStatus .}}{{end}}</td><td>{{.Change}}</td><td>{{optionFigures .}}</td><td class="dim">{{.Note}}</td></tr>
{{end}}</table></div>{{end}}{{end}}`

// optionsFuncs are the template functions the ladder partial uses.
var optionsFuncs = template.FuncMap{"optionsHeading": optionsHeading, "optionStatus": optionStatus, "optionFigures": optionFigures}

// The page (html.go) calls the partial by name; it is defined here.
func init() {
	template.Must(htmlPage.Funcs(optionsFuncs).New("options").Parse(optionsTemplate))
}
