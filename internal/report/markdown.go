package report

import (
	"fmt"
	"io"
	"path"
	"strings"

	"github.com/gcwatch/gcwatch/internal/model"
	"github.com/gcwatch/gcwatch/internal/units"
)

// renderMarkdown writes the report for a pull request or a ticket.
func renderMarkdown(w io.Writer, doc *Document, opts Options) error {
	var b strings.Builder
	b.WriteString("# gcwatch report\n")
	for i := range doc.Processes {
		p := &doc.Processes[i]
		fmt.Fprintf(&b, "\n## %s\n\n%s\n", md(inputsLine(p.Source)), md(kindsLine(p.Source)))
		if p.Source.Matching != "" {
			fmt.Fprintf(&b, "\n%s\n", md(p.Source.Matching))
		}
		if v := p.Verdict; v != nil {
			fmt.Fprintf(&b, "\n**Verdict: `%s`** — %s (confidence %s)\n\n", v.ID, md(v.Summary), v.Confidence)
			for _, a := range v.Actions {
				fmt.Fprintf(&b, "- %s\n", md(a))
			}
			writeMarkdownOptions(&b, v)
			if len(v.STWDelays) > 0 {
				b.WriteString("\n| pause | at | duration | time to stop | last goroutine to stop |\n|---|---|---|---|---|\n")
				for _, d := range v.STWDelays {
					fmt.Fprintf(&b, "| gc %d %s | %s | %s | %s | %s |\n", d.Cycle, md(d.Phase), units.Ms(d.StartMs), units.Ms(d.DurationMs), units.Ms(d.TimeToStopMs), lastToStop(d.LastToStop))
				}
			}
			if m := v.Migration; m != nil {
				fmt.Fprintf(&b, "\nWithout the GC: %s.\n", md(m.Comparison))
			}
			decided, others := splitEvidence(v)
			if len(decided) > 0 {
				fmt.Fprintf(&b, "\nWhy `%s`, the rule that decided:\n\n| evidence | value | needs | holds |\n|---|---|---|---|\n", v.ID)
				for _, e := range decided {
					fmt.Fprintf(&b, "| %s | %s | %s | %s |\n", md(e.Metric), measured(e), test(e), yesNo(e.Holds))
				}
			}
			if len(others) > 0 {
				b.WriteString("\nOther rules tried, which did not decide:\n\n| rule | evidence | measured | needs | holds |\n|---|---|---|---|---|\n")
				for _, r := range others {
					for _, e := range r.Rows {
						fmt.Fprintf(&b, "| `%s` | %s | %s | %s | %s |\n", r.Rule, md(e.Metric), measured(e), test(e), yesNo(e.Holds))
					}
				}
			}
			for _, c := range v.Caveats {
				fmt.Fprintf(&b, "\n> caveat: %s\n", md(c))
			}
		}
		g := p.GC
		b.WriteString("\n| metric | value |\n|---|---|\n")
		fmt.Fprintf(&b, "| GC cycles | %d (%d forced), %.1f per second |\n", g.Cycles, g.ForcedCycles, g.PerSecond)
		fmt.Fprintf(&b, "| GC pauses (STW) | %d, total %s, p50 %s, p99 %s, p99.9 %s, max %s |\n",
			g.STWCount, units.Ms(g.STWTotalMs), units.Ms(g.STWP50Ms), units.Ms(g.STWP99Ms), units.Ms(g.STWP999Ms), units.Ms(g.STWMaxMs))
		if g.CPUSource != "" {
			fmt.Fprintf(&b, "| GC CPU | %s (STW %s, assist %s, background %s; idle %s not counted; from %s) |\n",
				fmtPct(g.CPUFraction), fmtPct(g.CPU.STW), fmtPct(g.CPU.Assist), fmtPct(g.CPU.Background), fmtPct(g.CPU.Idle), g.CPUSource)
		}
		if g.MarkAssistMs != nil {
			fmt.Fprintf(&b, "| Mark assists | %s |\n", units.Ms(*g.MarkAssistMs))
		}
		if g.AllocRate != nil {
			fmt.Fprintf(&b, "| Allocation rate | %s |\n", units.BytesPerSecond(*g.AllocRate))
		}
		fmt.Fprintf(&b, "| Non-GC STW | %s |\n", md(stwLine(p.NonGCSTW)))
		l := p.Latency
		if l.Source != "none" {
			fmt.Fprintf(&b, "| Requests (%s) | %d, p50 %s, p90 %s, p99 %s, p99.9 %s, max %s |\n",
				l.Source, l.Requests, units.Ms(l.P50Ms), units.Ms(l.P90Ms), units.Ms(l.P99Ms), units.Ms(l.P999Ms), units.Ms(l.MaxMs))
		}
		if a := p.Attribution; a != nil {
			bd := a.Breakdown
			fmt.Fprintf(&b, "\n### How much of the tail is GC\n\nThe slowest 1%% (%d of %d requests): **%s** of their time is GC-attributable; %s of them overlapped a GC pause. p99 %s, without GC time %s.\n\n",
				a.TailRequests, a.Requests, fmtPct(a.GCShareOfTail), fmtPct(a.STWOverlapFraction), units.Ms(a.P99Ms), units.Ms(a.P99WithoutGCMs))
			fmt.Fprintf(&b, "| STW | assist | waiting for Ps held by GC | sweep | non-GC STW | rest |\n|---|---|---|---|---|---|\n| %s | %s | %s | %s | %s | %s |\n",
				units.Ms(bd.SweepTermination+bd.MarkTermination), units.Ms(bd.Assist), units.Ms(bd.RunnableGC), units.Ms(bd.Sweep), units.Ms(bd.NonGCSTW), units.Ms(bd.Other))
			if len(a.Worst) > 0 {
				traces := anyTrace(a.Worst)
				b.WriteString("\n| latency | GC | request | cycles | phases |")
				if traces {
					b.WriteString(" trace / span |")
				}
				b.WriteString("\n|---|---|---|---|---|")
				if traces {
					b.WriteString("---|")
				}
				b.WriteString("\n")
				for _, w := range a.Worst {
					fmt.Fprintf(&b, "| %s | %s | %s #%d | %v | %s |", units.Ms(w.LatencyMs), units.Ms(w.Breakdown.GC), md(w.Type), w.ID, w.Cycles, md(strings.Join(w.Phases, ", ")))
					if traces {
						fmt.Fprintf(&b, " %s |", md(traceSpan(w)))
					}
					b.WriteString("\n")
				}
			}
			if len(a.Spikes) > 0 {
				b.WriteString("\n### Spikes\n\n| window | requests | p99 | max | GC share | cycles |\n|---|---|---|---|---|---|\n")
				for _, sp := range a.Spikes {
					fmt.Fprintf(&b, "| %s – %s | %d | %s | %s | %s | %v |\n", units.Ms(sp.StartMs), units.Ms(sp.EndMs), sp.Requests, units.Ms(sp.P99Ms), units.Ms(sp.MaxMs), fmtPct(sp.GCShare), sp.Cycles)
				}
			}
		}
		if al := p.Allocations; al != nil && len(al.Sites) > 0 {
			fmt.Fprintf(&b, "\n### Top allocation sites\n\n%s, %s in all%s.\n\n| share | bytes | objects | site | through | called from |\n|---|---|---|---|---|---|\n",
				md(al.SampleType), units.Bytes(al.TotalBytes), md(allocCovers(al)))
			for _, s := range topSites(al.Sites) {
				fmt.Fprintf(&b, "| %s | %s | %d | %s (%s:%d) | %s | %s |\n", fmtPct(s.Share), units.Bytes(s.Bytes), s.Objects,
					md(s.Function), md(s.File), s.Line, md(s.Via), md(strings.Join(s.Callers, " ← ")))
			}
		}
		if err := writeMarkdownFigures(&b, i, len(doc.Processes), opts); err != nil {
			return err
		}
		if len(g.MMU) > 0 {
			b.WriteString("\n### Minimum mutator utilisation\n\n| window | MMU | STW only | assist only | background only | sweep only |\n|---|---|---|---|---|---|\n")
			for _, m := range mmuPicks(g.MMU) {
				fmt.Fprintf(&b, "| %s | %.3f | %.3f | %.3f | %.3f | %.3f |\n", units.Window(m.WindowMs), m.MMU,
					m.BySource.STW, m.BySource.Assist, m.BySource.Background, m.BySource.Sweep)
			}
		}
		if len(p.WorstPauses) > 0 {
			b.WriteString("\n### Worst pauses\n\n| duration | at | cycle | time to stop | phase / reason |\n|---|---|---|---|---|\n")
			for _, wp := range p.WorstPauses {
				tts := "-"
				if wp.TimeToStopMs != nil {
					tts = units.Ms(*wp.TimeToStopMs)
				}
				fmt.Fprintf(&b, "| %s | %s | %d | %s | %s |\n", units.Ms(wp.DurationMs), units.Ms(wp.StartMs), wp.Cycle, tts, md(pauseLabel(wp)))
			}
		}
		writeMarkdownCycles(&b, p.Cycles)
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

// maxReportSites is how many allocation sites the Markdown and HTML
// reports list (the JSON report has them all).
const maxReportSites = 10

func topSites(sites []model.AllocSite) []model.AllocSite {
	return sites[:min(len(sites), maxReportSites)]
}

// lastToStop names the goroutine the world waited for, when known.
func lastToStop(g uint64) string {
	if g == 0 {
		return "-"
	}
	return fmt.Sprintf("goroutine %d", g)
}

// writeMarkdownFigures writes the process's figures as PNG files through
// opts.Files and links them; without Files it says how to get them.
func writeMarkdownFigures(b *strings.Builder, i, n int, opts Options) error {
	if opts.Figures == nil {
		return nil
	}
	if opts.Files == nil {
		b.WriteString("\n_Plots are written beside the report when it goes to a folder or file (`-o DIR`)._\n")
		return nil
	}
	figs := opts.Figures.process(i)
	if len(figs) == 0 {
		return nil
	}
	b.WriteString("\n### Plots\n\n")
	for _, f := range figs {
		name := f.Name + ".png"
		if n > 1 {
			name = fmt.Sprintf("p%d-%s", i+1, name)
		}
		link := path.Join(opts.Files.Dir, name)
		if err := WriteFile(opts.Files, link, func(w io.Writer) error { return f.Render(w, "png") }); err != nil {
			return err
		}
		fmt.Fprintf(b, "![%s](%s)\n\n", md(f.Title), link)
	}
	return nil
}

// WriteFile writes one file beside a report through files: name is its
// link, relative to the report's folder.
func WriteFile(files *Files, name string, write func(io.Writer) error) error {
	w, err := files.Open(name)
	if err != nil {
		return err
	}
	if err := write(w); err != nil {
		w.Close()
		return fmt.Errorf("writing %s: %w", name, err)
	}
	if err := w.Close(); err != nil {
		return fmt.Errorf("writing %s: %w", name, err)
	}
	return nil
}

// writeMarkdownCycles writes the per-cycle table, folded: a long run has
// thousands of cycles, too many to scroll past in a pull request.
func writeMarkdownCycles(b *strings.Builder, cycles []Cycle) {
	if len(cycles) == 0 {
		return
	}
	fmt.Fprintf(b, "\n<details><summary>Cycles (%d)</summary>\n\n", len(cycles))
	b.WriteString("| gc | at | sweep term. | mark | mark term. | assist | heap start → end → live | goal | forced |\n|---|---|---|---|---|---|---|---|---|\n")
	for _, c := range cycles {
		forced := ""
		if c.Forced {
			forced = "yes"
		}
		fmt.Fprintf(b, "| %d | %s | %s | %s | %s | %s | %s → %s → %s | %s | %s |\n", c.N, units.Ms(c.StartMs),
			units.Ms(c.SweepTerminationMs), units.Ms(c.MarkMs), units.Ms(c.MarkTerminationMs), units.Ms(c.AssistMs),
			units.Bytes(c.HeapStart), units.Bytes(c.HeapEnd), units.Bytes(c.HeapLive), units.Bytes(c.HeapGoal), forced)
	}
	b.WriteString("\n</details>\n")
}
