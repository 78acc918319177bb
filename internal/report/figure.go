package report

import (
	"io"

	"github.com/gcwatch/gcwatch/internal/compare"
	"github.com/gcwatch/gcwatch/internal/fleet"
)

// Figure is one plot of a process. The report package only places
// figures; internal/report/plot draws them (it imports this package, so
// the renderers take it as a Plotter instead of importing it).
type Figure struct {
	// Name is a file-name stem ("pauses", "heap", ...), unique within a
	// process.
	Name  string
	Title string
	// Render writes the figure as "svg" or "png".
	Render func(w io.Writer, format string) error
}

// Plotter draws the figures a process has data for.
type Plotter func(p *Process) ([]Figure, error)

// ComparePlotter draws the before/after figures of a comparison.
type ComparePlotter func(c *compare.Comparison) ([]Figure, error)

// FleetPlotter draws the fleet plot; nil without a service to place.
type FleetPlotter func(doc *fleet.Document) (*Figure, error)
