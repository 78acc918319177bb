package report

import "io"

// Figure is one plot. The report package only places figures:
// internal/report/plot draws them from the document (it imports this
// package), and the command line hands them to the renderers in Figures.
type Figure struct {
	// Name is a file-name stem ("pauses", "heap", ...), unique within a
	// process.
	Name  string
	Title string
	// Render writes the figure as "svg" or "png".
	Render func(w io.Writer, format string) error
}

// Figures are the figures drawn for one document (plot.ForDocument,
// plot.ForComparison, plot.ForFleet); the HTML and Markdown renderers
// place them, text and JSON leave them out.
type Figures struct {
	// Processes are each process's figures, in the document's order.
	Processes [][]Figure
	// Comparison are a comparison's before/after figures.
	Comparison []Figure
	// Fleet is the fleet plot; nil when no service could be placed.
	Fleet *Figure
}

// process is the i-th process's figures; none when there are none.
func (f *Figures) process(i int) []Figure {
	if i < len(f.Processes) {
		return f.Processes[i]
	}
	return nil
}

// ShowsFigures says whether format f places figures: HTML and Markdown.
func (f Format) ShowsFigures() bool { return f == HTML || f == Markdown }
