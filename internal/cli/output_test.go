package cli

import (
	"encoding/json"
	"fmt"
	"image"
	_ "image/png"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
)

// TestAnalyzeMarkdownFiles checks both shapes of -o for --format
// markdown: a folder gets report.md with the plots beside it, FILE.md gets
// its plots in FILE_files/; every link names a PNG that was written.
func TestAnalyzeMarkdownFiles(t *testing.T) {
	tmp := t.TempDir()
	for _, tc := range []struct{ out, report, prefix string }{
		{filepath.Join(tmp, "dir"), filepath.Join(tmp, "dir", "report.md"), ""},
		{filepath.Join(tmp, "gc.md"), filepath.Join(tmp, "gc.md"), "gc_files/"},
	} {
		code, _, errs := run(t, "analyze", "--format", "markdown", "--mem-budget", "1GiB", "-o", tc.out, example)
		if code != exitOK {
			t.Fatalf("-o %s: exit %d: %s", tc.out, code, errs)
		}
		text, err := os.ReadFile(tc.report)
		if err != nil {
			t.Fatal(err)
		}
		links := regexp.MustCompile(`!\[[^\]]*\]\(([^)]+)\)`).FindAllStringSubmatch(string(text), -1)
		if len(links) < 5 {
			t.Fatalf("-o %s: %d plots linked", tc.out, len(links))
		}
		for _, l := range links {
			if !strings.HasPrefix(l[1], tc.prefix) {
				t.Errorf("-o %s: link %s not under %q", tc.out, l[1], tc.prefix)
			}
			f, err := os.Open(filepath.Join(filepath.Dir(tc.report), filepath.FromSlash(l[1])))
			if err != nil {
				t.Errorf("-o %s: %v", tc.out, err)
				continue
			}
			if _, format, err := image.Decode(f); err != nil || format != "png" {
				t.Errorf("%s: %v (%s)", l[1], err, format)
			}
			f.Close()
		}
	}
}

// TestAnalyzeHTMLHasPlots checks the HTML report written by the command
// carries its plots inline.
func TestAnalyzeHTMLHasPlots(t *testing.T) {
	code, out, errs := run(t, "analyze", "--format", "html", example)
	if code != exitOK {
		t.Fatalf("exit %d: %s", code, errs)
	}
	if n := strings.Count(out, "<svg"); n < 5 {
		t.Errorf("%d inline plots", n)
	}
}

// TestAnalyzeTextHeadlineAndHint checks the terminal report opens with
// the verdict in one line and ends with the command for the HTML report,
// and carries no colour when standard output is not a terminal.
func TestAnalyzeTextHeadlineAndHint(t *testing.T) {
	code, out, errs := run(t, "analyze", example)
	if code != exitOK {
		t.Fatalf("exit %d: %s", code, errs)
	}
	lines := strings.Split(strings.TrimSpace(out), "\n")
	verdicts := []string{"gc-not-the-cause", "tune", "reduce-allocation", "fix-stw-delay", "migration-candidate"}
	first := strings.SplitN(lines[0], " — ", 2)
	if len(first) != 2 || !slices.Contains(verdicts, first[0]) {
		t.Errorf("first line %q is not a verdict", lines[0])
	}
	if want := "Plots and the full report: gcwatch analyze --format html -o report.html " + example; lines[len(lines)-1] != want {
		t.Errorf("last line %q, want %q", lines[len(lines)-1], want)
	}
	if strings.Contains(out, "\x1b[") {
		t.Errorf("colour codes in a report to a file or pipe")
	}
	if code, out, _ = run(t, "analyze", "--color", "always", example); code != exitOK || !strings.Contains(out, "\x1b[1m") {
		t.Errorf("--color always gives no colour")
	}
	if got := shellQuote("it's a dir"); got != `'it'\''s a dir'` {
		t.Errorf("shellQuote = %s", got)
	}
}

// TestReportsNameTheEvidence checks that Markdown and HTML carry what the
// verdict rests on, as the JSON report does: every slow stop of the world
// of a fix-stw-delay verdict, and the top allocation sites of a profile
// with the call they allocate through.
func TestReportsNameTheEvidence(t *testing.T) {
	stwdelay := filepath.Join(filepath.Dir(example), "stwdelay")
	code, out, errs := run(t, "analyze", "--format", "json", stwdelay)
	if code != exitOK {
		t.Fatalf("exit %d: %s", code, errs)
	}
	var doc struct {
		Processes []struct {
			Verdict struct {
				ID        string `json:"id"`
				STWDelays []struct {
					Cycle int    `json:"cycle"`
					Phase string `json:"phase"`
				} `json:"stw_delays"`
			} `json:"verdict"`
		} `json:"processes"`
	}
	if err := json.Unmarshal([]byte(out), &doc); err != nil {
		t.Fatal(err)
	}
	if len(doc.Processes) != 1 || doc.Processes[0].Verdict.ID != "fix-stw-delay" || len(doc.Processes[0].Verdict.STWDelays) == 0 {
		t.Fatalf("stwdelay: %+v", doc.Processes)
	}
	_, mdOut, _ := run(t, "analyze", "--format", "markdown", stwdelay)
	_, htmlOut, _ := run(t, "analyze", "--format", "html", stwdelay)
	for _, d := range doc.Processes[0].Verdict.STWDelays {
		if row := fmt.Sprintf("| gc %d %s |", d.Cycle, d.Phase); !strings.Contains(mdOut, row) {
			t.Errorf("Markdown lacks the slow stop %q", row)
		}
		if cell := fmt.Sprintf("<td>gc %d %s</td>", d.Cycle, d.Phase); !strings.Contains(htmlOut, cell) {
			t.Errorf("HTML lacks the slow stop %q", cell)
		}
	}

	// allocheavy's profile: price.func2 allocates directly and through
	// fmt.Sprintf at the same line; both show, the second with its call.
	_, mdOut, _ = run(t, "analyze", "--format", "markdown", example)
	_, htmlOut, _ = run(t, "analyze", "--format", "html", example)
	_, textOut, _ := run(t, "analyze", example)
	for name, out := range map[string]string{"markdown": mdOut, "html": htmlOut, "text": textOut} {
		if !strings.Contains(out, "Top allocation sites") || !strings.Contains(out, "fmt.Sprintf") {
			t.Errorf("%s report lacks the allocation sites or their calls", name)
		}
	}
}
