package exectrace

import (
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	exptrace "golang.org/x/exp/trace"

	"github.com/gcwatch/gcwatch/internal/mmu"
	"github.com/gcwatch/gcwatch/internal/model"
)

// µs makes a record time from microseconds.
func µs(n int64) int64 { return n * 1000 }

func goState(t, g int64, p int32, to exptrace.GoState) record {
	return record{kind: recGoState, t: µs(t), g: g, p: p, to: to}
}

func rec(kind recordKind, t int64, fill func(*record)) record {
	r := record{kind: kind, t: µs(t)}
	if fill != nil {
		fill(&r)
	}
	return r
}

func buildRun(recs []record) *model.Run {
	run := &model.Run{}
	b := newBuilder(run, mmu.Options{})
	for i := range recs {
		b.apply(&recs[i])
	}
	return b.finish()
}

// TestBuilderCycle feeds a hand-made cycle. Time in µs; P0 and P1:
//
//	        10   20  30  40  50  60  70  80 85 90 95 100 110 120 130 140
//	G1 P0   run─task──────asst──run│runnable──────────────────P1 run│end
//	G2      runnable───────────────│P0 running ───────────sweep─────
//	G3 P1            │ded. worker ─────│
//	STW         [swt]                   [  mark term  ]
//	GC range     [─────────────────────────────────]
func TestBuilderCycle(t *testing.T) {
	recs := []record{
		rec(recSync, 0, nil),
		rec(recGOMAXPROCS, 0, func(r *record) { r.arg = 2 }),
		rec(recHeap, 0, func(r *record) { r.arg = 100 }),
		rec(recHeapGoal, 0, func(r *record) { r.arg = 200 }),
		rec(recProcKnown, 0, func(r *record) { r.p = 0 }),
		rec(recProcKnown, 0, func(r *record) { r.p = 1 }),
		goState(0, 1, 0, exptrace.GoRunning),
		goState(0, 2, -1, exptrace.GoRunnable),
		goState(0, 3, -1, exptrace.GoWaiting),
		rec(recTaskBegin, 10, func(r *record) { r.arg, r.str, r.g = 1, "req", 1 }),
		rec(recGCBegin, 20, func(r *record) { r.flag = flagForced }),
		rec(recSTWBegin, 20, func(r *record) { r.g, r.str = 1, reasonSweepTermination }),
		rec(recSTWEnd, 30, func(r *record) { r.g, r.str = 1, reasonSweepTermination }),
		goState(30, 3, 1, exptrace.GoRunning),
		rec(recLabel, 30, func(r *record) { r.g, r.flag = 3, uint8(workerDedicated) }),
		rec(recAssistBegin, 40, func(r *record) { r.g = 1 }),
		rec(recAssistEnd, 50, func(r *record) { r.g = 1 }),
		goState(60, 1, 0, exptrace.GoRunnable),
		goState(60, 2, 0, exptrace.GoRunning),
		goState(70, 3, 1, exptrace.GoWaiting),
		rec(recHeap, 75, func(r *record) { r.arg = 150 }),
		rec(recSTWBegin, 80, func(r *record) { r.g, r.str = 2, reasonMarkTermination }),
		rec(recHeap, 85, func(r *record) { r.arg = 120 }),
		rec(recGCEnd, 90, nil),
		rec(recSTWEnd, 95, func(r *record) { r.g, r.str = 2, reasonMarkTermination }),
		rec(recSweepBegin, 100, func(r *record) { r.p, r.g = 0, 2 }),
		rec(recSweepEnd, 110, func(r *record) { r.p, r.g = 0, 2 }),
		goState(120, 1, 1, exptrace.GoRunning),
		rec(recTaskEnd, 130, func(r *record) { r.arg, r.g = 1, 1 }),
		rec(recSync, 140, func(r *record) { r.flag = flagFinal }),
	}
	run := buildRun(recs)
	d := func(n int64) time.Duration { return time.Duration(µs(n)) }
	at := func(n int64) model.Time { return model.Time(µs(n)) }

	wantCycle := model.Cycle{
		N: 1, Start: at(20), End: at(95), Forced: true,
		SweepTermination: d(10), Mark: d(50), MarkTermination: d(15),
		SweepTerminationAt: at(20), MarkTerminationAt: at(80),
		CPU: model.CycleCPU{
			SweepTermination: d(20), MarkTermination: d(30), Assist: d(10),
			Background: d(40), Dedicated: d(40), Sweep: d(10),
		},
		HeapStart: 100, HeapEnd: 150, HeapLive: 120, HeapGoal: 200,
		Stacks: -1, Globals: -1, Procs: 2, CumulativeCPUPercent: -1, From: model.FromTrace,
	}
	if len(run.Cycles) != 1 {
		t.Fatalf("cycles: %+v", run.Cycles)
	}
	if diff := cmp.Diff(wantCycle, run.Cycles[0]); diff != "" {
		t.Errorf("cycle (-want +got):\n%s", diff)
	}
	wantPauses := []model.Pause{
		{Start: at(20), Duration: d(10), Kind: model.PauseSweepTermination, Reason: reasonSweepTermination, Cycle: 0, Goroutine: 1},
		{Start: at(80), Duration: d(15), Kind: model.PauseMarkTermination, Reason: reasonMarkTermination, Cycle: 0, Goroutine: 2},
	}
	if diff := cmp.Diff(wantPauses, run.Pauses); diff != "" {
		t.Errorf("pauses (-want +got):\n%s", diff)
	}
	wantCPU := model.GCCPU{STW: d(50), Assist: d(10), Dedicated: d(40), Sweep: d(10), Capacity: d(280)}
	if diff := cmp.Diff(wantCPU, run.GCCPU); diff != "" {
		t.Errorf("GC CPU (-want +got):\n%s", diff)
	}
	wantReq := []model.Request{{
		ID: 1, Type: "req", Kind: model.RequestTask, Start: at(10), End: at(130),
		Goroutines: []uint64{1}, GoroutinesTotal: 1,
		Running: d(60), Runnable: d(60), RunnableDuringMark: d(20), Assist: d(10), Accounted: true,
	}}
	if diff := cmp.Diff(wantReq, run.Requests.Slice()); diff != "" {
		t.Errorf("requests (-want +got):\n%s", diff)
	}
	if run.Start != 0 || run.End != at(140) || run.GOMAXPROCS != 2 ||
		!cmp.Equal(run.ProcsChanges, []model.ProcsChange{{At: 0, Procs: 2}}) {
		t.Errorf("window [%d, %d], GOMAXPROCS %d, changes %v", run.Start, run.End, run.GOMAXPROCS, run.ProcsChanges)
	}
	if run.MMU == nil {
		t.Errorf("no MMU")
	}
}

