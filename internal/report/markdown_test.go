package report_test

import (
	"bytes"
	"image"
	"io"
	"regexp"
	"strings"
	"testing"

	"github.com/gcwatch/gcwatch/internal/report"
)

// memFiles collects a multi-file report's files in memory.
type memFiles map[string]*bytes.Buffer

type memFile struct{ *bytes.Buffer }

func (memFile) Close() error { return nil }

func (m memFiles) open(name string) (io.WriteCloser, error) {
	b := &bytes.Buffer{}
	m[name] = b
	return memFile{b}, nil
}

var imageLink = regexp.MustCompile(`!\[[^\]]*\]\(([^)]+)\)`)

// TestMarkdownWithFigures writes the Markdown report of a real trace with
// its figures to memory: every link must name a file written, each a PNG.
func TestMarkdownWithFigures(t *testing.T) {
	doc := hostileDocument(t)
	files := memFiles{}
	var b bytes.Buffer
	opts := report.Options{Figures: docFigures(t, doc), Files: &report.Files{Open: files.open, Dir: "report_files"}}
	if err := report.Render(&b, doc, report.Markdown, opts); err != nil {
		t.Fatal(err)
	}
	text := b.String()
	links := imageLink.FindAllStringSubmatch(text, -1)
	if len(links) < 6 || len(links) != len(files) {
		t.Fatalf("%d image links, %d files written", len(links), len(files))
	}
	for _, l := range links {
		data, ok := files[l[1]]
		if !ok {
			t.Errorf("link %s names no file written", l[1])
			continue
		}
		if !strings.HasPrefix(l[1], "report_files/") {
			t.Errorf("link %s is not in the figures folder", l[1])
		}
		if _, format, err := image.Decode(data); err != nil || format != "png" {
			t.Errorf("%s: %v (%s)", l[1], err, format)
		}
	}
	if strings.Contains(text, "<script>") || !strings.Contains(text, "&lt;script&gt;alert(1)&lt;/script&gt;") {
		t.Errorf("the task type is not escaped in Markdown")
	}
	for _, want := range []string{"**Verdict:", "### How much of the tail is GC", "### Spikes", "### Plots", "<summary>Cycles ("} {
		if !strings.Contains(text, want) {
			t.Errorf("the report lacks %q", want)
		}
	}

	// On standard output there is nowhere to put figures: the report says
	// how to get them instead of linking files that do not exist.
	b.Reset()
	if err := report.Render(&b, doc, report.Markdown, report.Options{Figures: docFigures(t, doc)}); err != nil {
		t.Fatal(err)
	}
	if imageLink.MatchString(b.String()) || !strings.Contains(b.String(), "-o DIR") {
		t.Errorf("markdown without files links images or lacks the hint")
	}
}
