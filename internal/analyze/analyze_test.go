package analyze

import (
	"cmp"
	"math"
	"math/rand/v2"
	"slices"
	"testing"
	"time"

	"github.com/gcwatch/gcwatch/internal/model"
)

func ms(v float64) time.Duration { return time.Duration(v * float64(time.Millisecond)) }

func TestNearestRank(t *testing.T) {
	var ds []time.Duration
	for i := 1; i <= 100; i++ {
		ds = append(ds, time.Duration(i))
	}
	for _, tc := range []struct {
		p    float64
		want time.Duration
	}{
		{0.5, 50}, {0.9, 90}, {0.99, 99}, {0.999, 100}, {1, 100}, {0.001, 1}, {0.0001, 1},
	} {
		if got := NearestRank(ds, tc.p); got != tc.want {
			t.Errorf("NearestRank(1..100, %v) = %v, want %v", tc.p, got, tc.want)
		}
	}
	// 1000 values: p99.9 is the 999th smallest, p99 the 990th.
	ds = ds[:0]
	for i := 1; i <= 1000; i++ {
		ds = append(ds, time.Duration(i))
	}
	if got := NearestRank(ds, 0.999); got != 999 {
		t.Errorf("p99.9 of 1..1000 = %v, want 999", got)
	}
	if got := NearestRank(ds, 0.99); got != 990 {
		t.Errorf("p99 of 1..1000 = %v, want 990", got)
	}
	if got := NearestRank(nil, 0.5); got != 0 {
		t.Errorf("NearestRank(nil) = %v", got)
	}
}

func TestDistributeDoesNotReorder(t *testing.T) {
	ds := []time.Duration{5, 1, 3}
	d := Distribute(ds)
	if ds[0] != 5 || d.Max != 5 || d.Total != 9 || d.P50 != 3 || d.Count != 3 {
		t.Fatalf("Distribute = %+v, input now %v", d, ds)
	}
}

// TestDistributeDescending checks the distribution read off a
// descending slice against Distribute, on sizes around the percentiles'
// rank boundaries, with many ties and without.
func TestDistributeDescending(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for _, n := range []int{0, 1, 2, 3, 99, 100, 101, 999, 1000, 1001, 12345} {
		for _, spread := range []int64{3, 1 << 40} {
			ds := make([]time.Duration, n)
			for i := range ds {
				ds[i] = time.Duration(rng.Int64N(spread))
			}
			want := Distribute(ds)
			desc := slices.Clone(ds)
			slices.SortFunc(desc, func(a, b time.Duration) int { return cmp.Compare(b, a) })
			if got := distributeDescending(desc); got != want {
				t.Errorf("n=%d spread=%d: %+v, want %+v", n, spread, got, want)
			}
		}
	}
}

func TestCapacityIntegratesProcsChanges(t *testing.T) {
	run := &model.Run{
		Start: 0, End: model.Time(10 * time.Second), GOMAXPROCS: 2,
		ProcsChanges: []model.ProcsChange{{At: 0, Procs: 2}, {At: model.Time(4 * time.Second), Procs: 8}},
	}
	// 2 Ps for 4 s, then 8 Ps for 6 s.
	if got, want := Capacity(run), 56*time.Second; got != want {
		t.Fatalf("Capacity = %v, want %v", got, want)
	}
}