// TestBuilderPartialAndStitching: a trace that starts while marking
// keeps the cycle as partial; "active" ranges and status repeats at a
// later generation start change nothing; time to stop waits for the
// goroutine running on the other proc.
func TestBuilderPartialAndStitching(t *testing.T) {
	recs := []record{
		rec(recSync, 0, nil),
		rec(recGOMAXPROCS, 0, func(r *record) { r.arg = 2 }),
		rec(recProcKnown, 0, func(r *record) { r.p = 0 }),
		rec(recProcKnown, 0, func(r *record) { r.p = 1 }),
		rec(recGCActive, 0, nil),
		goState(0, 1, 0, exptrace.GoRunning),
		goState(0, 2, 1, exptrace.GoRunning),
		rec(recAssistActive, 0, func(r *record) { r.g = 2 }),
		// A second generation: statuses and active ranges repeat.
		rec(recSync, 50, func(r *record) { r.flag = flagFinal }),
		rec(recSync, 51, nil),
		rec(recGCActive, 52, nil),
		goState(53, 1, 0, exptrace.GoRunning),
		rec(recAssistActive, 54, func(r *record) { r.g = 2 }),
		goState(55, 2, 1, exptrace.GoRunning),
		rec(recSTWBegin, 60, func(r *record) { r.g, r.str = 1, reasonMarkTermination }),
		rec(recAssistEnd, 62, func(r *record) { r.g = 2 }),
		goState(64, 2, 1, exptrace.GoRunnable),
		rec(recGCEnd, 70, nil),
		rec(recSTWEnd, 75, func(r *record) { r.g, r.str = 1, reasonMarkTermination }),
		rec(recSync, 100, func(r *record) { r.flag = flagFinal }),
	}
	run := buildRun(recs)
	if len(run.Cycles) != 1 {
		t.Fatalf("cycles: %+v", run.Cycles)
	}
	c := run.Cycles[0]
	if !c.Partial || c.Start != 0 || c.End != model.Time(µs(75)) || c.HeapStart != model.Unknown ||
		c.Mark != time.Duration(µs(60)) || c.CPU.Assist != time.Duration(µs(62)) {
		t.Errorf("cycle %+v", c)
	}
	if len(run.Pauses) != 1 || run.Pauses[0].TimeToStop != time.Duration(µs(4)) || run.Pauses[0].LastToStop != 2 {
		t.Errorf("pauses %+v, want time to stop 4µs by goroutine 2", run.Pauses)
	}
}
