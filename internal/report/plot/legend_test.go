package plot

import (
	"bytes"
	"regexp"
	"strconv"
	"testing"

	"gonum.org/v1/plot/vg"
)

// svgText matches a text element of gonum's SVG: its x and its text.
var svgText = regexp.MustCompile(`(?s)<text x="([-0-9.]+)"[^>]*>([^<]*)</text>`)

// TestLegendBesideData renders every figure of a real process and of the
// fleet and checks each legend entry is drawn right of the plot's own
// width (8 in = 576 pt), in the column the renderer adds for it, where it
// cannot cover data; and that the column is wide enough for the entries.
func TestLegendBesideData(t *testing.T) {
	figs, err := Figures(pipelineProcess(t, "tune-before", 1<<30))
	if err != nil {
		t.Fatal(err)
	}
	f, err := FleetFigure(fleetDocument())
	if err != nil || f == nil {
		t.Fatalf("fleet figure %v, %v", f, err)
	}
	figs = append(figs, *f)
	legends := map[string][]string{
		"pauses":          {"GC pause", "non-GC stop-the-world"},
		"pause-histogram": {"GC pause", "non-GC stop-the-world"},
		"heap":            {"heap in use", "heap goal"},
		"latency":         {"p99", "p50"},
		"mmu":             {"all GC"},
		"fleet":           {"tune", "migration-candidate"},
	}
	for _, f := range figs {
		var svg bytes.Buffer
		if err := f.Render(&svg, "svg"); err != nil {
			t.Fatal(err)
		}
		root := svgWidth(t, svg.String())
		x := map[string]float64{}
		for _, m := range svgText.FindAllStringSubmatch(svg.String(), -1) {
			v, _ := strconv.ParseFloat(m[1], 64)
			if _, ok := x[m[2]]; !ok {
				x[m[2]] = v
			}
		}
		plotWidth := float64(width)
		for _, name := range legends[f.Name] {
			at, ok := x[xmlEscape(name)]
			if !ok {
				t.Errorf("%s: no legend entry %q", f.Name, name)
				continue
			}
			if at < plotWidth || at > root-20 {
				t.Errorf("%s: legend entry %q at x=%.0f pt, want in the column right of the plot (%.0f to %.0f pt)", f.Name, name, at, plotWidth, root)
			}
		}
	}
}

func svgWidth(t *testing.T, svg string) float64 {
	m := regexp.MustCompile(`<svg width="([0-9.]+)pt"`).FindStringSubmatch(svg)
	if m == nil {
		t.Fatalf("no svg width in %.200s", svg)
	}
	w, _ := strconv.ParseFloat(m[1], 64)
	return w
}

// TestPlacedLabelsDoNotOverlap places the labels of points as crowded as
// the example fleet's (two services a few points apart at the same
// height, a cluster of four) and checks no two labels overlap, none covers
// a point, and all stay inside the plot.
func TestPlacedLabelsDoNotOverlap(t *testing.T) {
	bounds := vg.Rectangle{Max: vg.Point{X: 500, Y: 360}}
	pts := []vg.Point{{X: 180, Y: 150}, {X: 222, Y: 148}, {X: 230, Y: 170}, {X: 238, Y: 140}, {X: 250, Y: 158},
		{X: 490, Y: 350}, {X: 5, Y: 5}, {X: 226, Y: 160}}
	sizes := make([]vg.Point, len(pts))
	for i := range sizes {
		sizes[i] = vg.Point{X: 80, Y: 10}
	}
	rs := placeLabels(pts, sizes, bounds)
	for i, r := range rs {
		if r.Min.X < bounds.Min.X || r.Max.X > bounds.Max.X || r.Min.Y < bounds.Min.Y || r.Max.Y > bounds.Max.Y {
			t.Errorf("label %d at %v: outside %v", i, r, bounds)
		}
		if got := r.Size(); got.X < sizes[i].X || got.Y != sizes[i].Y {
			t.Errorf("label %d is %v, smaller than its text %v", i, got, sizes[i])
		}
		for j, s := range rs[:i] {
			if overlaps(r, s) {
				t.Errorf("labels %d %v and %d %v overlap", i, r, j, s)
			}
		}
		for j, p := range pts {
			glyph := vg.Rectangle{Min: vg.Point{X: p.X - 4, Y: p.Y - 4}, Max: vg.Point{X: p.X + 4, Y: p.Y + 4}}
			if overlaps(r, glyph) {
				t.Errorf("label %d %v covers point %d %v", i, r, j, p)
			}
		}
	}
}
