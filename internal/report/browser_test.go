package report_test

import (
	"bytes"
	"context"
	"errors"
	"image"
	"image/color"
	_ "image/png"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"
)

// findChromium returns Debian's chromium, or "" with the reason it is
// not there. Tests never install it: .ci/tools does.
func findChromium() (string, string) {
	for _, name := range []string{"chromium", "chromium-browser"} {
		if p, err := exec.LookPath(name); err == nil {
			return p, ""
		}
	}
	return "", "chromium is not installed (.ci/tools installs it)"
}

// artifactDir is where test artefacts (the page and its screenshot) are
// kept after the test: under $GCWATCH_ARTIFACTS when set, else under the
// system's temporary folder in gcwatch-test-artifacts; each run replaces
// the last one's.
func artifactDir(t *testing.T) string {
	root := os.Getenv("GCWATCH_ARTIFACTS")
	if root == "" {
		root = filepath.Join(os.TempDir(), "gcwatch-test-artifacts")
	}
	d := filepath.Join(root, "report", t.Name())
	if err := os.RemoveAll(d); err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(d, 0o755); err != nil {
		t.Fatal(err)
	}
	return d
}

// consoleProblem matches what Chromium logs on standard error for a page
// that throws, logs an error or fails to load something.
var consoleProblem = regexp.MustCompile(`(?i)uncaught|:CONSOLE[:(]|failed to load resource|net::ERR_`)

// runChromium runs headless Chromium on url with args, bounded by a
// timeout, and returns its standard output and standard error.
func runChromium(t *testing.T, chromium, profile, url string, args ...string) (string, string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 25*time.Second)
	defer cancel()
	base := []string{"--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
		"--disable-component-update", "--disable-sync", "--no-first-run", "--user-data-dir=" + profile,
		"--enable-logging=stderr", "--v=0"}
	cmd := exec.CommandContext(ctx, chromium, append(append(base, args...), url)...)
	cmd.WaitDelay = 3 * time.Second
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	if errors.Is(ctx.Err(), context.DeadlineExceeded) {
		t.Fatalf("chromium %v did not finish in 25 s; stderr:\n%s", args, stderr.String())
	}
	if err != nil {
		t.Fatalf("chromium %v: %v; stderr:\n%s", args, err, stderr.String())
	}
	return stdout.String(), stderr.String()
}

// TestHTMLInChromium loads the HTML report of a real trace in headless
// Chromium: it must load without console errors, its plots must be SVG
// elements in the DOM, and the screenshot (kept as an artefact) must show
// them.
func TestHTMLInChromium(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: no browser")
	}
	chromium, why := findChromium()
	if chromium == "" {
		t.Skip("skipping the browser check: " + why)
	}
	doc := hostileDocument(t)
	dir := artifactDir(t)
	page := filepath.Join(dir, "report.html")
	if err := os.WriteFile(page, []byte(renderHTML(t, doc)), 0o644); err != nil {
		t.Fatal(err)
	}
	url := "file://" + page
	profile := t.TempDir()

	shot := filepath.Join(dir, "screenshot.png")
	_, stderr := runChromium(t, chromium, profile, url, "--screenshot="+shot, "--window-size=1280,2600")
	if m := consoleProblem.FindString(stderr); m != "" {
		t.Errorf("chromium reported a page problem (%q); stderr:\n%s", m, stderr)
	}
	checkScreenshot(t, shot)

	dom, stderr := runChromium(t, chromium, profile, url, "--dump-dom")
	if m := consoleProblem.FindString(stderr); m != "" {
		t.Errorf("chromium reported a page problem (%q); stderr:\n%s", m, stderr)
	}
	want := strings.Count(renderHTML(t, doc), "<svg")
	if got := strings.Count(dom, "<svg"); got != want || want == 0 {
		t.Errorf("the loaded page has %d <svg> elements, the report %d", got, want)
	}
	if strings.Contains(strings.ToLower(dom), "<script") {
		t.Errorf("the loaded page holds a script element")
	}
	t.Logf("screenshot kept at %s", shot)
}

// checkScreenshot decodes the screenshot and checks it is not blank and
// shows the plots' GC red (#c0392b), a colour only the plots use.
func checkScreenshot(t *testing.T, path string) {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatalf("no screenshot: %v", err)
	}
	defer f.Close()
	img, _, err := image.Decode(f)
	if err != nil {
		t.Fatalf("screenshot does not decode: %v", err)
	}
	b := img.Bounds()
	first := color.RGBAModel.Convert(img.At(b.Min.X, b.Min.Y))
	differing, red := 0, 0
	for y := b.Min.Y; y < b.Max.Y; y += 2 {
		for x := b.Min.X; x < b.Max.X; x += 2 {
			c := color.RGBAModel.Convert(img.At(x, y)).(color.RGBA)
			if c != first {
				differing++
			}
			if near8(c.R, 0xc0) && near8(c.G, 0x39) && near8(c.B, 0x2b) {
				red++
			}
		}
	}
	if differing < 1000 {
		t.Errorf("screenshot %v is nearly blank (%d pixels differ from the corner)", b, differing)
	}
	if red == 0 {
		t.Errorf("screenshot shows no plot (no pixel of the plots' GC red)")
	}
}

func near8(a, b uint8) bool { return a >= b-12 && a <= b+12 }
