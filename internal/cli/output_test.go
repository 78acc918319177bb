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
	"syscall"
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

// copyFile copies src to dst, making dst's folder.
func copyFile(t *testing.T, src, dst string) {
	t.Helper()
	b, err := os.ReadFile(src)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(dst, b, 0o644); err != nil {
		t.Fatal(err)
	}
}

// TestReportsNeverOverInputs: a report's plot files never replace an
// input, whatever name the input has (the hostile-input round's
// reproductions), and a refused run leaves nothing of the report behind.
func TestReportsNeverOverInputs(t *testing.T) {
	trace, err := os.ReadFile(example + "/trace.out")
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name  string
		input string // relative to the test's folder
		args  func(dir string) []string
	}{
		{"FILE.md's plot", "x/report_files/heap.png", func(d string) []string {
			return []string{"analyze", "--format", "markdown", "-o", d + "/x/report.md", d + "/x/report_files/heap.png"}
		}},
		{"DIR's plot", "d/mmu.png", func(d string) []string {
			return []string{"analyze", "--format", "markdown", "-o", d + "/d", d + "/d/mmu.png"}
		}},
		{"a plot inside an input folder", "c/report_files/heap.png", func(d string) []string {
			return []string{"analyze", "--format", "markdown", "-o", d + "/c/report.md", d + "/c"}
		}},
		{"the fleet plot", "r_files/fleet.png", func(d string) []string {
			return []string{"report", "--mem-budget", "1GiB", "--format", "markdown", "-o", d + "/r.md", d + "/r_files"}
		}},
		{"-o an input that is missing", "", func(d string) []string {
			return []string{"analyze", "-o", d + "/nothing", d + "/nothing"}
		}},
		{"-o under another name", "t/trace.out", func(d string) []string {
			return []string{"analyze", "-o", d + "/t/../t/./trace.out", d + "/t/trace.out"}
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			in := filepath.Join(dir, tc.input)
			if tc.input != "" {
				copyFile(t, example+"/trace.out", in)
			}
			if tc.name == "a plot inside an input folder" || tc.name == "the fleet plot" {
				// the folder also holds a real capture, so that it is analysed
				copyFile(t, example+"/gctrace.log", filepath.Join(filepath.Dir(in), "gctrace.log"))
				copyFile(t, example+"/trace.out", filepath.Join(filepath.Dir(in), "trace.out"))
			}
			before := listTree(t, dir)
			code, _, errs := run(t, tc.args(dir)...)
			if code == exitOK {
				t.Errorf("exit 0; stderr %s", errs)
			}
			if strings.Count(strings.TrimSpace(errs), "\n") > 0 || !strings.Contains(errs, "not overwritten") {
				t.Errorf("stderr %q: want one line saying the input was not overwritten", errs)
			}
			if got, _ := os.ReadFile(in); tc.input != "" && !slices.Equal(got, trace) {
				t.Errorf("the input %s was changed", tc.input)
			}
			if after := listTree(t, dir); !slices.Equal(before, after) {
				t.Errorf("files before %v, after %v", before, after)
			}
		})
	}
}

// TestReportNeverOverSpecialFile: -o a named pipe is refused with one line
// before anything is analysed, and the pipe stays a pipe.
func TestReportNeverOverSpecialFile(t *testing.T) {
	fifo := filepath.Join(t.TempDir(), "fifo")
	if err := syscall.Mkfifo(fifo, 0o644); err != nil {
		t.Skip("no named pipes here:", err)
	}
	for _, args := range [][]string{
		{"analyze", "-o", fifo, example},
		{"analyze", "--pprof-out", fifo, example},
		{"report", "-o", fifo, example},
	} {
		code, _, errs := run(t, args...)
		if code != exitError || !strings.Contains(errs, "is a named pipe, not a regular file") || strings.Count(strings.TrimSpace(errs), "\n") > 0 {
			t.Errorf("%v: exit %d, stderr %q", args, code, errs)
		}
		if st, err := os.Lstat(fifo); err != nil || st.Mode()&os.ModeNamedPipe == 0 {
			t.Errorf("%v: the pipe is now %v (%v)", args, st.Mode(), err)
		}
	}
}

// listTree lists every file and folder below dir with its size.
func listTree(t *testing.T, dir string) []string {
	t.Helper()
	var out []string
	filepath.Walk(dir, func(p string, info os.FileInfo, err error) error {
		if err == nil {
			out = append(out, fmt.Sprintf("%s %d %v", strings.TrimPrefix(p, dir), info.Size(), info.IsDir()))
		}
		return nil
	})
	return out
}

// TestCompareNeverOverInputs: compare's -o may replace neither side's
// input; it is refused before anything is analysed, the input intact.
func TestCompareNeverOverInputs(t *testing.T) {
	dir := t.TempDir()
	for _, side := range []string{"before", "after"} {
		copyFile(t, example+"/trace.out", filepath.Join(dir, side, "trace.out"))
		copyFile(t, example+"/gctrace.log", filepath.Join(dir, side, "gctrace.log"))
	}
	for _, target := range []string{"before/gctrace.log", "after/gctrace.log"} {
		in := filepath.Join(dir, target)
		before, _ := os.ReadFile(in)
		code, _, errs := run(t, "compare", "-o", in, filepath.Join(dir, "before"), filepath.Join(dir, "after"))
		if code == exitOK || !strings.Contains(errs, "not overwritten") || strings.Count(strings.TrimSpace(errs), "\n") > 0 {
			t.Errorf("-o %s: exit %d, stderr %q", target, code, errs)
		}
		if after, _ := os.ReadFile(in); !slices.Equal(before, after) {
			t.Errorf("-o %s: the input changed", target)
		}
	}
}
