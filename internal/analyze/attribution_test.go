package analyze

import (
	"math"
	"testing"
	"time"

	"github.com/gcwatch/gcwatch/internal/model"
)

// attributionRun is this timeline (ms), one GC cycle and one non-GC pause:
//
//	0    10   20   30   40   50   60   70   80
//	|----|----|----|----|----|----|----|----|
//	          S============M              N      S sweep termination [10,11)
//	                                             = mark [11,40), M mark termination [40,42)
//	                                             N non-GC STW [70,75)
//	    r1 [5,15)
//	                        r2 [38,45)
//	                               r3 [60,80)
//
// plus 97 requests of 1 ms at [85,86).
func attributionRun() *model.Run {
	at := func(v float64) model.Time { return model.Time(ms(v)) }
	c := model.Cycle{N: 5, Start: at(10), End: at(42), SweepTerminationAt: at(10), SweepTermination: ms(1),
		Mark: ms(29), MarkTerminationAt: at(40), MarkTermination: ms(2)}
	run := &model.Run{Start: 0, End: at(100), GOMAXPROCS: 2, Cycles: []model.Cycle{c},
		Pauses: []model.Pause{
			{Start: at(10), Duration: ms(1), Kind: model.PauseSweepTermination, Cycle: 0},
			{Start: at(40), Duration: ms(2), Kind: model.PauseMarkTermination, Cycle: 0},
			{Start: at(70), Duration: ms(5), Kind: model.PauseNonGC, Reason: "read mem stats", Cycle: -1},
		}}
	run.Requests = model.RequestsOf(
		model.Request{ID: 1, Kind: model.RequestTask, Start: at(5), End: at(15), Accounted: true,
			Running: ms(6), Runnable: ms(3), RunnableDuringMark: ms(2), Assist: ms(0.5), Blocked: ms(1)},
		model.Request{ID: 2, Kind: model.RequestTask, Start: at(38), End: at(45), Accounted: true, Running: ms(3)},
		model.Request{ID: 3, Kind: model.RequestTask, Start: at(60), End: at(80), Accounted: true, Blocked: ms(15)},
	)
	for i := 0; i < 97; i++ {
		run.Requests = appendRequests(run.Requests, model.Request{ID: uint64(10 + i), Kind: model.RequestTask, Start: at(85), End: at(86), Accounted: true, Running: ms(1)})
	}
	return run
}

func near(a, b time.Duration) bool { return math.Abs(float64(a-b)) < float64(time.Microsecond) }

func TestAttributeBreakdown(t *testing.T) {
	run := attributionRun()
	iv := newGCIntervals(run)
	r1 := iv.attribute(run.Requests.At(0))
	b := r1.Breakdown
	// Outside marking and pauses r1 had 10 − 4 − 1 = 5 ms and was runnable
	// 3 − 2 = 1 ms of it; at that rate it would have been runnable 0.8 ms of
	// its 4 ms of marking, so 2 − 0.8 = 1.2 ms is the GC's.
	if b.SweepTermination != ms(1) || b.MarkTermination != 0 || !near(b.RunnableGC, ms(1.2)) || b.Assist != ms(0.5) {
		t.Errorf("r1 breakdown %+v", b)
	}
	if !near(b.GC(r1.Latency), ms(2.7)) || !near(b.Other, ms(7.3)) {
		t.Errorf("r1 GC %v other %v", b.GC(r1.Latency), b.Other)
	}
	if len(r1.Cycles) != 1 || r1.Cycles[0] != 5 || len(r1.Phases) != 3 {
		t.Errorf("r1 cycles %v phases %v", r1.Cycles, r1.Phases)
	}
	r2 := iv.attribute(run.Requests.At(1)).Breakdown
	if r2.MarkTermination != ms(2) || r2.SweepTermination != 0 {
		t.Errorf("r2 breakdown %+v", r2)
	}
	r3 := iv.attribute(run.Requests.At(2)).Breakdown
	if r3.NonGCSTW != ms(5) || r3.GC(ms(20)) != 0 || r3.Other != ms(15) {
		t.Errorf("r3 breakdown %+v", r3)
	}
}

