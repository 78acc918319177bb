package promfleet

import (
	"cmp"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/gcwatch/gcwatch/internal/advice"
	"github.com/gcwatch/gcwatch/internal/fleet"
)

// Verdicts from the metrics alone. They stop short of the advisor's: the
// metrics show what GC costs, not which requests it slowed.
const (
	// WorthCapture: the metrics show GC cost high enough, against the
	// advisor's thresholds, that a trace capture should say whether it
	// makes the tail and what would fix it.
	WorthCapture = "worth-trace-capture"
	// QuietInMetrics: nothing in the metrics crosses a threshold. GC may
	// still add to the tail, but not enough to show at this resolution.
	QuietInMetrics = "gc-quiet-in-metrics"
)

// minCycles is the fewest GC cycles (over all instances) in the range for
// a job to be judged: with fewer, its GC numbers are one cycle's or none.
const minCycles = 2

// Assess judges each job and returns its fleet line, unranked.
func Assess(res *Result) []fleet.Service {
	out := make([]fleet.Service, 0, len(res.Jobs))
	for i := range res.Jobs {
		out = append(out, assess(&res.Jobs[i], &res.Opts))
	}
	return out
}

// verdict is a verdict from the metrics alone, in the advisor's shape:
// confidence "metrics only", no evidence rows, settings or estimates.
func verdict(id, summary string, sufficient bool) *advice.Verdict {
	return &advice.Verdict{ID: id, Summary: summary, Actions: []string{}, Evidence: []advice.Evidence{},
		Confidence: "metrics only", SufficientData: sufficient, Caveats: []string{}}
}

func assess(j *Job, o *Options) fleet.Service {
	m := j.Metrics
	s := fleet.Service{Name: j.Name, Source: fleet.SourcePrometheus, Data: "sufficient",
		Reasons: []string{}, Metrics: &m, P99Ms: m.LatencyMs}
	if m.GCCPUFraction != nil {
		s.GCCPUFraction = *m.GCCPUFraction
	}
	if m.HeapInuseMaxBytes != nil && m.HeapLiveMaxBytes != nil && *m.HeapInuseMaxBytes > 0 {
		over := max(0, (*m.HeapInuseMaxBytes-*m.HeapLiveMaxBytes) / *m.HeapInuseMaxBytes)
		s.MemoryOverhead = &over
	}
	objective := o.Objective
	if objective == 0 && m.LatencyMs != nil {
		objective = time.Duration(*m.LatencyMs * float64(time.Millisecond))
	}
	if pause := longestPause(&m); pause != nil && objective > 0 {
		share := *pause / (float64(objective) / float64(time.Millisecond))
		s.Metrics.PauseShareOfLatency = &share
	}
	s.Knowable = knowable(j, o)
	if m.GCCycles < minCycles {
		s.Data = "insufficient"
		s.Verdict = verdict(QuietInMetrics, fmt.Sprintf("too little data to judge: %.0f GC cycles in the range", m.GCCycles), false)
		s.Reasons = append(s.Reasons, fmt.Sprintf("too little data to rank: %.1f GC cycles over %v (want %d)", m.GCCycles, o.Range, minCycles))
		return s
	}
	s.Reasons = triggers(s.Metrics, o, objective)
	s.WorthCapture = len(s.Reasons) > 0
	if s.WorthCapture {
		s.Verdict = verdict(WorthCapture, "the metrics show GC cost worth a trace capture (gcwatch capture) to see whether it makes the tail", true)
	} else {
		s.Verdict = verdict(QuietInMetrics, "the metrics show no GC cost above the advisor's thresholds", true)
		s.Reasons = append(s.Reasons, quietReason(s.Metrics, o))
	}
	if throttled(&m, o) {
		s.Reasons = append(s.Reasons, throttleReason(&m, o))
	}
	if o.Objective > 0 && m.LatencyMs != nil && *m.LatencyMs > float64(o.Objective)/float64(time.Millisecond) {
		s.Reasons = append(s.Reasons, fmt.Sprintf("p%s latency %.2f ms is above the objective %v; the metrics cannot say whether GC is why",
			quantileName(m.LatencyQuantile), *m.LatencyMs, o.Objective))
	}
	return s
}

// longestPause is the histogram's p99 pause, else the summary's largest.
func longestPause(m *fleet.Metrics) *float64 {
	if m.PauseP99Ms != nil {
		return m.PauseP99Ms
	}
	return m.PauseSummaryMaxMs
}

