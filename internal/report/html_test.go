package report_test

import (
	"bytes"
	"strings"
	"testing"

	"github.com/gcwatch/gcwatch/internal/report"
	"github.com/gcwatch/gcwatch/internal/report/plot"
)

// docFigures draws every process's figures, as the command line does.
func docFigures(t *testing.T, doc *report.Document) *report.Figures {
	t.Helper()
	figs, err := plot.ForDocument(doc)
	if err != nil {
		t.Fatal(err)
	}
	return figs
}

func renderHTML(t *testing.T, doc *report.Document) string {
	t.Helper()
	var b bytes.Buffer
	if err := report.Render(&b, doc, report.HTML, report.Options{Figures: docFigures(t, doc)}); err != nil {
		t.Fatal(err)
	}
	return b.String()
}

// TestHTMLShowsInputsAsText feeds a trace whose task type is a script
// and checks the page shows it only as text, and is self-contained.
func TestHTMLShowsInputsAsText(t *testing.T) {
	page := renderHTML(t, hostileDocument(t))
	if strings.Contains(strings.ToLower(page), "<script") {
		t.Errorf("the page holds a <script element")
	}
	if !strings.Contains(page, "&lt;script&gt;alert(1)&lt;/script&gt;") {
		t.Errorf("the task type is not shown escaped")
	}
	// Self-contained: nothing to fetch.
	for _, bad := range []string{"src=", "<link", "@import", "url("} {
		if strings.Contains(page, bad) {
			t.Errorf("the page refers to something outside it: %q", bad)
		}
	}
	// The verdict comes first, then the attribution, the spikes, the plots
	// and the cycles.
	last := -1
	for _, mark := range []string{`class="verdict"`, "How much of the tail is GC", "<h3>Spikes</h3>", "<h3>Plots</h3>", "<svg", "<h3>Cycles</h3>"} {
		i := strings.Index(page, mark)
		if i < 0 {
			t.Errorf("the page lacks %q", mark)
			continue
		}
		if i < last {
			t.Errorf("%q comes before what should precede it", mark)
		}
		last = i
	}
	if n := strings.Count(page, "<svg"); n < 6 {
		t.Errorf("%d plots inline, want at least 6", n)
	}
}
