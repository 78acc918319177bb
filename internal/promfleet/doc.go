// Package promfleet is the monitoring side of the fleet report (gcwatch
// report --prometheus): instead of reading traces, it asks a Prometheus
// server — or any engine speaking its HTTP API (Thanos, Mimir,
// VictoriaMetrics) — for every Go job's GC metrics over a time range, in
// standard PromQL only, and turns each job into a fleet.Service line.
//
// The pipeline has three steps: Collect runs the queries and groups their
// answers by the job label into Job values (raw numbers, nothing judged);
// Assess judges each job with the advisor's thresholds and says what its
// metrics can and cannot tell; Rank orders the lines by how much GC the
// metrics show, jobs worth a trace capture first.
//
// Metrics can show that a job pays for GC (GC CPU, pause lengths, heap
// above the live heap) but not which requests the GC slowed: that needs a
// trace. So the verdicts here stop at "worth a trace capture".
package promfleet