// gctraceRun is a run as the gctrace decoder makes it: three cycles at
// GOMAXPROCS 4 over one second.
func gctraceRun() *model.Run {
	mk := func(n int, at, st, mark, mt float64, live, start, end int64) model.Cycle {
		s := model.Time(ms(at))
		return model.Cycle{
			N: n, Start: s, End: s.Add(ms(st + mark + mt)),
			SweepTermination: ms(st), Mark: ms(mark), MarkTermination: ms(mt),
			SweepTerminationAt: s, MarkTerminationAt: s.Add(ms(st + mark)),
			CPU:       model.CycleCPU{SweepTermination: ms(st * 4), Assist: ms(1), Background: ms(mark), Idle: ms(2), MarkTermination: ms(mt * 4)},
			HeapStart: start << 20, HeapEnd: end << 20, HeapLive: live << 20, HeapGoal: 2 * live << 20,
			Procs: 4, From: model.FromGCTrace, CumulativeCPUPercent: -1, Stacks: -1, Globals: -1,
		}
	}
	cycles := []model.Cycle{
		mk(1, 100, 0.1, 10, 0.2, 4, 4, 5),
		mk(2, 400, 0.1, 10, 0.2, 4, 8, 9), // 9 − 4 = 5 MiB allocated over ~300 ms
		mk(3, 700, 0.3, 10, 0.5, 4, 8, 10),
	}
	run := &model.Run{Start: 0, End: model.Time(time.Second), GOMAXPROCS: 4, Cycles: cycles, Fidelity: model.Fidelity{GCTrace: true}}
	for i, c := range cycles {
		run.Pauses = append(run.Pauses,
			model.Pause{Start: c.SweepTerminationAt, Duration: c.SweepTermination, Kind: model.PauseSweepTermination, Reason: "GC sweep termination", Cycle: i, TimeToStop: -1},
			model.Pause{Start: c.MarkTerminationAt, Duration: c.MarkTermination, Kind: model.PauseMarkTermination, Reason: "GC mark termination", Cycle: i, TimeToStop: -1})
	}
	return run
}

func TestAnalyzeGCTrace(t *testing.T) {
	run := gctraceRun()
	res := Analyze(run, DefaultOptions())
	g := res.GC
	if g.Cycles != 3 || g.STW.Count != 6 {
		t.Fatalf("cycles %d, stw count %d", g.Cycles, g.STW.Count)
	}
	if g.STW.Max != ms(0.5) || g.STW.Total != ms(0.1+0.2+0.1+0.2+0.3+0.5) {
		t.Errorf("stw max %v total %v", g.STW.Max, g.STW.Total)
	}
	// CPU: per cycle STW cpu = 4 × wall, assist 1 ms, background 10 ms;
	// idle excluded. Capacity 4 × 1 s.
	stwCPU := 4 * (0.1 + 0.2 + 0.1 + 0.2 + 0.3 + 0.5)
	want := (stwCPU + 3*1 + 3*10) / 4000
	if math.Abs(g.CPUFraction-want) > 1e-9 || g.CPUSource != "gctrace" {
		t.Errorf("cpu fraction %v (%s), want %v", g.CPUFraction, g.CPUSource, want)
	}
	if g.MarkAssistTotal != nil {
		t.Errorf("mark assist total from a gctrace log should be unknown")
	}
	if math.Abs(g.PerSecond-3) > 1e-9 {
		t.Errorf("per second %v", g.PerSecond)
	}
	// Allocated: (9−4) + (10−4) MiB between the ends of cycles 1 and 3.
	span := (run.Cycles[2].End - run.Cycles[0].End)
	wantRate := float64(11<<20) / time.Duration(span).Seconds()
	if math.Abs(g.AllocRate-wantRate) > 1 {
		t.Errorf("alloc rate %v, want %v", g.AllocRate, wantRate)
	}
	if res.WorstPauses[0].Duration != ms(0.5) || res.WorstPauses[0].CycleN != 3 {
		t.Errorf("worst pause %+v", res.WorstPauses[0])
	}
	if res.MMU == nil || !res.MMU.Synthesized {
		t.Errorf("a gctrace-only run should get a synthesized MMU, got %+v", res.MMU)
	}
}

// latencyOf is the latency Analyze reports for a run of reqs alone, and
// the indices of the requests it counted.
func latencyOf(reqs []model.Request, taskType string) (Latency, []int32) {
	opts := DefaultOptions()
	opts.TaskType = taskType
	res := Analyze(&model.Run{Requests: model.RequestsOf(reqs...)}, opts)
	return res.Latency, res.Counted
}