func TestAttributeTail(t *testing.T) {
	run := attributionRun()
	a := Attribute(run, run.Requests, 5)
	if a.Requests != 100 || a.Tail99.Requests != 1 || a.Tail999.Requests != 1 {
		t.Fatalf("requests %d, tails %d %d", a.Requests, a.Tail99.Requests, a.Tail999.Requests)
	}
	// The slowest request (r3, 20 ms) met only a non-GC pause.
	if a.Tail99.GCShare != 0 || a.Tail99.STWOverlapFraction != 0 || a.Worst[0].Request.ID != 3 {
		t.Errorf("tail %+v worst %d", a.Tail99, a.Worst[0].Request.ID)
	}
	// Observed: 97 × 1 ms, 7, 10, 20 → p99 (99th smallest) 10 ms.
	// Without GC: r1 10 − 2.7 = 7.3, r2 7 − 2 = 5 → p99 7.3 ms.
	if a.Tail99.Observed != ms(10) || !near(a.Tail99.WithoutGC, ms(7.3)) {
		t.Errorf("p99 %v, without GC %v", a.Tail99.Observed, a.Tail99.WithoutGC)
	}
	if len(a.Worst) != 5 || a.Worst[1].Request.ID != 1 || a.Worst[2].Request.ID != 2 {
		t.Errorf("worst order wrong")
	}
	// r3 ends in the 80 ms window: the only spike.
	if len(a.Spikes) != 1 || a.Spikes[0].Max != ms(20) || len(a.Spikes[0].Cycles) != 0 {
		t.Errorf("spikes %+v", a.Spikes)
	}
}

func TestAttributeSlowestTwoPercent(t *testing.T) {
	run := attributionRun()
	// 200 requests: the tail holds ceil(0.01·200) = 2, r3 and r1 (r1 met
	// sweep termination). Duplicate the fast ones to reach 200.
	for i := 0; i < 100; i++ {
		run.Requests = appendRequests(run.Requests, run.Requests.At(3))
	}
	a := Attribute(run, run.Requests, 3)
	if a.Tail99.Requests != 2 || a.Tail99.STWOverlapFraction != 0.5 {
		t.Errorf("tail %+v", a.Tail99)
	}
	want := float64(ms(2.7)) / float64(ms(30))
	if math.Abs(a.Tail99.GCShare-want) > 1e-6 {
		t.Errorf("gc share %v, want %v", a.Tail99.GCShare, want)
	}
}

// appendRequests is append for a run's requests.
func appendRequests(rs *model.Requests, more ...model.Request) *model.Requests {
	if rs == nil {
		rs = &model.Requests{}
	}
	for _, r := range more {
		rs.Append(r)
	}
	return rs
}

// TestAttributeShareNoise: the GC share's standard error is the GC time
// each cycle brought to the tail, summed in quadrature, over the tail's
// latency.
func TestAttributeShareNoise(t *testing.T) {
	run := attributionRun()
	for i := 0; i < 200; i++ {
		run.Requests = appendRequests(run.Requests, model.Request{ID: uint64(200 + i), Kind: model.RequestTask, Start: model.Time(ms(85)), End: model.Time(ms(86)), Accounted: true, Running: ms(1)})
	}
	a := Attribute(run, run.Requests, 3)
	// 300 requests: the tail is r3 (20 ms, no GC), r1 (10 ms, 2.7 ms GC)
	// and r2 (7 ms, its 2 ms in mark termination), both of gc 5: one
	// cluster of 4.7 ms. A share one cycle brought is as uncertain as it
	// is large.
	tl := a.Tail99
	if tl.Requests != 3 || math.Abs(tl.GCShare-4.7/37) > 1e-6 || math.Abs(tl.GCShareSE-4.7/37) > 1e-6 {
		t.Errorf("tail of %d: share %.5f ± %.5f, want %.5f ± %.5f", tl.Requests, tl.GCShare, tl.GCShareSE, 4.7/37, 4.7/37)
	}
	// The same GC time from two cycles, and a request that lost time to
	// the GC without overlapping one (its own cluster): √(3² + 3² + 1²)
	// over 40 ms.
	tail := []RequestAttribution{
		{Latency: ms(10), Breakdown: Breakdown{Assist: ms(1)}, Cycles: []int{7}},
		{Latency: ms(10), Breakdown: Breakdown{MarkTermination: ms(2)}, Cycles: []int{7, 8}},
		{Latency: ms(10), Breakdown: Breakdown{Assist: ms(3)}, Cycles: []int{8}},
		{Latency: ms(10), Breakdown: Breakdown{Sweep: ms(1)}},
	}
	if got, want := shareSE(tail, ms(40)), math.Sqrt(9+9+1)/40; math.Abs(got-want) > 1e-9 {
		t.Errorf("shareSE %.6f, want %.6f", got, want)
	}
}
