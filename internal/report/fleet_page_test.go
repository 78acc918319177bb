package report_test

import (
	"bytes"
	"image"
	_ "image/png"
	"regexp"
	"strings"
	"testing"

	"github.com/gcwatch/gcwatch/internal/advice"
	"github.com/gcwatch/gcwatch/internal/fleet"
	"github.com/gcwatch/gcwatch/internal/report"
	"github.com/gcwatch/gcwatch/internal/report/plot"
)

const hostile = "<script>alert(1)</script>"

// hostileFleet is a ranked fleet whose first service is named as a script,
// with a service too thin to rank and one without requests.
func hostileFleet() *fleet.Document {
	adr := &fleet.WithoutGC{P99Change: -0.4, MemoryChange: -0.6, ADRP99Change: -0.25, ADRMemoryChange: -0.5}
	return &fleet.Document{Kind: "fleet", Notes: []string{"a note & more"}, Services: []fleet.Service{
		{Name: hostile, Rank: 1, Verdict: &advice.Verdict{ID: "migration-candidate", Summary: "the GC cost is intrinsic", Confidence: "high"}, Data: "sufficient",
			GCShareOfTail: ptr(0.41), MemoryOverhead: ptr(0.6), GCCPUFraction: 0.2, WithoutGC: adr,
			Captures: "captures/" + hostile, Reasons: []string{"migration-candidate: GC is 41% of the slowest requests' time"}},
		{Name: "checkout api", Rank: 2, Verdict: &advice.Verdict{ID: "tune"}, Data: "sufficient", GCShareOfTail: ptr(0.12), MemoryOverhead: ptr(0.45), WithoutGC: adr,
			Reasons: []string{"tune: GC is 12%"}},
		{Name: "batch", Rank: 3, Verdict: &advice.Verdict{ID: "gc-not-the-cause"}, Data: "sufficient", MemoryOverhead: ptr(0.3),
			Reasons: []string{"no request latency: ranked on GC CPU and memory alone"}},
		{Name: "thin", Verdict: &advice.Verdict{ID: "tune"}, Data: "insufficient", Reasons: []string{"too little data to rank: 1 complete GC cycles"}},
	}}
}

func render(t *testing.T, doc *fleet.Document, format string, opts report.Options) string {
	t.Helper()
	var b bytes.Buffer
	if err := report.RenderFleet(&b, doc, report.Format(format), opts); err != nil {
		t.Fatalf("%s: %v", format, err)
	}
	return b.String()
}

// fleetFigures draws doc's fleet plot, as the command line does.
func fleetFigures(t *testing.T, doc *fleet.Document) *report.Figures {
	t.Helper()
	figs, err := plot.ForFleet(doc)
	if err != nil {
		t.Fatal(err)
	}
	return figs
}

var (
	hrefs = regexp.MustCompile(`href="#([^"]*)"`)
	ids   = regexp.MustCompile(`id="([^"]*)"`)
)

// TestFleetHTML checks the fleet page: the single-process report's style,
// self-contained, every input string escaped, the plot inline as SVG with
// the services it leaves out named, and every link to a service's
// reasons landing on an anchor that exists.
func TestFleetHTML(t *testing.T) {
	page := render(t, hostileFleet(), "html", report.Options{Figures: fleetFigures(t, hostileFleet())})
	if strings.Contains(strings.ToLower(page), "<script") {
		t.Errorf("the page holds a <script element")
	}
	// The table, the reasons and the plot's label each show it as text.
	if n := strings.Count(page, "&lt;script&gt;alert(1)&lt;/script&gt;"); n < 3 {
		t.Errorf("the script-named service shown escaped %d times, want at least 3", n)
	}
	if !strings.Contains(page, report.PageCSS) {
		t.Errorf("the page does not use the report's style")
	}
	for _, bad := range []string{"src=", "<link", "@import", "url("} {
		if strings.Contains(page, bad) {
			t.Errorf("the page refers to something outside it: %q", bad)
		}
	}
	if n := strings.Count(page, "<svg"); n != 1 {
		t.Errorf("%d inline plots, want 1", n)
	}
	if !strings.Contains(page, `Not on the plot: <a href="#svc-3-batch">batch</a> (no request latency, so no GC share of the tail); <a href="#svc-4-thin">thin</a> (too little data).`) {
		t.Errorf("the plot's caption does not name the services left out")
	}
	anchors := map[string]bool{}
	for _, m := range ids.FindAllStringSubmatch(page, -1) {
		if anchors[m[1]] {
			t.Errorf("id %q used twice", m[1])
		}
		anchors[m[1]] = true
	}
	links := hrefs.FindAllStringSubmatch(page, -1)
	if len(links) != 4+2 { // one per table row, one per service left out
		t.Errorf("%d links, want 6", len(links))
	}
	for _, m := range links {
		if !anchors[m[1]] {
			t.Errorf("link to #%s lands nowhere", m[1])
		}
	}
	for _, id := range []string{"svc-1--script-alert-1---script-", "svc-2-checkout-api"} {
		if !anchors[id] {
			t.Errorf("no anchor %q: %v", id, anchors)
		}
	}
	last := -1
	for _, mark := range []string{"<table>", "<h2>Plot</h2>", "<svg", "<h2>Why</h2>", `class="verdict"`, "<h2>Notes</h2>", "a note &amp; more"} {
		i := strings.Index(page, mark)
		if i < last {
			t.Errorf("%q missing or out of order", mark)
		}
		last = i
	}

	// Without a plotter the page has no plot; with nothing to place it
	// says so instead of drawing empty axes.
	if page := render(t, hostileFleet(), "html", report.Options{}); strings.Contains(page, "<svg") || strings.Contains(page, "<h2>Plot</h2>") {
		t.Errorf("a plot without a plotter")
	}
	doc := hostileFleet()
	doc.Services = doc.Services[2:]
	if page := render(t, doc, "html", report.Options{Figures: fleetFigures(t, doc)}); strings.Contains(page, "<svg") || !strings.Contains(page, "No service has the numbers") {
		t.Errorf("nothing to place: the page draws a plot or does not say why not")
	}
}