func TestLatencyTopLevelTasks(t *testing.T) {
	reqs := []model.Request{
		{ID: 1, Type: "req", Kind: model.RequestTask, Start: 0, End: 10},
		{ID: 2, Parent: 1, Type: "db", Kind: model.RequestTask, Start: 1, End: 5},
		{ID: 3, Parent: 99, Type: "req", Kind: model.RequestTask, Start: 0, End: 30}, // parent began before the trace
		{ID: 4, Type: "req", Kind: model.RequestTask, Start: 0, End: 20, Open: true},
	}
	l, _ := latencyOf(reqs, "")
	if l.Source != "task" || l.Requests != 2 || l.Open != 1 || l.Max != 30 {
		t.Errorf("latency %+v", l)
	}
	l, _ = latencyOf(reqs, "db")
	if l.Requests != 1 || l.Max != 4 {
		t.Errorf("latency for db %+v", l)
	}
}

// TestLatencyInferred: inferred spans are the requests only when there
// are no tasks; their ids are their own, not parents of tasks.
func TestLatencyInferred(t *testing.T) {
	inferred := []model.Request{
		{ID: 1, Type: "http", Kind: model.RequestInferred, Start: 0, End: 40},
		{ID: 2, Type: "http", Kind: model.RequestInferred, Start: 0, End: 50, Open: true},
	}
	l, sel := latencyOf(inferred, "")
	if l.Source != "inferred" || l.Requests != 1 || l.Open != 1 || l.Max != 40 || len(sel) != 1 {
		t.Errorf("inferred only: %+v", l)
	}
	mixed := append([]model.Request{
		{ID: 7, Parent: 1, Type: "req", Kind: model.RequestTask, Start: 0, End: 10}, // parent 1 began before the trace
	}, inferred...)
	l, sel = latencyOf(mixed, "")
	if l.Source != "task" || l.Requests != 1 || l.Max != 10 || len(sel) != 1 || sel[0] != 0 {
		t.Errorf("tasks and inferred: %+v, selected %v", l, sel)
	}
}

func TestNonGCSTWGroupsByReason(t *testing.T) {
	pauses := []model.Pause{
		{Duration: 3, Kind: model.PauseNonGC, Reason: "read mem stats"},
		{Duration: 5, Kind: model.PauseNonGC, Reason: "read mem stats"},
		{Duration: 100, Kind: model.PauseNonGC, Reason: "goroutine profile"},
		{Duration: 1000, Kind: model.PauseMarkTermination, Reason: "GC mark termination"},
	}
	got := nonGCSTW(pauses)
	if len(got) != 2 || got[0].Reason != "goroutine profile" || got[1].Count != 2 || got[1].Total != 8 {
		t.Fatalf("nonGCSTW = %+v", got)
	}
}

func TestRegionsAreRequestsWithoutTasks(t *testing.T) {
	run := gctraceRun()
	run.Fidelity.Trace = true
	run.Regions = model.RegionsOf(
		model.Region{Type: "handle", Goroutine: 1, Start: 0, End: model.Time(ms(10))},
		model.Region{Type: "db", Goroutine: 1, Start: model.Time(ms(2)), End: model.Time(ms(5))}, // inside handle
		model.Region{Type: "handle", Goroutine: 2, Start: model.Time(ms(1)), End: model.Time(ms(4))},
		model.Region{Type: "handle", Goroutine: 1, Start: model.Time(ms(20)), End: model.Time(ms(26))},
	)
	res := Analyze(run, DefaultOptions())
	l := res.Latency
	if l.Source != "region" || l.Requests != 3 || l.Max != ms(10) {
		t.Errorf("latency %+v", l)
	}
	res = Analyze(run, Options{WorstPauses: 1, WorstRequests: 1, TaskType: "db"})
	if res.Latency.Requests != 1 || res.Latency.Max != ms(3) {
		t.Errorf("db regions: %+v", res.Latency)
	}
}
