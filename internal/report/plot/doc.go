// Package plot is part of the report step of gcwatch's pipeline: it draws
// a report.Process — the analysis result in report units — as figures
// (gonum.org/v1/plot), each rendered to SVG or PNG: the pause timeline and
// histogram, the heap over time, request latency over time against the
// GC, the tail attribution of the slowest requests, the MMU curve and the
// advisor's what-if curves.
//
// It computes nothing new: each figure is built from series (series.go)
// taken directly from the document's numbers, and the tests check the
// series against those numbers. ForDocument, ForComparison and ForFleet
// draw a whole document's figures as report.Figures, which the command
// line hands to the HTML and Markdown renderers (this package imports
// report, so report does not call it).
package plot
