package plot

import (
	"fmt"
	"image/color"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"

	"github.com/gcwatch/gcwatch/internal/advice"
	"github.com/gcwatch/gcwatch/internal/fleet"
	"github.com/gcwatch/gcwatch/internal/report"
)

// The fleet plot is squarer than a process's time plots: both axes are
// shares, and the labels need room.
const (
	fleetWidth  = 8 * vg.Inch
	fleetHeight = 5.5 * vg.Inch
)

// verdictStyle is how one verdict's services are drawn: colour and shape
// both differ, so that the plot reads in grey print too.
type verdictStyle struct {
	color color.Color
	shape draw.GlyphDrawer
}

// verdictStyles, in legend order: the verdicts that point at the GC first.
var verdictStyles = []struct {
	verdict string
	style   verdictStyle
}{
	{advice.MigrationCandidate, verdictStyle{colorGC, draw.CircleGlyph{}}},
	{fleet.WorthCapture, verdictStyle{colorGC, draw.CircleGlyph{}}},
	{advice.FixSTWDelay, verdictStyle{colorNonGC, draw.PyramidGlyph{}}},
	{advice.ReduceAllocation, verdictStyle{colorSweep, draw.TriangleGlyph{}}},
	{advice.Tune, verdictStyle{colorAssist, draw.SquareGlyph{}}},
	{advice.NotTheCause, verdictStyle{colorLive, draw.BoxGlyph{}}},
	{fleet.QuietInMetrics, verdictStyle{colorLive, draw.BoxGlyph{}}},
}

// otherStyle draws a verdict this package does not know (or none).
var otherStyle = verdictStyle{colorGoal, draw.RingGlyph{}}

// verdictGroup is the services of one verdict as drawn: positions in per
// cent and their labels.
type verdictGroup struct {
	verdict string
	style   verdictStyle
	xys     plotter.XYs
	labels  []string
}

// fleetGroups splits the placed services by verdict, in legend order;
// verdicts nobody has are left out, unknown ones come last.
func fleetGroups(sc report.FleetScatter) []verdictGroup {
	var groups []verdictGroup
	index := map[string]int{}
	add := func(verdict string, style verdictStyle) {
		index[verdict] = len(groups)
		groups = append(groups, verdictGroup{verdict: verdict, style: style})
	}
	for _, vs := range verdictStyles {
		add(vs.verdict, vs.style)
	}
	for _, p := range sc.Points {
		i, ok := index[p.Verdict]
		if !ok {
			add(p.Verdict, otherStyle)
			i = index[p.Verdict]
		}
		g := &groups[i]
		g.xys = append(g.xys, plotter.XY{X: p.X * 100, Y: p.Y * 100})
		g.labels = append(g.labels, p.Name)
	}
	var out []verdictGroup
	for _, g := range groups {
		if len(g.xys) > 0 {
			out = append(out, g)
		}
	}
	return out
}

// FleetFigure draws the fleet plot: every service with the numbers placed
// by memory overhead against GC cost, labelled and styled by verdict, the
// decision record's outcome marked for comparison. The title says how
// many services were left out (report.FleetPlacement says which and why). It
// returns nil when no service can be placed.
func FleetFigure(doc *fleet.Document) (*report.Figure, error) {
	sc := report.FleetPlacement(doc)
	if len(sc.Points) == 0 {
		return nil, nil
	}
	pl := newPlot(sc.XLabel, sc.YLabel)
	top := 0.0
	for _, p := range sc.Points {
		top = max(top, p.Y*100)
	}
	if r := sc.Reference; r != nil {
		if err := referenceLines(pl, r); err != nil {
			return nil, err
		}
		top = max(top, r.Y*100)
	}
	var xys plotter.XYs
	var names []string
	for _, g := range fleetGroups(sc) {
		if err := points(pl, g.verdict, g.xys, g.style.color, g.style.shape, vg.Points(4)); err != nil {
			return nil, err
		}
		xys, names = append(xys, g.xys...), append(names, g.labels...)
	}
	// One set of labels for every service, so that none covers another.
	l, err := newPlacedLabels(xys, names)
	if err != nil {
		return nil, err
	}
	pl.Add(l)
	// Shares run from 0 to 100 % (a little more, so that the last tick's
	// label is not cut at the edge); the y axis stops a little above the
	// highest point so that a fleet of small shares is not squashed flat.
	pl.X.Min, pl.X.Max = 0, 104
	pl.Y.Min, pl.Y.Max = 0, min(100, max(10, top*1.2))
	pl.Title.Text = sc.Title + placedNote(len(sc.Points), len(sc.LeftOut))
	return &report.Figure{Name: "fleet", Title: sc.Title, Render: sizedRenderer(pl, fleetWidth, fleetHeight)}, nil
}

func placedNote(placed, left int) string {
	service := func(n int) string {
		if n == 1 {
			return "1 service"
		}
		return fmt.Sprintf("%d services", n)
	}
	if left == 0 {
		return fmt.Sprintf(" (%s)", service(placed))
	}
	// Short: a browser draws the SVG's text in its own, wider font.
	return fmt.Sprintf(" (%s placed, %d left out)", service(placed), left)
}

// referenceLines marks the decision record's outcome: a cross where its
// migrated services were and dashed guides to the axes. A service up and
// to the right of it would gain more from losing the GC than they did.
func referenceLines(pl *plot.Plot, r *report.FleetPoint) error {
	x, y := r.X*100, r.Y*100
	guide := plotter.XYs{{X: 0, Y: y}, {X: x, Y: y}, {X: x, Y: 0}}
	l, err := plotter.NewLine(guide)
	if err != nil {
		return err
	}
	l.Color = colorGoal
	l.Width = vg.Points(0.8)
	l.Dashes = []vg.Length{vg.Points(3), vg.Points(3)}
	pl.Add(l)
	name := fmt.Sprintf("decision record's migrations: memory %+.0f%%, p99 %+.0f%%", -x, -y)
	return points(pl, name, plotter.XYs{{X: x, Y: y}}, colorMain, draw.CrossGlyph{}, vg.Points(5))
}
