package plot

import (
	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/text"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
)

// placedLabels writes each point's name beside it where it covers no
// other name and no point: the place is chosen when the plot is drawn,
// in the canvas's own units, since only then is it known how far apart
// the points are.
type placedLabels struct {
	xys   plotter.XYs
	names []string
	style text.Style
}

func newPlacedLabels(xys plotter.XYs, names []string) (*placedLabels, error) {
	// plotter.Labels' text style is the plot's default for labels.
	l, err := plotter.NewLabels(plotter.XYLabels{XYs: xys, Labels: names})
	if err != nil {
		return nil, err
	}
	return &placedLabels{xys: xys, names: names, style: l.TextStyle[0]}, nil
}

// Plot implements plot.Plotter.
func (l *placedLabels) Plot(c draw.Canvas, p *plot.Plot) {
	trX, trY := p.Transforms(&c)
	pts := make([]vg.Point, len(l.xys))
	sizes := make([]vg.Point, len(l.xys))
	for i, xy := range l.xys {
		pts[i] = vg.Point{X: trX(xy.X), Y: trY(xy.Y)}
		sizes[i] = l.style.Rectangle(l.names[i]).Size()
	}
	for i, r := range placeLabels(pts, sizes, c.Rectangle) {
		c.FillText(l.style, r.Min, l.names[i])
	}
}

// labelWiden is how much wider a browser may draw a label than it is
// measured here (it draws an SVG's text in its own sans-serif).
const labelWiden = 1.25

// placeLabels chooses, for the label of size sizes[i] (width, height) of
// each point, the first place beside it — right, left, above, below, then
// the corners and further out — that overlaps no label placed before it
// and no point (a glyph's room around each), inside bounds; when none is
// free, the place overlapping the fewest. It returns each label's
// rectangle, its Min the text's bottom left.
func placeLabels(pts, sizes []vg.Point, bounds vg.Rectangle) []vg.Rectangle {
	const gap, glyph = vg.Length(6), vg.Length(5)
	var taken []vg.Rectangle
	for _, p := range pts {
		taken = append(taken, vg.Rectangle{Min: vg.Point{X: p.X - glyph, Y: p.Y - glyph}, Max: vg.Point{X: p.X + glyph, Y: p.Y + glyph}})
	}
	out := make([]vg.Rectangle, len(pts))
	for i, p := range pts {
		w, h := sizes[i].X*labelWiden, sizes[i].Y
		offsets := []vg.Point{
			{X: gap, Y: -h / 3}, {X: -gap - w, Y: -h / 3}, // right, left
			{X: -w / 2, Y: gap}, {X: -w / 2, Y: -gap - h}, // above, below
			{X: gap, Y: gap / 2}, {X: gap, Y: -gap/2 - h}, // the right corners
			{X: -gap - w, Y: gap / 2}, {X: -gap - w, Y: -gap/2 - h}, // the left corners
			{X: gap, Y: h + gap}, {X: gap, Y: -2*h - gap}, // further out
			{X: -gap - w, Y: h + gap}, {X: -gap - w, Y: -2*h - gap},
			{X: -w / 2, Y: h + 2*gap}, {X: -w / 2, Y: -2*h - 2*gap},
		}
		best, bestOverlaps := vg.Rectangle{}, -1
		for _, o := range offsets {
			r := vg.Rectangle{Min: vg.Point{X: p.X + o.X, Y: p.Y + o.Y}, Max: vg.Point{X: p.X + o.X + w, Y: p.Y + o.Y + h}}
			if r.Min.X < bounds.Min.X || r.Max.X > bounds.Max.X || r.Min.Y < bounds.Min.Y || r.Max.Y > bounds.Max.Y {
				continue
			}
			n := 0
			for j, t := range taken {
				if j != i && overlaps(r, t) {
					n++
				}
			}
			if bestOverlaps < 0 || n < bestOverlaps {
				best, bestOverlaps = r, n
			}
			if n == 0 {
				break
			}
		}
		if bestOverlaps < 0 { // nowhere inside: to the right, as before
			best = vg.Rectangle{Min: vg.Point{X: p.X + gap, Y: p.Y - h/3}, Max: vg.Point{X: p.X + gap + w, Y: p.Y + h*2/3}}
		}
		out[i] = best
		taken = append(taken, best)
	}
	return out
}

func overlaps(a, b vg.Rectangle) bool {
	return a.Min.X < b.Max.X && b.Min.X < a.Max.X && a.Min.Y < b.Max.Y && b.Min.Y < a.Max.Y
}
