package plot

import (
	"fmt"

	"github.com/gcwatch/gcwatch/internal/compare"
	"github.com/gcwatch/gcwatch/internal/fleet"
	"github.com/gcwatch/gcwatch/internal/report"
)

// ForDocument draws every process's figures, for report.Options.Figures.
func ForDocument(doc *report.Document) (*report.Figures, error) {
	figs := &report.Figures{Processes: make([][]report.Figure, len(doc.Processes))}
	for i := range doc.Processes {
		f, err := Figures(&doc.Processes[i])
		if err != nil {
			return nil, err
		}
		figs.Processes[i] = f
	}
	return figs, nil
}

// ForComparison draws a comparison's before/after figures.
func ForComparison(c *compare.Comparison) (*report.Figures, error) {
	f, err := CompareFigures(c)
	if err != nil {
		return nil, err
	}
	return &report.Figures{Comparison: f}, nil
}

// ForFleet draws the fleet plot; its Fleet is nil when no service can be
// placed.
func ForFleet(doc *fleet.Document) (*report.Figures, error) {
	f, err := FleetFigure(doc)
	if err != nil {
		return nil, fmt.Errorf("drawing the fleet plot: %w", err)
	}
	return &report.Figures{Fleet: f}, nil
}
