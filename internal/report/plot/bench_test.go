package plot

import (
	"io"
	"testing"
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
