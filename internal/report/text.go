package report

import (
	"fmt"
	"io"
	"math"
	"strings"
	"text/tabwriter"

	"github.com/gcwatch/gcwatch/internal/advice"
	"github.com/gcwatch/gcwatch/internal/model"
	"github.com/gcwatch/gcwatch/internal/units"
)

const (
	bold  = "\x1b[1m"
	dim   = "\x1b[2m"
	red   = "\x1b[31m"
	green = "\x1b[32m"
	reset = "\x1b[0m"
)

// renderText writes the terminal report: headline numbers first, then the
// worst pauses with their cycle and phase.
func renderText(w io.Writer, doc *Document, opts Options) error {
	style := func(code, s string) string {
		if !opts.Color {
			return s
		}
		return code + s + reset
	}
	var b strings.Builder
	writeTextHeadline(&b, doc, style)
	for i, p := range doc.Processes {
		if i > 0 {
			b.WriteString("\n")
		}
		fmt.Fprintf(&b, "%s\n", style(bold, TerminalText(inputsLine(p.Source))))
		fmt.Fprintf(&b, "%s\n", style(dim, TerminalText(kindsLine(p.Source))))
		if p.Source.Matching != "" {
			fmt.Fprintf(&b, "%s\n", style(dim, TerminalText(p.Source.Matching)))
		}
		if v := p.Verdict; v != nil {
			writeTextVerdict(&b, v, style)
		}
		b.WriteString("\n")
		tw := tabwriter.NewWriter(&b, 0, 4, 2, ' ', 0)
		g := p.GC
		fmt.Fprintf(tw, "  GC cycles\t%d", g.Cycles)
		if g.ForcedCycles > 0 {
			fmt.Fprintf(tw, " (%d forced)", g.ForcedCycles)
		}
		fmt.Fprintf(tw, ", %.1f per second\n", g.PerSecond)
		fmt.Fprintf(tw, "  GC pauses (STW)\t%d, total %s, p50 %s, p99 %s, max %s\n",
			g.STWCount, units.Ms(g.STWTotalMs), units.Ms(g.STWP50Ms), units.Ms(g.STWP99Ms), style(maxColor(g.STWMaxMs), units.Ms(g.STWMaxMs)))
		if g.CPUSource != "" {
			fmt.Fprintf(tw, "  GC CPU\t%s of GOMAXPROCS × wall (STW %s, assist %s, background %s; idle workers %s not counted) [%s]\n",
				style(bold, fmtPct(g.CPUFraction)), fmtPct(g.CPU.STW), fmtPct(g.CPU.Assist), fmtPct(g.CPU.Background), fmtPct(g.CPU.Idle), g.CPUSource)
		}
		if g.MarkAssistMs != nil {
			fmt.Fprintf(tw, "  Mark assists\t%s executing\n", units.Ms(*g.MarkAssistMs))
		}
		if g.AllocRate != nil {
			fmt.Fprintf(tw, "  Allocation\t%s", units.BytesPerSecond(*g.AllocRate))
		} else {
			fmt.Fprintf(tw, "  Allocation\tunknown")
		}
		if last, ok := lastLive(g.LiveHeap); ok {
			fmt.Fprintf(tw, ", live heap %s, goal %s (at %s)", units.Bytes(last.Bytes), units.Bytes(last.Goal), units.Ms(last.TMs))
		}
		fmt.Fprintln(tw)
		fmt.Fprintf(tw, "  Non-GC STW\t%s\n", TerminalText(stwLine(p.NonGCSTW)))
		l := p.Latency
		if l.Source != "none" {
			fmt.Fprintf(tw, "  Requests (%s)\t%d, p50 %s, p90 %s, p99 %s, p99.9 %s, max %s\n",
				l.Source, l.Requests, units.Ms(l.P50Ms), units.Ms(l.P90Ms), units.Ms(l.P99Ms), units.Ms(l.P999Ms), units.Ms(l.MaxMs))
		} else if l.Note != "" {
			fmt.Fprintf(tw, "  Requests\tnone: %s\n", TerminalText(l.Note))
		} else {
			fmt.Fprintf(tw, "  Requests\tnone in the inputs (add runtime/trace tasks to see request latency)\n")
		}
		if len(g.MMU) > 0 {
			var parts []string
			for _, m := range mmuPicks(g.MMU) {
				parts = append(parts, fmt.Sprintf("%s %.2f", units.Window(m.WindowMs), m.MMU))
			}
			label := "  MMU"
			if g.MMUSynthesized {
				label += " (from gctrace, coarse)"
			}
			fmt.Fprintf(tw, "%s\t%s\n", label, strings.Join(parts, "  "))
		}
		tw.Flush()

		if a := p.Attribution; a != nil {
			writeTextAttribution(&b, a, style)
		}
		if al := p.Allocations; al != nil && len(al.Sites) > 0 {
			fmt.Fprintf(&b, "\n%s\n", style(bold, fmt.Sprintf("Top allocation sites (%s, %s in all)", TerminalText(al.SampleType), units.Bytes(al.TotalBytes)))+allocCovers(al))
			for i, s := range al.Sites {
				if i == 5 {
					break
				}
				fmt.Fprintf(&b, "  %5s  %-10s  %s\n", fmtPct(s.Share), units.Bytes(s.Bytes), siteLine(s))
			}
		}
		if len(p.WorstPauses) > 0 {
			fmt.Fprintf(&b, "\n%s\n", style(bold, "Worst pauses"))
			tw = tabwriter.NewWriter(&b, 0, 4, 2, ' ', tabwriter.AlignRight)
			fmt.Fprintf(tw, "  duration\tat\tcycle\ttime to stop\t  phase / reason\t\n")
			for _, w := range p.WorstPauses {
				cycle, tts := "-", "-"
				if w.Cycle > 0 {
					cycle = fmt.Sprintf("gc %d", w.Cycle)
				}
				if w.TimeToStopMs != nil {
					tts = units.Ms(*w.TimeToStopMs)
				}
				fmt.Fprintf(tw, "  %s\t%s\t%s\t%s\t  %s\t\n", units.Ms(w.DurationMs), units.Ms(w.StartMs), cycle, tts, TerminalText(pauseLabel(w)))
			}
			tw.Flush()
		}
		if len(p.Warnings) > 0 {
			fmt.Fprintf(&b, "\n%s\n", style(bold, "Warnings"))
			for _, warn := range p.Warnings {
				fmt.Fprintf(&b, "  - %s\n", TerminalText(warn))
			}
		}
	}
	if len(doc.Notes) > 0 {
		fmt.Fprintf(&b, "\n%s\n", style(bold, "Notes"))
		for _, n := range doc.Notes {
			fmt.Fprintf(&b, "  - %s\n", TerminalText(n))
		}
	}
	if opts.HTMLCommand != "" {
		fmt.Fprintf(&b, "\n%s\n", style(dim, "Plots and the full report: "+TerminalText(opts.HTMLCommand)))
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// writeTextHeadline puts each process's verdict in one line above
// everything else, so the answer is the first thing read.
func writeTextHeadline(b *strings.Builder, doc *Document, style func(code, s string) string) {
	n := 0
	for _, p := range doc.Processes {
		v := p.Verdict
		if v == nil {
			continue
		}
		id := style(bold, v.ID)
		if c := verdictColor(v.ID); c != "" {
			id = style(c, id)
		}
		line := id + " — " + TerminalText(v.Summary)
		if len(doc.Processes) > 1 {
			line += style(dim, " ("+TerminalText(inputsLine(p.Source))+")")
		}
		b.WriteString(line + "\n")
		n++
	}
	if n > 0 {
		b.WriteString("\n")
	}
}

// verdictColor is green when GC is not the problem and red when the
// advice is to move off it; the rest stay plain.
func verdictColor(id string) string {
	switch id {
	case advice.NotTheCause:
		return green
	case advice.MigrationCandidate:
		return red
	}
	return ""
}

func maxColor(v float64) string {
	if v >= 10 {
		return red
	}
	return ""
}

// pauseLabel says what a pause was: the GC phase, or the non-GC reason.
func pauseLabel(p Pause) string {
	if p.Kind == "non-gc" {
		return "non-GC: " + p.Reason
	}
	return p.Kind
}

// lastLive is the latest heap point whose live heap is known.
func lastLive(points []HeapPoint) (HeapPoint, bool) {
	for i := len(points) - 1; i >= 0; i-- {
		if points[i].Bytes >= 0 {
			return points[i], true
		}
	}
	return HeapPoint{}, false
}

// writeTextAttribution writes how much of the tail is GC, and the slowest
// requests with what they met.
func writeTextAttribution(b *strings.Builder, a *Attribution, style func(code, s string) string) {
	fmt.Fprintf(b, "\n%s\n", style(bold, "How much of the tail is GC"))
	fmt.Fprintf(b, "  slowest 1%% (%d of %d requests): %s of their time is GC; %s of them met a GC pause\n",
		a.TailRequests, a.Requests, style(bold, fmtPct(a.GCShareOfTail)), fmtPct(a.STWOverlapFraction))
	fmt.Fprintf(b, "  p99 %s, without GC time %s\n", units.Ms(a.P99Ms), units.Ms(a.P99WithoutGCMs))
	bd := a.Breakdown
	fmt.Fprintf(b, "  tail time: STW %s, assist %s, waiting for Ps held by GC %s, sweep %s; non-GC STW %s; the rest %s\n",
		units.Ms(bd.SweepTermination+bd.MarkTermination), units.Ms(bd.Assist), units.Ms(bd.RunnableGC), units.Ms(bd.Sweep), units.Ms(bd.NonGCSTW), units.Ms(bd.Other))
	fmt.Fprintf(b, "  slowest 0.1%% (%d): %s GC; p99.9 %s, without GC %s\n",
		a.P999.TailRequests, fmtPct(a.P999.GCShareOfTail), units.Ms(a.P999.P999Ms), units.Ms(a.P999.P999WithoutGCMs))
	if !a.Accounted {
		b.WriteString("  (requests from a log: only their overlap with stop-the-world pauses is known)\n")
	}
	if len(a.Worst) == 0 {
		return
	}
	traces := anyTrace(a.Worst)
	tw := tabwriter.NewWriter(b, 0, 4, 2, ' ', tabwriter.AlignRight)
	if traces {
		fmt.Fprintf(tw, "  latency\tGC\tat\t  request\t  met\t  trace / span\t\n")
	} else {
		fmt.Fprintf(tw, "  latency\tGC\tat\t  request\t  met\t\n")
	}
	for _, w := range a.Worst {
		met := TerminalText(strings.Join(w.Phases, ", "))
		if len(w.Cycles) > 0 {
			met = fmt.Sprintf("gc %v: %s", strings.Trim(fmt.Sprint(w.Cycles), "[]"), met)
		}
		if met == "" {
			met = "no GC"
		}
		fmt.Fprintf(tw, "  %s\t%s\t%s\t  %s #%d\t  %s\t", units.Ms(w.LatencyMs), units.Ms(w.Breakdown.GC), units.Ms(w.StartMs), TerminalText(w.Type), w.ID, met)
		if traces {
			fmt.Fprintf(tw, "  %s\t", traceSpan(w))
		}
		fmt.Fprintln(tw)
	}
	tw.Flush()
}

// writeTextVerdict writes the verdict in one line, then what to do and
// why.
func writeTextVerdict(b *strings.Builder, v *advice.Verdict, style func(code, s string) string) {
	fmt.Fprintf(b, "\n%s %s\n", style(bold, "Verdict: "+v.ID), "— "+TerminalText(v.Summary))
	fmt.Fprintf(b, "  confidence %s", v.Confidence)
	if !v.SufficientData {
		b.WriteString(" (not enough data: nothing is recommended)")
	}
	b.WriteString("\n")
	for _, a := range v.Actions {
		fmt.Fprintf(b, "  → %s\n", TerminalText(a))
	}
	writeTextOptions(b, v, style)
	// A gain that rounds to nothing is not shown as one.
	if m := v.Migration; m != nil && v.SufficientData && math.Abs(m.P99Change) >= 0.005 && (v.ID == advice.MigrationCandidate || v.ID == advice.ReduceAllocation) {
		fmt.Fprintf(b, "  without the GC: %s\n", TerminalText(m.Comparison))
	}
	for _, d := range v.STWDelays {
		fmt.Fprintf(b, "  gc %d %s at %s: %s, of which %s stopping the world\n", d.Cycle, TerminalText(d.Phase), units.Ms(d.StartMs), units.Ms(d.DurationMs), units.Ms(d.TimeToStopMs))
	}
	for _, s := range v.AllocSites {
		fmt.Fprintf(b, "  %5s  %s\n", fmtPct(s.Share), siteLine(s))
	}
	decided, others := splitEvidence(v)
	if len(decided) > 0 {
		b.WriteString(style(dim, "  why "+v.ID+": "+evidenceLine(decided)) + "\n")
	}
	for _, r := range others {
		b.WriteString(style(dim, "  not "+r.Rule+": "+evidenceLine(r.Rows)) + "\n")
	}
	for _, c := range v.Caveats {
		fmt.Fprintf(b, "  %s\n", style(dim, "caveat: "+TerminalText(c)))
	}
}

// evidenceLine is evidence rows as they came out, in one line: a row that
// does not hold shows the comparison that does ("gc_share_of_tail 0.305 ≥
// 0.1").
func evidenceLine(rows []advice.Evidence) string {
	var parts []string
	for _, e := range rows {
		op := e.Op
		if !e.Holds {
			op = negate[op]
		}
		parts = append(parts, fmt.Sprintf("%s %s %s %s", TerminalText(e.Metric), evidenceValue(e.Unit, e.Value), opText(op), evidenceValue(e.Unit, e.Threshold)))
	}
	return strings.Join(parts, ", ")
}

// negate turns a comparison that does not hold into one that does.
var negate = map[string]string{"<": ">=", "<=": ">", ">": "<=", ">=": "<"}

// allocCovers says what time an allocation list covers: " — allocated
// over the 5s before it was taken"; nothing when the profile does not say.
func allocCovers(al *model.AllocProfile) string {
	if al.Covers == "" {
		return ""
	}
	return " — " + TerminalText(al.Covers)
}

func fmtNum(v float64) string {
	switch {
	case v == float64(int64(v)) && (v >= 1e6 || v <= -1e6):
		return fmt.Sprintf("%.3g", v)
	case v == float64(int64(v)):
		return fmt.Sprintf("%d", int64(v))
	default:
		return fmt.Sprintf("%.3g", v)
	}
}

// siteLine names an allocation site: function, place and the call it
// came through.
func siteLine(s model.AllocSite) string {
	line := fmt.Sprintf("%s (%s:%d)", s.Function, s.File, s.Line)
	if s.Via != "" {
		line += " via " + s.Via
	}
	return TerminalText(line)
}

// traceSpan is "TRACE / SPAN" for a request from a span, else "-".
func traceSpan(w WorstRequest) string {
	if w.TraceID == "" {
		return "-"
	}
	return w.TraceID + " / " + w.SpanID
}
