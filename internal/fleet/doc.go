// Package fleet ranks many services by what removing the GC would gain
// them, for the migration-candidate report (gcwatch report). It is pure:
// it takes each service's report (internal/report.Process, the analysis
// and the advisor's verdict) and returns the ranked fleet; reading the
// manifest and the captures is the command line's job.
package fleet
