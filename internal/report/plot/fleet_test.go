package plot

import (
	"bytes"
	"strings"
	"testing"

	"github.com/gcwatch/gcwatch/internal/advice"
	"github.com/gcwatch/gcwatch/internal/fleet"
	"github.com/gcwatch/gcwatch/internal/report"
)

func ptr(v float64) *float64 { return &v }

// fleetDocument is a captures fleet with one service of each kind the
// plot must handle: placed under a known verdict, under an unknown one,
// left out for too little data (though it has numbers), for no share of
// the tail, for no memory overhead; and a name that is a script.
func fleetDocument() *fleet.Document {
	adr := &fleet.WithoutGC{ADRP99Change: -0.25, ADRMemoryChange: -0.5}
	return &fleet.Document{Kind: "fleet", Services: []fleet.Service{
		{Name: "checkout", Verdict: &advice.Verdict{ID: "migration-candidate"}, Data: "sufficient", GCShareOfTail: ptr(0.41), MemoryOverhead: ptr(0.62), WithoutGC: adr},
		{Name: "ledger", Verdict: &advice.Verdict{ID: "tune"}, Data: "sufficient", GCShareOfTail: ptr(0.12), MemoryOverhead: ptr(0.45), WithoutGC: adr},
		{Name: "odd", Verdict: &advice.Verdict{ID: "something-new"}, Data: "sufficient", GCShareOfTail: ptr(0.2), MemoryOverhead: ptr(0.1)},
		{Name: "<script>alert(1)</script>", Verdict: &advice.Verdict{ID: "gc-not-the-cause"}, Data: "sufficient", GCShareOfTail: ptr(0.02), MemoryOverhead: ptr(0.3)},
		{Name: "batch", Verdict: &advice.Verdict{ID: "tune"}, Data: "sufficient", MemoryOverhead: ptr(0.5)},
		{Name: "nolive", Verdict: &advice.Verdict{ID: "tune"}, Data: "sufficient", GCShareOfTail: ptr(0.3)},
		{Name: "thin", Verdict: &advice.Verdict{ID: "tune"}, Data: "insufficient", GCShareOfTail: ptr(0.9), MemoryOverhead: ptr(0.9)},
	}}
}

// TestFleetSeries checks which services the fleet plot places, where (in
// per cent, from the document's fractions), in which verdict group, and
// which it leaves out and why.
func TestFleetSeries(t *testing.T) {
	sc := report.FleetPlacement(fleetDocument())
	type pt struct {
		name string
		x, y float64
	}
	want := map[string][]pt{
		"migration-candidate": {{"checkout", 62, 41}},
		"tune":                {{"ledger", 45, 12}},
		"gc-not-the-cause":    {{"<script>alert(1)</script>", 30, 2}},
		"something-new":       {{"odd", 10, 20}},
	}
	groups := fleetGroups(sc)
	var order []string
	for _, g := range groups {
		order = append(order, g.verdict)
		w := want[g.verdict]
		if len(w) != len(g.xys) || len(g.labels) != len(g.xys) {
			t.Errorf("%s: %d points, %d labels; want %d", g.verdict, len(g.xys), len(g.labels), len(w))
			continue
		}
		for i, p := range w {
			if g.labels[i] != p.name || !near(g.xys[i].X, p.x) || !near(g.xys[i].Y, p.y) {
				t.Errorf("%s point %d: %s at (%g, %g), want %s at (%g, %g)", g.verdict, i, g.labels[i], g.xys[i].X, g.xys[i].Y, p.name, p.x, p.y)
			}
		}
	}
	// Legend order: migration first, not-the-cause after tune, unknown last.
	if got := strings.Join(order, " "); got != "migration-candidate tune gc-not-the-cause something-new" {
		t.Errorf("groups %s", got)
	}
	wantLeft := []report.FleetLeftOut{
		{Name: "batch", Why: "no request latency, so no GC share of the tail"},
		{Name: "nolive", Why: "no live heap measured, so no memory overhead"},
		{Name: "thin", Why: "too little data"},
	}
	if len(sc.LeftOut) != len(wantLeft) {
		t.Fatalf("left out %v, want %v", sc.LeftOut, wantLeft)
	}
	for i := range wantLeft {
		if sc.LeftOut[i] != wantLeft[i] {
			t.Errorf("left out %d: %+v, want %+v", i, sc.LeftOut[i], wantLeft[i])
		}
	}
	if r := sc.Reference; r == nil || !near(r.X, 0.5) || !near(r.Y, 0.25) {
		t.Errorf("decision record at %+v, want (0.5, 0.25)", r)
	}
}