// triggers lists every threshold the job's metrics cross, each as a reason
// to take a trace capture.
func triggers(m *fleet.Metrics, o *Options, objective time.Duration) []string {
	th := o.Thresholds
	var out []string
	switch cpu := m.GCCPUFraction; {
	case cpu == nil:
	case *cpu >= th.GCCPUHigh:
		out = append(out, fmt.Sprintf("GC takes %.1f%% of the CPU, at or above gc_cpu_high (%.0f%%)", *cpu*100, th.GCCPUHigh*100))
	case *cpu >= th.GCCPUTarget:
		out = append(out, fmt.Sprintf("GC takes %.1f%% of the CPU, at or above gc_cpu_target (%.0f%%), what a tuned service stays under", *cpu*100, th.GCCPUTarget*100))
	}
	if share := m.PauseShareOfLatency; share != nil && *share >= th.GCShareSmall {
		out = append(out, fmt.Sprintf("the longest GC pauses (%.2f ms) are %.0f%% of the latency objective (%v), at or above gc_share_small (%.0f%%)",
			*longestPause(m), *share*100, objective.Round(time.Microsecond), th.GCShareSmall*100))
	}
	if stop := m.StoppingP99Ms; stop != nil && *stop >= float64(th.TimeToStopMin)/float64(time.Millisecond) && !throttled(m, o) {
		out = append(out, fmt.Sprintf("stopping the world for GC takes %.2f ms at p99, at or above time_to_stop_min (%v): a fix-stw-delay pattern", *stop, th.TimeToStopMin))
	}
	return out
}

// throttled says whether the job's containers ran out of CPU quota in at
// least starved_throttled_share of their periods.
func throttled(m *fleet.Metrics, o *Options) bool {
	return m.CPUThrottledShare != nil && *m.CPUThrottledShare >= o.Thresholds.StarvedThrottledShare
}

// throttleReason says what throttling means for the job: its threads
// waited for CPU, which stretches every stop of the world; slow stops are
// then no sign of code that cannot be preempted, and the remedy is CPU.
func throttleReason(m *fleet.Metrics, o *Options) string {
	s := fmt.Sprintf("the containers ran out of their CPU quota in %.0f%% of CFS periods (container_cpu_cfs_throttled_periods_total), at or above starved_throttled_share (%.0f%%): the process is starved of CPU",
		*m.CPUThrottledShare*100, o.Thresholds.StarvedThrottledShare*100)
	if stop := m.StoppingP99Ms; stop != nil && *stop >= float64(o.Thresholds.TimeToStopMin)/float64(time.Millisecond) {
		s += fmt.Sprintf(", so stopping the world taking %.2f ms at p99 is not a fix-stw-delay pattern", *stop)
	}
	return s + "; set GOMAXPROCS at or below the CPU limit, or raise the limit"
}

func quietReason(m *fleet.Metrics, o *Options) string {
	parts := []string{fmt.Sprintf("%.2f GC cycles/s per instance", m.GCPerSecond)}
	if m.GCCPUFraction != nil {
		parts = append(parts, fmt.Sprintf("GC CPU %.1f%% (under gc_cpu_target %.0f%%)", *m.GCCPUFraction*100, o.Thresholds.GCCPUTarget*100))
	}
	if p := longestPause(m); p != nil {
		parts = append(parts, fmt.Sprintf("longest pauses %.2f ms", *p))
	}
	return strings.Join(parts, ", ")
}

func quantileName(q float64) string {
	return strings.TrimSuffix(strings.TrimRight(fmt.Sprintf("%.3f", q*100), "0"), ".")
}

// Rank orders the lines by how much GC the metrics show, as fleet.Rank
// orders captured services by what removing the GC would gain: jobs worth
// a capture first, then by GC CPU (the one cost metrics measure well), the
// longest pauses' share of the latency objective and memory overhead; jobs
// with too little data last, unranked.
func Rank(services []fleet.Service) []fleet.Service {
	out := slices.Clone(services)
	pauseShare := func(s fleet.Service) float64 {
		if s.Metrics == nil || s.Metrics.PauseShareOfLatency == nil {
			return 0
		}
		return *s.Metrics.PauseShareOfLatency
	}
	overhead := func(s fleet.Service) float64 {
		if s.MemoryOverhead == nil {
			return 0
		}
		return *s.MemoryOverhead
	}
	slices.SortStableFunc(out, func(a, b fleet.Service) int {
		if (a.Data == "insufficient") != (b.Data == "insufficient") {
			return boolOrder(a.Data == "insufficient")
		}
		if a.WorthCapture != b.WorthCapture {
			return boolOrder(b.WorthCapture)
		}
		return cmp.Or(
			cmp.Compare(b.GCCPUFraction, a.GCCPUFraction),
			cmp.Compare(pauseShare(b), pauseShare(a)),
			cmp.Compare(overhead(b), overhead(a)),
			cmp.Compare(a.Name, b.Name),
		)
	})
	rank := 0
	for i := range out {
		if out[i].Data == "insufficient" {
			out[i].Rank = 0
			continue
		}
		rank++
		out[i].Rank = rank
	}
	return out
}

// boolOrder is 1 when first is true (sort it after), else -1.
func boolOrder(after bool) int {
	if after {
		return 1
	}
	return -1
}
