package cli

import (
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
)

// docCommand is one gcwatch command line shown in the README or docs/.
type docCommand struct {
	file, line string
}

// codeBlock matches a fenced block of the Markdown files.
var codeBlock = regexp.MustCompile("(?s)```[a-z]*\n(.*?)```")

// docCommands returns every gcwatch command line of the README and
// docs/*.md: lines in fenced blocks that start with "gcwatch " (after an
// optional "$ " prompt or "... | "), without their trailing comment.
func docCommands(t *testing.T) []docCommand {
	t.Helper()
	files, err := filepath.Glob("../../docs/*.md")
	if err != nil {
		t.Fatal(err)
	}
	files = append([]string{"../../README.md"}, files...)
	var out []docCommand
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range codeBlock.FindAllStringSubmatch(string(b), -1) {
			// A line ending in a backslash goes on on the next.
			block := strings.ReplaceAll(m[1], "\\\n", " ")
			for _, l := range strings.Split(block, "\n") {
				l = strings.TrimSpace(strings.TrimPrefix(strings.TrimSpace(l), "$ "))
				if i := strings.Index(l, "  #"); i >= 0 {
					l = strings.TrimSpace(l[:i])
				}
				if strings.HasPrefix(l, "go run ./cmd/gcwatch ") {
					l = strings.TrimPrefix(l, "go run ./cmd/")
				}
				if strings.HasPrefix(l, "gcwatch ") || strings.Contains(l, "| gcwatch ") {
					out = append(out, docCommand{filepath.Base(f), l})
				}
			}
		}
	}
	return out
}

// shipped is what the documentation's placeholder paths stand for in the
// test: the shipped example captures.
var shipped = map[string][]string{
	"trace.out":   {"../../examples/testdata/allocheavy-p2-gogc100/trace.out"},
	"gctrace.log": {"../../examples/testdata/allocheavy-p2-gogc100/gctrace.log"},
	"capture/":    {"../../examples/testdata/allocheavy-p2-gogc100"},
	"before/":     {"../../examples/testdata/tune-before"},
	"after/":      {"../../examples/testdata/tune-after"},
}

// shippedSpans is what the placeholders stand for in a command with
// --latency: the OpenTelemetry example's trace and its spans.
var shippedSpans = map[string][]string{
	"trace.out":       {"../../examples/otelsvc/testdata/trace.out"},
	"spans.otlp.json": {"../../examples/otelsvc/testdata/spans.otlp.json.gz"},
	"spans.json.gz":   {"../../examples/otelsvc/testdata/spans.stdout.json.gz"},
}

// TestDocCommands runs every command the README and docs/ show that works
// on files — analyze, compare and report over captures — on the shipped
// examples, the documentation's placeholder paths standing for them, and
// fails when one no longer runs as written. Commands on live services
// (capture, run, watch) are tested with real services elsewhere, and the
// fleet manifest by TestDocsManifest.
func TestDocCommands(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: analyses every example the docs show")
	}
	cmds := docCommands(t)
	ran := 0
	for _, c := range cmds {
		args, stdin, ok := docArgs(t, c.line)
		if !ok {
			continue
		}
		ran++
		t.Run(c.file+": "+c.line, func(t *testing.T) {
			var out, errb strings.Builder
			code := Main(args, strings.NewReader(stdin), &out, &errb)
			want := exitOK
			if strings.Contains(c.line, "--fail-on") && code == exitFailOn {
				want = exitFailOn
			}
			if code != want {
				t.Errorf("%s: gcwatch %s: exit %d\n%s", c.file, strings.Join(args, " "), code, errb.String())
			}
		})
	}
	if ran < 10 {
		t.Errorf("ran %d documented commands of %d found; the documentation's examples moved or the parser broke", ran, len(cmds))
	}
}

// docArgs turns a documented command line into arguments over the shipped
// examples, with any -o FILE in a temporary folder; ok is false for
// commands this test does not run.
func docArgs(t *testing.T, line string) (args []string, stdin string, ok bool) {
	if i := strings.Index(line, "| gcwatch "); i >= 0 {
		// A pipe into gcwatch: the gctrace log on standard input.
		b, err := os.ReadFile(shipped["gctrace.log"][0])
		if err != nil {
			t.Fatal(err)
		}
		stdin, line = string(b), line[i+2:]
	}
	fields := strings.Fields(strings.TrimPrefix(line, "gcwatch "))
	if len(fields) == 0 {
		return nil, "", false
	}
	switch fields[0] {
	case "analyze", "compare", "report":
	default:
		return nil, "", false
	}
	files := shipped
	if slices.Contains(fields, "--latency") {
		files = shippedSpans
	}
	for i := 0; i < len(fields); i++ {
		f := strings.Trim(fields[i], "'")
		switch {
		case f == "--service" && i+1 < len(fields):
			args = append(args, f, "otelsvc") // the example's service name
			i++
		case f == "--manifest", f == "--prometheus":
			return nil, "", false // a manifest of the reader's, a live server
		case f == "-o" && i+1 < len(fields):
			args = append(args, f, filepath.Join(t.TempDir(), fields[i+1]))
			i++
		case f == "captures/*":
			dirs, err := filepath.Glob("../../examples/testdata/*")
			if err != nil {
				t.Fatal(err)
			}
			args = append(args, dirs...)
		case files[f] != nil:
			args = append(args, files[f]...)
		case strings.HasPrefix(f, "examples/"):
			args = append(args, "../../"+f)
		default:
			args = append(args, f)
		}
	}
	return args, stdin, true
}
