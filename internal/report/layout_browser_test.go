package report_test

import (
	"encoding/json"
	"html"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/gcwatch/gcwatch/internal/advice"
	"github.com/gcwatch/gcwatch/internal/analyze"
	"github.com/gcwatch/gcwatch/internal/ingest"
	"github.com/gcwatch/gcwatch/internal/report"
)

// Screen is the browser window the layout is checked at: a laptop's.
const screenWidth, screenHeight = 1280, 800

// measureScript is added to a copy of a page (the report itself never
// holds a script) to measure it as laid out: how wide it is against the
// window, which elements stick out on the right, and where the verdict
// and its summary end and how large the verdict is drawn. The result is
// left in the DOM for --dump-dom.
const measureScript = `<script>
(function () {
  var d = document.documentElement, vw = d.clientWidth, over = [];
  document.querySelectorAll('body *').forEach(function (e) {
    var r = e.getBoundingClientRect();
    if (r.right > vw + 0.5 && over.length < 5) over.push(e.tagName + '.' + e.className + ' ends at ' + Math.round(r.right));
  });
  var out = {scrollWidth: d.scrollWidth, clientWidth: vw, innerHeight: innerHeight, over: over};
  var v = document.querySelector('.verdict-id'), s = document.querySelector('.verdict-summary');
  if (v) {
    out.verdictTop = v.getBoundingClientRect().top;
    out.verdictFont = parseFloat(getComputedStyle(v).fontSize);
    out.bodyFont = parseFloat(getComputedStyle(document.body).fontSize);
  }
  if (s) out.summaryBottom = s.getBoundingClientRect().bottom;
  var p = document.createElement('pre');
  p.id = 'gcwatch-measure';
  p.textContent = JSON.stringify(out);
  document.body.appendChild(p);
})();
</script>`

// layout is what measureScript reports.
type layout struct {
	ScrollWidth, ClientWidth, InnerHeight float64
	Over                                  []string
	VerdictTop, VerdictFont, BodyFont     float64
	SummaryBottom                         float64
}

var measured = regexp.MustCompile(`(?s)<pre id="gcwatch-measure">(.*?)</pre>`)

// measurePage loads a copy of page with measureScript in headless
// Chromium at screenWidth × screenHeight and returns what it measured.
func measurePage(t *testing.T, chromium, page string) layout {
	t.Helper()
	b, err := os.ReadFile(page)
	if err != nil {
		t.Fatal(err)
	}
	probe := strings.TrimSuffix(page, ".html") + ".measure.html"
	withScript := strings.Replace(string(b), "</body>", measureScript+"</body>", 1)
	if err := os.WriteFile(probe, []byte(withScript), 0o644); err != nil {
		t.Fatal(err)
	}
	dom, _ := runChromium(t, chromium, t.TempDir(), "file://"+probe, "--dump-dom", "--window-size=1280,800")
	m := measured.FindStringSubmatch(dom)
	if m == nil {
		t.Fatalf("the measuring script left nothing in the DOM of %s", probe)
	}
	var l layout
	if err := json.Unmarshal([]byte(html.UnescapeString(m[1])), &l); err != nil {
		t.Fatalf("measurements %q: %v", m[1], err)
	}
	return l
}

// checkNoSidewaysScroll fails when the page is wider than the window.
func checkNoSidewaysScroll(t *testing.T, name string, l layout) {
	t.Helper()
	if l.ClientWidth < screenWidth-40 || l.ClientWidth > screenWidth {
		t.Fatalf("%s: window %v px wide, want about %d: the measurement did not run at the screen's size", name, l.ClientWidth, screenWidth)
	}
	if l.ScrollWidth > l.ClientWidth {
		t.Errorf("%s scrolls sideways at %d px: %v px of content in %v px; sticking out: %v", name, screenWidth, l.ScrollWidth, l.ClientWidth, l.Over)
	}
}

// TestHTMLLayoutInChromium lays out the report of a real capture (with
// every plot, the allocation sites and the hostile trace's) at 1280 × 800
// and checks what a reader sees first: the verdict and its summary inside
// the first screen, the verdict drawn at least half again as large as the
// text, and no sideways scrolling anywhere on the page.
func TestHTMLLayoutInChromium(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: no browser")
	}
	chromium, why := findChromium()
	if chromium == "" {
		t.Skip("skipping the browser check: " + why)
	}
	dir := artifactDir(t)
	for name, doc := range map[string]*report.Document{
		"tune-before": exampleDocument(t, "tune-before", 1<<30),
		"hostile":     hostileDocument(t),
	} {
		page := filepath.Join(dir, name+".html")
		if err := os.WriteFile(page, []byte(renderHTML(t, doc)), 0o644); err != nil {
			t.Fatal(err)
		}
		shot := filepath.Join(dir, name+".png")
		runChromium(t, chromium, t.TempDir(), "file://"+page, "--screenshot="+shot, "--window-size=1280,800")
		l := measurePage(t, chromium, page)
		t.Logf("%s: %+v; first screen kept at %s", name, l, shot)
		checkNoSidewaysScroll(t, name, l)
		if l.VerdictFont == 0 {
			t.Fatalf("%s: no verdict on the page", name)
		}
		if l.SummaryBottom > l.InnerHeight || l.VerdictTop < 0 {
			t.Errorf("%s: the verdict and its summary end at %v px, below the first screen (%v px)", name, l.SummaryBottom, l.InnerHeight)
		}
		if l.VerdictFont < 1.5*l.BodyFont {
			t.Errorf("%s: the verdict is drawn at %v px, the text at %v px: want it to stand out", name, l.VerdictFont, l.BodyFont)
		}
	}
}

// exampleDocument runs the pipeline on a recorded example capture.
func exampleDocument(t *testing.T, example string, budget int64) *report.Document {
	t.Helper()
	loaded, err := ingest.Load([]string{filepath.Join("..", "..", "examples", "testdata", example)}, ingest.Options{})
	if err != nil {
		t.Fatal(err)
	}
	var in []report.Input
	for _, run := range loaded.Runs {
		res := analyze.Analyze(run, analyze.DefaultOptions())
		out := advice.Decide(advice.Case{Run: run, Analysis: res, Rules: advice.DefaultThresholds(), Budget: budget})
		in = append(in, report.Input{Result: res, Outcome: &out, Budget: budget})
	}
	doc := report.Build(in, "test", loaded.Notes)
	if len(doc.Processes) != 1 || doc.Processes[0].Allocations == nil {
		t.Fatalf("%s: want one process with its allocation sites", example)
	}
	return doc
}
