package plot

import (
	"bytes"
	"encoding/xml"
	"image"
	_ "image/png"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/gcwatch/gcwatch/internal/advice"
	"github.com/gcwatch/gcwatch/internal/analyze"
	"github.com/gcwatch/gcwatch/internal/ingest"
	"github.com/gcwatch/gcwatch/internal/report"
)

// pipelineProcess runs the real pipeline on a recorded example, with a
// memory budget so that the what-if plot has one to draw.
func pipelineProcess(t testing.TB, example string, budget int64) *report.Process {
	t.Helper()
	dir := filepath.Join("..", "..", "..", "examples", "testdata", example)
	if _, err := os.Stat(dir); err != nil {
		t.Skipf("example recording %s not present: %v", example, err)
	}
	loaded, err := ingest.Load([]string{dir}, ingest.Options{})
	if err != nil {
		t.Fatal(err)
	}
	var in []report.Input
	for _, run := range loaded.Runs {
		res := analyze.Analyze(run, analyze.DefaultOptions())
		out := advice.Decide(advice.Case{Run: run, Analysis: res, Rules: advice.DefaultThresholds(), Budget: budget})
		in = append(in, report.Input{Result: res, Outcome: &out, Budget: budget})
	}
	doc := report.Build(in, "test", nil)
	if len(doc.Processes) != 1 {
		t.Fatalf("%s: %d processes, want 1", example, len(doc.Processes))
	}
	return &doc.Processes[0]
}

// svgRoot is just enough of an SVG document to check it is one.
type svgRoot struct {
	XMLName xml.Name
	Width   string `xml:"width,attr"`
	Height  string `xml:"height,attr"`
}

// checkImages renders every figure as SVG and PNG and checks each decodes
// as a non-empty image of the expected size.
func checkImages(t *testing.T, figs []report.Figure) {
	t.Helper()
	for _, f := range figs {
		var png, svg bytes.Buffer
		if err := f.Render(&png, "png"); err != nil {
			t.Fatalf("%s: png: %v", f.Name, err)
		}
		saveArtifact(t, f.Name+".png", png.Bytes())
		img, format, err := image.Decode(&png)
		if err != nil || format != "png" {
			t.Fatalf("%s: png does not decode: %v (%s)", f.Name, err, format)
		}
		if b := img.Bounds(); b.Dx() < 500 || b.Dy() < 200 || blank(img) {
			t.Errorf("%s: png is %v, blank %v", f.Name, b, blank(img))
		}
		if err := f.Render(&svg, "svg"); err != nil {
			t.Fatalf("%s: svg: %v", f.Name, err)
		}
		var root svgRoot
		if err := xml.Unmarshal(svg.Bytes(), &root); err != nil {
			t.Fatalf("%s: svg does not parse: %v", f.Name, err)
		}
		if root.XMLName.Local != "svg" || !positive(root.Width) || !positive(root.Height) {
			t.Errorf("%s: svg root <%s width=%q height=%q>", f.Name, root.XMLName.Local, root.Width, root.Height)
		}
		if !strings.Contains(svg.String(), f.Title) && !strings.Contains(svg.String(), xmlEscape(f.Title)) {
			t.Errorf("%s: svg lacks its title %q", f.Name, f.Title)
		}
		if err := f.Render(&svg, "gif"); err == nil {
			t.Errorf("%s: gif accepted", f.Name)
		}
	}
}

// saveArtifact keeps a rendered image under $GCWATCH_ARTIFACTS, when set,
// for people to look at.
func saveArtifact(t *testing.T, name string, data []byte) {
	dir := os.Getenv("GCWATCH_ARTIFACTS")
	if dir == "" {
		return
	}
	dir = filepath.Join(dir, "plot", t.Name())
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, name), data, 0o644); err != nil {
		t.Fatal(err)
	}
}

func xmlEscape(s string) string {
	var b bytes.Buffer
	xml.EscapeText(&b, []byte(s))
	return b.String()
}

func positive(dim string) bool {
	v, err := strconv.ParseFloat(strings.TrimRight(dim, "ptxcmin"), 64)
	return err == nil && v > 0
}

// blank reports whether every pixel has the colour of the first.
func blank(img image.Image) bool {
	b := img.Bounds()
	r0, g0, b0, _ := img.At(b.Min.X, b.Min.Y).RGBA()
	for y := b.Min.Y; y < b.Max.Y; y += 3 {
		for x := b.Min.X; x < b.Max.X; x += 3 {
			r, g, bb, _ := img.At(x, y).RGBA()
			if r != r0 || g != g0 || bb != b0 {
				return false
			}
		}
	}
	return true
}

func names(figs []report.Figure) []string {
	var out []string
	for _, f := range figs {
		out = append(out, f.Name)
	}
	return out
}

// TestFiguresFromPipeline draws a real recording's report and checks
// every figure renders, in both formats.
func TestFiguresFromPipeline(t *testing.T) {
	p := pipelineProcess(t, "tune-before", 512<<20)
	figs, err := Figures(p)
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"pauses", "pause-histogram", "heap", "latency", "attribution", "mmu", "whatif-cpu", "whatif-heap"}
	if got := names(figs); strings.Join(got, " ") != strings.Join(want, " ") {
		t.Errorf("figures %v, want %v", got, want)
	}
	checkImages(t, figs)
}

// TestFiguresWithoutData checks an empty process draws nothing rather
// than failing or drawing empty axes.
func TestFiguresWithoutData(t *testing.T) {
	figs, err := Figures(&report.Process{})
	if err != nil || len(figs) != 0 {
		t.Errorf("empty process: %v, %v", names(figs), err)
	}
}

func near(a, b float64) bool { return math.Abs(a-b) <= 1e-9*math.Max(1, math.Abs(b)) }
