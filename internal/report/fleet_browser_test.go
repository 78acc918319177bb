package report_test

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/gcwatch/gcwatch/internal/advice"
	"github.com/gcwatch/gcwatch/internal/fleet"
	"github.com/gcwatch/gcwatch/internal/report"
)

func ptr(v float64) *float64 { return &v }

// TestFleetHTMLInChromium loads the fleet report, with a service named as
// a script, in headless Chromium, as TestHTMLInChromium does the
// single-process report: no console errors, the plot an SVG element in
// the DOM, the service's name text, a screenshot that shows the plot, and
// no sideways scrolling at 1280 px.
func TestFleetHTMLInChromium(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: no browser")
	}
	chromium, why := findChromium()
	if chromium == "" {
		t.Skip("skipping the browser check: " + why)
	}
	adr := &fleet.WithoutGC{ADRP99Change: -0.25, ADRMemoryChange: -0.5}
	doc := &fleet.Document{Kind: "fleet", Services: []fleet.Service{
		{Name: "<script>alert(1)</script>", Rank: 1, Verdict: &advice.Verdict{ID: "migration-candidate"}, Data: "sufficient", GCShareOfTail: ptr(0.6), MemoryOverhead: ptr(0.55), WithoutGC: adr},
		{Name: "checkout", Rank: 2, Verdict: &advice.Verdict{ID: "tune"}, Data: "sufficient", GCShareOfTail: ptr(0.2), MemoryOverhead: ptr(0.4), WithoutGC: adr},
		{Name: "thin", Verdict: &advice.Verdict{ID: "tune"}, Data: "insufficient"},
	}}
	var b bytes.Buffer
	if err := report.RenderFleet(&b, doc, report.HTML, report.Options{Figures: fleetFigures(t, doc)}); err != nil {
		t.Fatal(err)
	}
	dir := artifactDir(t)
	page := filepath.Join(dir, "fleet.html")
	if err := os.WriteFile(page, b.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	url := "file://" + page
	profile := t.TempDir()

	shot := filepath.Join(dir, "screenshot.png")
	_, stderr := runChromium(t, chromium, profile, url, "--screenshot="+shot, "--window-size=1280,1600")
	if m := consoleProblem.FindString(stderr); m != "" {
		t.Errorf("chromium reported a page problem (%q); stderr:\n%s", m, stderr)
	}
	checkScreenshot(t, shot)

	dom, stderr := runChromium(t, chromium, profile, url, "--dump-dom")
	if m := consoleProblem.FindString(stderr); m != "" {
		t.Errorf("chromium reported a page problem (%q); stderr:\n%s", m, stderr)
	}
	if n := strings.Count(dom, "<svg"); n != 1 {
		t.Errorf("the loaded page has %d <svg> elements, want the one plot", n)
	}
	if strings.Contains(strings.ToLower(dom), "<script") {
		t.Errorf("the loaded page holds a script element")
	}
	if !strings.Contains(dom, `id="svc-1--script-alert-1---script-"`) || !strings.Contains(dom, "&lt;script&gt;alert(1)&lt;/script&gt;") {
		t.Errorf("the script-named service is not in the DOM as text with its anchor")
	}
	checkNoSidewaysScroll(t, "the fleet page", measurePage(t, chromium, page))
	t.Logf("screenshot kept at %s", shot)
}
