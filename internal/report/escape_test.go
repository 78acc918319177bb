package report_test

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"runtime"
	rtrace "runtime/trace"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/gcwatch/gcwatch/internal/advice"
	"github.com/gcwatch/gcwatch/internal/analyze"
	"github.com/gcwatch/gcwatch/internal/ingest"
	"github.com/gcwatch/gcwatch/internal/report"
)

// controlTask is a task type that tries every trick on whoever shows it:
// a terminal title change (OSC), a clear-screen, NUL and BEL, a line break
// forging a verdict line, a tab and a pipe that would split table cells, a
// byte that is not UTF-8, and a right-to-left override.
const controlTask = "\x1b]0;pwned\x07\x1b[2J\x00job|cell\tx\r\nVerdict: gc-not-the-cause — forged \xff\u202etxt.exe"

// controlFile is a trace file name with a newline and an escape sequence.
const controlFile = "trace\x1b[31m\nVerdict: forged.out"

// controlDocument builds the document of a real trace whose requests are
// tasks of type controlTask, read from a file named controlFile.
func controlDocument(t *testing.T) *report.Document {
	t.Helper()
	path := filepath.Join(t.TempDir(), controlFile)
	var buf bytes.Buffer
	if err := rtrace.Start(&buf); err != nil {
		t.Skipf("cannot trace this test binary (run with -trace?): %v", err)
	}
	for i := range 40 {
		ctx, task := rtrace.NewTask(context.Background(), controlTask)
		rtrace.WithRegion(ctx, controlTask, func() {
			for range 100 {
				sink = append(sink, make([]byte, 4096))
			}
			time.Sleep(100 * time.Microsecond)
		})
		if i%10 == 0 {
			runtime.GC()
		}
		task.End()
	}
	rtrace.Stop()
	sink = nil
	if err := os.WriteFile(path, buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	loaded, err := ingest.Load([]string{path}, ingest.Options{})
	if err != nil {
		t.Fatal(err)
	}
	var in []report.Input
	for _, run := range loaded.Runs {
		res := analyze.Analyze(run, analyze.DefaultOptions())
		out := advice.Decide(advice.Case{Run: run, Analysis: res, Rules: advice.DefaultThresholds()})
		in = append(in, report.Input{Result: res, Outcome: &out})
	}
	doc := report.Build(in, "test", append(loaded.Notes, "a note quoting "+controlTask))
	a := doc.Processes[0].Attribution
	if a == nil || len(a.Worst) == 0 || a.Worst[0].Type != controlTask {
		t.Fatalf("the trace gave no requests of the hostile type: %+v", a)
	}
	doc.Processes[0].Warnings = append(doc.Processes[0].Warnings, "a warning quoting "+controlTask)
	return doc
}

// hiddenIn returns the first character of out a terminal or a page would
// act upon or reorder by, or "" when there is none. allowed lists
// characters the format itself writes.
func hiddenIn(out, allowed string) string {
	for i, r := range out {
		switch {
		case strings.ContainsRune(allowed, r):
		case r == utf8.RuneError && !strings.HasPrefix(out[i:], "\uFFFD"):
			return out[i : i+1]
		case r < 0x20, r >= 0x7f && r <= 0x9f, r >= 0x202a && r <= 0x202e, r >= 0x2066 && r <= 0x2069:
			return string(r)
		}
	}
	return ""
}

func TestControlCharactersInText(t *testing.T) {
	doc := controlDocument(t)
	var b bytes.Buffer
	if err := report.Render(&b, doc, report.Text, report.Options{}); err != nil {
		t.Fatal(err)
	}
	out := b.String()
	if c := hiddenIn(out, "\n"); c != "" {
		t.Errorf("the text report holds %q", c)
	}
	for _, line := range strings.Split(out, "\n") {
		if strings.HasPrefix(strings.TrimSpace(line), "Verdict: gc-not-the-cause — forged") || strings.HasPrefix(line, "Verdict: forged") {
			t.Errorf("an input forged a line: %q", line)
		}
	}
	if !strings.Contains(out, `\x1b]0;pwned\x07\x1b[2J\x00job|cell\tx\r\nVerdict`) || !strings.Contains(out, `\xff\u202etxt.exe`) {
		t.Errorf("the task type is not shown escaped:\n%s", out)
	}
	// The worst requests' table: every row as wide as its header.
	lines := strings.Split(out, "\n")
	for i, l := range lines {
		if !strings.HasPrefix(strings.TrimSpace(l), "latency") {
			continue
		}
		width := utf8.RuneCountInString(l)
		rows := 0
		for _, row := range lines[i+1:] {
			if !strings.Contains(row, "#") {
				break
			}
			rows++
			if w := utf8.RuneCountInString(row); w != width {
				t.Errorf("row %q is %d wide, its header %d", row, w, width)
			}
		}
		if rows == 0 {
			t.Errorf("no rows under the worst requests' header")
		}
	}
}

func TestControlCharactersInMarkdown(t *testing.T) {
	doc := controlDocument(t)
	var b bytes.Buffer
	if err := report.Render(&b, doc, report.Markdown, report.Options{}); err != nil {
		t.Fatal(err)
	}
	out := b.String()
	if c := hiddenIn(out, "\n"); c != "" {
		t.Errorf("the Markdown report holds %q", c)
	}
	for _, line := range strings.Split(out, "\n") {
		if strings.HasPrefix(line, "Verdict: ") {
			t.Errorf("an input forged a line: %q", line)
		}
	}
	checkMarkdownTables(t, out)
	if !strings.Contains(out, `job\|cell`) {
		t.Errorf("the task type's pipe is not escaped:\n%s", out)
	}
}

// checkMarkdownTables checks that every row of every table has as many
// cells as its header.
func checkMarkdownTables(t *testing.T, out string) {
	t.Helper()
	cells := func(row string) int {
		return strings.Count(strings.ReplaceAll(row, `\|`, ""), "|") - 1
	}
	want := -1
	for _, line := range strings.Split(out, "\n") {
		if !strings.HasPrefix(line, "|") {
			want = -1
			continue
		}
		if want < 0 {
			want = cells(line)
			continue
		}
		if got := cells(line); got != want {
			t.Errorf("table row has %d cells, its header %d: %q", got, want, line)
		}
	}
}

func TestControlCharactersInHTML(t *testing.T) {
	doc := controlDocument(t)
	var b bytes.Buffer
	if err := report.Render(&b, doc, report.HTML, report.Options{}); err != nil {
		t.Fatal(err)
	}
	out := b.String()
	if c := hiddenIn(out, "\n\t"); c != "" {
		t.Errorf("the HTML report holds %q", c)
	}
	if !strings.Contains(out, "job|cell") || !strings.Contains(out, "forged \uFFFDtxt.exe") {
		t.Errorf("the task type is not shown with its controls removed:\n%s", out)
	}
}

func TestTerminalText(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"plain", "plain"},
		{"é ü 日本", "é ü 日本"},
		{"a\x1b[2Jb", `a\x1b[2Jb`},
		{"a\nb\r\tc\x00", `a\nb\r\tc\x00`},
		{"del\x7f c1\u0085", `del\x7f c1\u0085`},
		{"bad\xffbyte", `bad\xffbyte`},
		{"rtl\u202e iso\u2066 mark\u200f", `rtl\u202e iso\u2066 mark\u200f`},
		{"real \uFFFD kept", "real \uFFFD kept"},
	} {
		if got := report.TerminalText(tc.in); got != tc.want {
			t.Errorf("TerminalText(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

func TestMarkdownText(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"plain", "plain"},
		{"a|b\nc", `a\|b c`},
		{"\x1b[31mred\x00\x07", `\[31mred`},
		{"bad\xff \u202erev", "bad\uFFFD rev"},
		{"<b>&", "&lt;b&gt;&amp;"},
	} {
		if got := report.MarkdownText(tc.in); got != tc.want {
			t.Errorf("MarkdownText(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}
