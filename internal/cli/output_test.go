package cli

import (
	"image"
	_ "image/png"
	"os"
	"path/filepath"
	"regexp"
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
