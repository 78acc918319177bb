// Package compare is the step after advice for two sets of runs: it takes
// the analyses (and verdicts) of a BEFORE and an AFTER side and returns one
// row per figure — the value on each side, the change, and whether the
// change stands out of the noise — plus, when BEFORE's verdict recommended
// a setting that AFTER ran with, the prediction checked against what AFTER
// measured.
//
// It is pure: values in, values out. The statistics are in stats.go: a
// Mann–Whitney U test between the two sides' samples (requests, pauses,
// GC cycles) and bootstrap confidence intervals, with a fixed seed so that
// the same inputs always give the same report.
package compare
