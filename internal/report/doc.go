// Package report is the last step of gcwatch's pipeline: it turns analysis
// results into the versioned report document (schema "gcwatch/v2", see
// docs/json.md) and renders it as text, JSON, Markdown or HTML. Every
// format shows the same numbers because every renderer reads the same
// Document. The other documents — a comparison (internal/compare) and the
// fleet ranking (internal/fleet) — are rendered here too, with the same
// formats, style sheet (PageCSS), escaping and figures; the figures are
// drawn by internal/report/plot and passed in as Options.Figures.
//
// It analyses nothing: each number here was computed by internal/analyze
// (or internal/advice) and is only converted to report units — durations
// in milliseconds, sizes in bytes, fractions 0..1.
package report
