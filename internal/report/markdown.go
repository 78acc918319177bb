package report

import (
	"fmt"
	"io"
	"strings"
)

// mdEscape keeps input-derived text (file names, reasons) from being read
// as Markdown or HTML.
var mdEscape = strings.NewReplacer(
	`\`, `\\`, "|", `\|`, "*", `\*`, "_", `\_`, "`", "\\`", "[", `\[`, "]", `\]`,
	"<", "&lt;", ">", "&gt;", "&", "&amp;", "\n", " ",
)

func md(s string) string { return mdEscape.Replace(s) }

// renderMarkdown writes the report for a pull request or a ticket.
func renderMarkdown(w io.Writer, doc *Document) error {
	var b strings.Builder
	b.WriteString("# gcwatch report\n")
	for _, p := range doc.Processes {
		fmt.Fprintf(&b, "\n## %s\n\n%s\n", md(inputsLine(p.Source)), md(kindsLine(p.Source)))
		if p.Source.Matching != "" {
			fmt.Fprintf(&b, "\n%s\n", md(p.Source.Matching))
		}
		g := p.GC
		b.WriteString("\n| metric | value |\n|---|---|\n")
		fmt.Fprintf(&b, "| GC cycles | %d (%d forced), %.1f per second |\n", g.Cycles, g.ForcedCycles, g.PerSecond)
		fmt.Fprintf(&b, "| GC pauses (STW) | %d, total %s, p50 %s, p99 %s, p99.9 %s, max %s |\n",
			g.STWCount, fmtMs(g.STWTotalMs), fmtMs(g.STWP50Ms), fmtMs(g.STWP99Ms), fmtMs(g.STWP999Ms), fmtMs(g.STWMaxMs))
		if g.CPUSource != "" {
			fmt.Fprintf(&b, "| GC CPU | %s (STW %s, assist %s, background %s; idle %s not counted; from %s) |\n",
				fmtPct(g.CPUFraction), fmtPct(g.CPU.STW), fmtPct(g.CPU.Assist), fmtPct(g.CPU.Background), fmtPct(g.CPU.Idle), g.CPUSource)
		}
		if g.MarkAssistMs != nil {
			fmt.Fprintf(&b, "| Mark assists | %s |\n", fmtMs(*g.MarkAssistMs))
		}
		if g.AllocRate != nil {
			fmt.Fprintf(&b, "| Allocation rate | %s |\n", fmtRate(*g.AllocRate))
		}
		fmt.Fprintf(&b, "| Non-GC STW | %s |\n", md(stwLine(p.NonGCSTW)))
		l := p.Latency
		if l.Source != "none" {
			fmt.Fprintf(&b, "| Requests (%s) | %d, p50 %s, p90 %s, p99 %s, p99.9 %s, max %s |\n",
				l.Source, l.Requests, fmtMs(l.P50Ms), fmtMs(l.P90Ms), fmtMs(l.P99Ms), fmtMs(l.P999Ms), fmtMs(l.MaxMs))
		}
		if len(g.MMU) > 0 {
			b.WriteString("\n### Minimum mutator utilisation\n\n| window | MMU | STW only | assist only | background only | sweep only |\n|---|---|---|---|---|---|\n")
			for _, m := range mmuPicks(g.MMU) {
				fmt.Fprintf(&b, "| %s | %.3f | %.3f | %.3f | %.3f | %.3f |\n", fmtWindow(m.WindowMs), m.MMU,
					m.BySource.STW, m.BySource.Assist, m.BySource.Background, m.BySource.Sweep)
			}
		}
		if len(p.WorstPauses) > 0 {
			b.WriteString("\n### Worst pauses\n\n| duration | at | cycle | time to stop | phase / reason |\n|---|---|---|---|---|\n")
			for _, wp := range p.WorstPauses {
				tts := "-"
				if wp.TimeToStopMs != nil {
					tts = fmtMs(*wp.TimeToStopMs)
				}
				fmt.Fprintf(&b, "| %s | %s | %d | %s | %s |\n", fmtMs(wp.DurationMs), fmtMs(wp.StartMs), wp.Cycle, tts, md(pauseLabel(wp)))
			}
		}
		if len(p.Warnings) > 0 {
			b.WriteString("\n### Warnings\n\n")
			for _, warn := range p.Warnings {
				fmt.Fprintf(&b, "- %s\n", md(warn))
			}
		}
	}
	if len(doc.Notes) > 0 {
		b.WriteString("\n## Notes\n\n")
		for _, n := range doc.Notes {
			fmt.Fprintf(&b, "- %s\n", md(n))
		}
	}
	_, err := io.WriteString(w, b.String())
	return err
}