// TestFleetMarkdown checks the Markdown report writes its plot as a PNG
// beside it, links it, names the services left out, and escapes names.
func TestFleetMarkdown(t *testing.T) {
	files := memFiles{}
	text := render(t, hostileFleet(), "markdown", report.Options{Figures: fleetFigures(t, hostileFleet()), Files: &report.Files{Open: files.open, Dir: "fleet_files"}})
	links := regexp.MustCompile(`!\[[^\]]*\]\(([^)]+)\)`).FindAllStringSubmatch(text, -1)
	if len(links) != 1 || links[0][1] != "fleet_files/fleet.png" || len(files) != 1 {
		t.Fatalf("links %v, files %d", links, len(files))
	}
	data := files["fleet_files/fleet.png"]
	if data == nil {
		t.Fatalf("the linked plot was not written")
	}
	if img, format, err := image.Decode(data); err != nil || format != "png" || img.Bounds().Dx() < 500 {
		t.Errorf("the plot does not decode as a PNG: %v (%s)", err, format)
	}
	if !strings.Contains(text, "Not on the plot: batch (no request latency, so no GC share of the tail); thin (too little data).") {
		t.Errorf("the services left out are not named:\n%s", text)
	}
	if strings.Contains(text, "<script>") || !strings.Contains(text, "&lt;script&gt;alert(1)&lt;/script&gt;") {
		t.Errorf("the script-named service is not escaped")
	}
	if !strings.Contains(text, "| 2 | checkout api | tune | 12% | 0.0% | 45% |") {
		t.Errorf("the table row of checkout api is not as the document says:\n%s", text)
	}

	// On standard output there is nowhere to put the plot: the report says
	// how to get it.
	text = render(t, hostileFleet(), "markdown", report.Options{Figures: fleetFigures(t, hostileFleet())})
	if strings.Contains(text, "![") || !strings.Contains(text, "-o DIR") {
		t.Errorf("markdown without files links an image or lacks the hint")
	}
}

// TestFleetTextHasNoPlot checks the text report stays the table and the
// reasons, whatever plotter it is given.
func TestFleetTextHasNoPlot(t *testing.T) {
	text := render(t, hostileFleet(), "text", report.Options{Figures: fleetFigures(t, hostileFleet())})
	if strings.Contains(text, "<svg") || strings.Contains(text, "Plot") || !strings.Contains(text, hostile) {
		t.Errorf("text report:\n%s", text)
	}
}

// TestMonitoringHTMLPlot checks a report read from monitoring gets the
// same page and a plot of what metrics give.
func TestMonitoringHTMLPlot(t *testing.T) {
	doc := &fleet.Document{Kind: "fleet", Source: fleet.SourcePrometheus, Window: &fleet.Window{URL: "http://p:9090", Job: ".+", Range: "1h", Step: "6m"},
		Services: []fleet.Service{{Name: "heavy", Rank: 1, Verdict: &advice.Verdict{ID: "worth-trace-capture"}, Data: "sufficient", MemoryOverhead: ptr(0.7),
			Metrics: &fleet.Metrics{GCCPUFraction: ptr(0.3)}, Knowable: []string{"cannot tell: which requests GC slowed"}}}}
	page := render(t, doc, "html", report.Options{Figures: fleetFigures(t, doc)})
	for _, want := range []string{report.PageCSS, "gcwatch fleet report (monitoring)", "<svg", "GC CPU against memory overhead", `<a href="#svc-1-heavy">heavy</a>`, `id="svc-1-heavy"`, "cannot tell: which requests GC slowed"} {
		if !strings.Contains(page, want) {
			t.Errorf("the page lacks %q", want)
		}
	}
}