// TestFleetFigure renders the fleet plot as PNG and SVG: both decode, the
// title counts the services left out, and the script-named service is
// text in the SVG, not markup.
func TestFleetFigure(t *testing.T) {
	f, err := FleetFigure(fleetDocument())
	if err != nil || f == nil {
		t.Fatalf("figure %v, %v", f, err)
	}
	checkImages(t, []report.Figure{*f})
	var svg bytes.Buffer
	if err := f.Render(&svg, "svg"); err != nil {
		t.Fatal(err)
	}
	s := svg.String()
	if strings.Contains(s, "<script") || !strings.Contains(s, "&lt;script&gt;alert(1)&lt;/script&gt;") {
		t.Errorf("the service named as a script is not escaped in the SVG")
	}
	for _, want := range []string{"4 services placed, 3 left out", "decision record", "checkout", "ledger", "GC share of the slowest 1%"} {
		if !strings.Contains(s, xmlEscape(want)) {
			t.Errorf("the SVG lacks %q", want)
		}
	}
	if strings.Contains(s, ">thin<") || strings.Contains(s, ">batch<") {
		t.Errorf("a service left out is labelled on the plot")
	}
}

// TestFleetFigureFromMetrics checks a report read from monitoring is
// plotted on what metrics give, GC CPU, with no decision-record point
// (its p99 change is not a GC CPU), and that nothing placeable draws
// nothing.
func TestFleetFigureFromMetrics(t *testing.T) {
	doc := &fleet.Document{Kind: "fleet", Source: fleet.SourcePrometheus, Services: []fleet.Service{
		{Name: "heavy", Verdict: &advice.Verdict{ID: "worth-trace-capture"}, Data: "sufficient", MemoryOverhead: ptr(0.7), GCCPUFraction: 0.3,
			Metrics: &fleet.Metrics{GCCPUFraction: ptr(0.3)}},
		{Name: "nocpu", Verdict: &advice.Verdict{ID: "gc-quiet-in-metrics"}, Data: "sufficient", MemoryOverhead: ptr(0.2), Metrics: &fleet.Metrics{}},
	}}
	sc := report.FleetPlacement(doc)
	if len(sc.Points) != 1 || sc.Points[0].Name != "heavy" || !near(sc.Points[0].Y, 0.3) || !near(sc.Points[0].X, 0.7) {
		t.Errorf("points %+v, want heavy at (0.7, 0.3)", sc.Points)
	}
	if len(sc.LeftOut) != 1 || sc.LeftOut[0].Why != "no GC CPU in its metrics" || sc.Reference != nil {
		t.Errorf("left out %+v, reference %+v", sc.LeftOut, sc.Reference)
	}
	if !strings.Contains(sc.YLabel, "GC CPU") || !strings.Contains(sc.YLabel, "cannot give the share of the tail") {
		t.Errorf("y label %q does not say it is GC CPU, not the tail", sc.YLabel)
	}
	f, err := FleetFigure(doc)
	if err != nil || f == nil {
		t.Fatalf("figure %v, %v", f, err)
	}
	checkImages(t, []report.Figure{*f})

	doc.Services = doc.Services[1:]
	if f, err := FleetFigure(doc); f != nil || err != nil {
		t.Errorf("no placeable service: figure %v, %v", f, err)
	}
}
