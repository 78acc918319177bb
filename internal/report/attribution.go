package report

import (
	"strings"
	"time"

	"github.com/gcwatch/gcwatch/internal/analyze"
	"github.com/gcwatch/gcwatch/internal/model"
)

// Attribution says how much of the tail latency is GC.
type Attribution struct {
	Requests  int  `json:"requests"`
	Accounted bool `json:"accounted"`
	// STWOverlapTotalMs is the summed overlap of every counted request
	// with GC stop-the-world pauses (the stw_overlap total of --pprof-out).
	STWOverlapTotalMs float64 `json:"stw_overlap_total_ms"`
	// The slowest 1 % (ceil(0.01·N) requests).
	TailRequests       int       `json:"tail_requests"`
	GCShareOfTail      float64   `json:"gc_share_of_tail"`
	STWOverlapFraction float64   `json:"stw_overlap_fraction"`
	P99Ms              float64   `json:"p99_ms"`
	P99WithoutGCMs     float64   `json:"p99_without_gc_ms"`
	Breakdown          Breakdown `json:"breakdown_ms"`
	// The slowest 0.1 %.
	P999          Tail999        `json:"p999"`
	Worst         []WorstRequest `json:"worst"`
	Spikes        []Spike        `json:"spikes"`
	SpikeWindowMs float64        `json:"spike_window_ms"`
}

// Tail999 is the attribution of the slowest 0.1 %.
type Tail999 struct {
	TailRequests       int       `json:"tail_requests"`
	GCShareOfTail      float64   `json:"gc_share_of_tail"`
	STWOverlapFraction float64   `json:"stw_overlap_fraction"`
	P999Ms             float64   `json:"p999_ms"`
	P999WithoutGCMs    float64   `json:"p999_without_gc_ms"`
	Breakdown          Breakdown `json:"breakdown_ms"`
}

// Breakdown splits latency by cause, in milliseconds.
type Breakdown struct {
	GC                 float64 `json:"gc"`
	SweepTermination   float64 `json:"sweep_termination"`
	MarkTermination    float64 `json:"mark_termination"`
	Assist             float64 `json:"assist"`
	RunnableGC         float64 `json:"runnable_gc"`
	Sweep              float64 `json:"sweep"`
	NonGCSTW           float64 `json:"non_gc_stw"`
	Other              float64 `json:"other"`
	RunnableDuringMark float64 `json:"runnable_during_mark"`
	Running            float64 `json:"running"`
	Runnable           float64 `json:"runnable"`
	Blocked            float64 `json:"blocked"`
	Syscall            float64 `json:"syscall"`
}

// WorstRequest is one of the slowest requests.
type WorstRequest struct {
	ID        uint64    `json:"id"`
	Type      string    `json:"type"`
	Kind      string    `json:"kind"`
	StartMs   float64   `json:"start_ms"`
	LatencyMs float64   `json:"latency_ms"`
	Breakdown Breakdown `json:"breakdown_ms"`
	Cycles    []int     `json:"cycles"`
	Phases    []string  `json:"phases"`
	// TraceID and SpanID are the request's span's ids, in hex, when it
	// came from OpenTelemetry spans.
	TraceID string `json:"trace_id,omitempty"`
	SpanID  string `json:"span_id,omitempty"`
}

// TraceURL is a link template (--trace-url) with {trace_id} and
// {span_id} replaced by a request's ids; "" when either is missing.
func TraceURL(template string, traceID, spanID string) string {
	if template == "" || traceID == "" {
		return ""
	}
	return strings.NewReplacer("{trace_id}", traceID, "{span_id}", spanID).Replace(template)
}

// Spike is a window of slow requests and the GC it met.
type Spike struct {
	StartMs  float64  `json:"start_ms"`
	EndMs    float64  `json:"end_ms"`
	Requests int      `json:"requests"`
	P99Ms    float64  `json:"p99_ms"`
	MaxMs    float64  `json:"max_ms"`
	GCShare  float64  `json:"gc_share"`
	Cycles   []int    `json:"cycles"`
	Phases   []string `json:"phases"`
}

func breakdown(b analyze.Breakdown, latency time.Duration) Breakdown {
	return Breakdown{
		GC: ms(b.GC(latency)), SweepTermination: ms(b.SweepTermination), MarkTermination: ms(b.MarkTermination),
		Assist: ms(b.Assist), RunnableGC: ms(b.RunnableGC), Sweep: ms(b.Sweep), NonGCSTW: ms(b.NonGCSTW),
		Other: ms(b.Other), RunnableDuringMark: ms(b.RunnableDuringMark),
		Running: ms(b.Running), Runnable: ms(b.Runnable), Blocked: ms(b.Blocked), Syscall: ms(b.Syscall),
	}
}

func buildAttribution(a *analyze.Attribution, start model.Time) *Attribution {
	if a == nil {
		return nil
	}
	rel := func(t model.Time) float64 { return ms(t.Sub(start)) }
	t99, t999 := a.Tail99, a.Tail999
	out := &Attribution{
		Requests: a.Requests, Accounted: a.Accounted, STWOverlapTotalMs: ms(a.STWOverlap),
		TailRequests: t99.Requests, GCShareOfTail: t99.GCShare, STWOverlapFraction: t99.STWOverlapFraction,
		P99Ms: ms(t99.Observed), P99WithoutGCMs: ms(t99.WithoutGC), Breakdown: breakdown(t99.Sum, t99.Latency),
		P999: Tail999{TailRequests: t999.Requests, GCShareOfTail: t999.GCShare, STWOverlapFraction: t999.STWOverlapFraction,
			P999Ms: ms(t999.Observed), P999WithoutGCMs: ms(t999.WithoutGC), Breakdown: breakdown(t999.Sum, t999.Latency)},
		Worst: []WorstRequest{}, Spikes: []Spike{}, SpikeWindowMs: ms(a.WindowSize),
	}
	// The tail's GC total is the sum of each request's capped GC time, which
	// the share already reflects.
	out.Breakdown.GC = t99.GCShare * ms(t99.Latency)
	out.P999.Breakdown.GC = t999.GCShare * ms(t999.Latency)
	for _, w := range a.Worst {
		wr := WorstRequest{
			ID: w.Request.ID, Type: w.Request.Type, Kind: string(w.Request.Kind),
			StartMs: rel(w.Request.Start), LatencyMs: ms(w.Latency), Breakdown: breakdown(w.Breakdown, w.Latency),
			Cycles: nonNil(w.Cycles), Phases: nonNilS(w.Phases),
		}
		if r := w.Request; !r.TraceID.IsZero() {
			wr.TraceID, wr.SpanID = r.TraceID.String(), r.SpanID.String()
		}
		out.Worst = append(out.Worst, wr)
	}
	for _, s := range a.Spikes {
		out.Spikes = append(out.Spikes, Spike{StartMs: rel(s.Start), EndMs: rel(s.End), Requests: s.Requests,
			P99Ms: ms(s.P99), MaxMs: ms(s.Max), GCShare: s.GCShare, Cycles: nonNil(s.Cycles), Phases: nonNilS(s.Phases)})
	}
	return out
}

func nonNil(v []int) []int {
	if v == nil {
		return []int{}
	}
	return v
}

func nonNilS(v []string) []string {
	if v == nil {
		return []string{}
	}
	return v
}
