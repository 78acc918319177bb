package analyze

import (
	"math"
	"testing"
	"time"

	"github.com/gcwatch/gcwatch/internal/model"
)

// TestGCCPUTakesTheLogsMarkWork: for a trace lined up with its gctrace
// log, the GC CPU keeps the trace's stop-the-world CPU and takes the log's
// assist, background and idle for the cycles both saw; a cycle only the
// trace saw (the first, cut by the window) keeps the trace's. The expected
// shares are worked out by hand from the numbers below.
func TestGCCPUTakesTheLogsMarkWork(t *testing.T) {
	trace := []model.Cycle{
		{N: 1, From: model.FromTrace, CPU: model.CycleCPU{Assist: ms(4), Dedicated: ms(10), Background: ms(10), Idle: ms(1)}},
		{N: 2, From: model.FromBoth, CPU: model.CycleCPU{Assist: ms(6), Fractional: ms(30), Background: ms(30), Idle: ms(2)}},
		{N: 3, From: model.FromBoth, CPU: model.CycleCPU{Assist: ms(8), Fractional: ms(20), Background: ms(20), Idle: ms(3)}},
	}
	logged := []model.Cycle{
		{N: 2, From: model.FromGCTrace, CPU: model.CycleCPU{Assist: ms(5), Background: ms(18), Idle: ms(2)}},
		{N: 3, From: model.FromGCTrace, CPU: model.CycleCPU{Assist: ms(7), Background: ms(16), Idle: ms(4)}},
	}
	run := &model.Run{
		GOMAXPROCS: 2, Start: 0, End: model.Time(time.Second), Cycles: trace,
		Fidelity: model.Fidelity{Trace: true, GCTrace: true},
		// Window totals: the cycles' sums, plus 5 ms of STW.
		GCCPU:    model.GCCPU{STW: ms(5), Assist: ms(18), Dedicated: ms(10), Fractional: ms(50), Idle: ms(6), Capacity: 2 * time.Second},
		WholeLog: &model.Run{Cycles: logged},
	}
	frac, s, src := gcCPU(run)
	// STW 5; assist 4 (trace) + 5 + 7 (log) = 16; background 10 + 18 + 16
	// = 44; idle 1 + 2 + 4 = 7; over 2000 ms.
	want := CPUShares{STW: 5.0 / 2000, Assist: 16.0 / 2000, Background: 44.0 / 2000, Idle: 7.0 / 2000}
	near := func(a, b float64) bool { return math.Abs(a-b) < 1e-12 }
	if src != "trace and gctrace" || !near(s.STW, want.STW) || !near(s.Assist, want.Assist) || !near(s.Background, want.Background) || !near(s.Idle, want.Idle) {
		t.Errorf("shares %+v from %q, want %+v from the trace and the log", s, src, want)
	}
	if !near(frac, want.STW+want.Assist+want.Background) {
		t.Errorf("GC CPU %v, want %v", frac, want.STW+want.Assist+want.Background)
	}
	// Without the log, the trace's own figures.
	run.WholeLog = nil
	if _, s, src := gcCPU(run); src != "trace" || !near(s.Assist, 18.0/2000) || !near(s.Background, 60.0/2000) {
		t.Errorf("trace alone: %+v from %q", s, src)
	}
}
