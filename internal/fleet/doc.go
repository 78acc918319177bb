// Package fleet ranks many services by what removing the GC would gain
// them, for the migration-candidate report (gcwatch report). It is a step
// after advice: it takes each service's analysis (internal/analyze) and
// the advisor's outcome (internal/advice), or the numbers read from
// monitoring (internal/promfleet), and returns the ranked fleet, which
// internal/report renders. It is pure: reading the manifest and the
// captures is the command line's job.
package fleet
