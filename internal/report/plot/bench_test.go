package plot

import (
	"fmt"
	"io"
	"testing"

	"github.com/gcwatch/gcwatch/internal/advice"
	"github.com/gcwatch/gcwatch/internal/fleet"
)

// BenchmarkFigures draws a real recording's figures and renders each as
// SVG and PNG: the cost --format html and markdown add.
func BenchmarkFigures(b *testing.B) {
	p := pipelineProcess(b, "tune-before", 512<<20)
	for b.Loop() {
		figs, err := Figures(p)
		if err != nil {
			b.Fatal(err)
		}
		for _, f := range figs {
			for _, format := range []string{"svg", "png"} {
				if err := f.Render(io.Discard, format); err != nil {
					b.Fatal(err)
				}
			}
		}
	}
}

// BenchmarkFleetFigure draws and renders the fleet plot of 200 services,
// as SVG and PNG: the cost the fleet report's HTML and Markdown add.
func BenchmarkFleetFigure(b *testing.B) {
	doc := &fleet.Document{Kind: "fleet"}
	verdicts := []string{"migration-candidate", "tune", "reduce-allocation", "fix-stw-delay", "gc-not-the-cause"}
	for i := range 200 {
		doc.Services = append(doc.Services, fleet.Service{Name: fmt.Sprintf("service-%d", i), Verdict: &advice.Verdict{ID: verdicts[i%len(verdicts)]},
			Data: "sufficient", GCShareOfTail: ptr(float64(i%97) / 100), MemoryOverhead: ptr(float64(i%89) / 100)})
	}
	for b.Loop() {
		f, err := FleetFigure(doc)
		if err != nil || f == nil {
			b.Fatal(f, err)
		}
		for _, format := range []string{"svg", "png"} {
			if err := f.Render(io.Discard, format); err != nil {
				b.Fatal(err)
			}
		}
	}
}
