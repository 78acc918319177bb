package exectrace

import (
	"bytes"
	"runtime"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/gcwatch/gcwatch/internal/model"
)

func TestReadLiveTrace(t *testing.T) {
	data, numGC := traced(t, workload{tasks: 60, workers: 2, alloc: 256 << 10, forced: 3})
	raw := rawRead(t, data)
	run, err := Read(bytes.NewReader(data), "live.trace", Options{AllRegions: true})
	if err != nil {
		t.Fatalf("Read: %v", err)
	}

	complete := 0
	forced := 0
	for _, c := range run.Cycles {
		if !c.Partial {
			complete++
		}
		if c.Forced {
			forced++
		}
	}
	if got, want := len(run.Cycles), raw.gcBegins+min(raw.gcActive, 1); got != want {
		t.Errorf("cycles = %d, want %d (GC ranges in the trace)", got, want)
	}
	// Cycles wholly inside the trace are cycles the runtime counted.
	if complete > int(numGC) || complete < int(numGC)-2 {
		t.Errorf("complete cycles = %d, runtime counted %d", complete, numGC)
	}
	if forced < 3 {
		t.Errorf("forced cycles = %d, want ≥ 3 (runtime.GC calls)", forced)
	}

	got := map[string]time.Duration{}
	ranges := map[string]time.Duration{}
	count := map[string]int{}
	for _, p := range run.Pauses {
		got[p.Reason] += p.Duration
		ranges[p.Reason] += p.Duration + p.Restart
		count[p.Reason]++
		if p.IsGC() != (p.Reason == reasonSweepTermination || p.Reason == reasonMarkTermination) {
			t.Errorf("pause %q has kind %s", p.Reason, p.Kind)
		}
	}
	for reason, want := range raw.pauseByCause {
		if got[reason] != want || count[reason] != raw.stwCount[reason] {
			t.Errorf("pauses %q: %d totalling %v, want %d totalling %v", reason, count[reason], got[reason], raw.stwCount[reason], want)
		}
		if ranges[reason] != raw.stwByCause[reason] {
			t.Errorf("pauses %q: trace ranges total %v, want %v", reason, ranges[reason], raw.stwByCause[reason])
		}
	}
	if count["read mem stats"] == 0 {
		t.Errorf("no read-mem-stats pause among %v", count)
	}

	if run.Requests.Len() != raw.tasks {
		t.Errorf("requests = %d, want %d", run.Requests.Len(), raw.tasks)
	}
	if run.Regions.Len() != raw.regions {
		t.Errorf("regions = %d, want %d", run.Regions.Len(), raw.regions)
	}
	for _, r := range run.Requests.All() {
		if r.Open || !r.Accounted || r.Type != "request" {
			t.Errorf("request %d: open=%v accounted=%v type=%q", r.ID, r.Open, r.Accounted, r.Type)
		}
		if r.GoroutinesTotal != 3 {
			t.Errorf("request %d: %d goroutines, want 3", r.ID, r.GoroutinesTotal)
		}
		states := r.Running + r.Runnable + r.Blocked + r.Syscall
		if states < r.Duration() {
			t.Errorf("request %d: states sum %v < duration %v", r.ID, states, r.Duration())
		}
		if r.Assist > r.Running || r.Sweep > r.Running || r.RunnableDuringMark > r.Runnable {
			t.Errorf("request %d: parts exceed wholes: %+v", r.ID, r)
		}
	}

	if run.GOMAXPROCS != raw.gomaxprocs {
		t.Errorf("GOMAXPROCS = %d, want %d", run.GOMAXPROCS, raw.gomaxprocs)
	}
	if want := time.Duration(run.GOMAXPROCS) * run.Duration(); absDur(run.GCCPU.Capacity-want) > want/100 {
		t.Errorf("capacity %v, want about %v", run.GCCPU.Capacity, want)
	}
	if run.Stats.Events != raw.events || run.Stats.Bytes != int64(len(data)) {
		t.Errorf("stats %+v, want %d events, %d bytes", run.Stats, raw.events, len(data))
	}
	if !run.Fidelity.Trace || !run.Fidelity.Requests || !run.Fidelity.Goroutines {
		t.Errorf("fidelity %+v", run.Fidelity)
	}
	if run.MMU == nil || len(run.MMU.Points) == 0 {
		t.Errorf("no MMU curve")
	}
	checkCycles(t, run)
}

// checkCycles checks invariants every cycle of an intact trace must
// satisfy.
func checkCycles(t *testing.T, run *model.Run) {
	t.Helper()
	checkCycleOrder(t, run)
	for i, c := range run.Cycles {
		if !c.Partial && (c.HeapStart <= 0 || c.HeapEnd <= 0 || c.HeapLive <= 0 || c.HeapGoal <= 0) {
			t.Errorf("cycle %d: heap sizes unknown: %+v", i, c)
		}
	}
}

// checkCycleOrder checks invariants every cycle must satisfy, even from a
// damaged trace.
func checkCycleOrder(t *testing.T, run *model.Run) {
	t.Helper()
	for i, c := range run.Cycles {
		if c.End < c.Start || c.Start < run.Start || c.End > run.End {
			t.Errorf("cycle %d: [%d, %d] outside window [%d, %d]", i, c.Start, c.End, run.Start, run.End)
		}
		if c.Partial {
			continue
		}
		if c.SweepTerminationAt < c.Start || c.MarkTerminationAt < c.SweepTerminationAt+model.Time(c.SweepTermination) {
			t.Errorf("cycle %d: phases out of order: %+v", i, c)
		}
		if want := c.MarkTerminationAt.Sub(c.SweepTerminationAt) - c.SweepTermination; c.Mark != want {
			t.Errorf("cycle %d: mark %v, want %v", i, c.Mark, want)
		}
		// A proc counts as paused from when it stopped until the pause
		// ends, so the pause's CPU is at most procs × its length.
		if most := time.Duration(c.Procs) * c.SweepTermination; c.CPU.SweepTermination > most || c.CPU.SweepTermination < 0 {
			t.Errorf("cycle %d: sweep-termination CPU %v, outside [0, %v]", i, c.CPU.SweepTermination, most)
		}
		if most := time.Duration(c.Procs) * c.MarkTermination; c.CPU.MarkTermination > most || c.CPU.MarkTermination < 0 {
			t.Errorf("cycle %d: mark-termination CPU %v, outside [0, %v]", i, c.CPU.MarkTermination, most)
		}
	}
}

func absDur(d time.Duration) time.Duration {
	if d < 0 {
		return -d
	}
	return d
}

// TestReadClocksAndProcs checks the wall clock, the format and GOMAXPROCS
// changes of a live trace.
func TestReadClocksAndProcs(t *testing.T) {
	procs := runtime.GOMAXPROCS(0)
	before := time.Now()
	var buf bytes.Buffer
	startTrace(t, &buf)
	allocate(1 << 20)
	runtime.GOMAXPROCS(procs + 1)
	allocate(1 << 20)
	runtime.GOMAXPROCS(procs)
	stopTrace()
	after := time.Now()

	var progress []int64
	run, err := Read(bytes.NewReader(buf.Bytes()), "clock.trace", Options{Progress: func(n int64) { progress = append(progress, n) }})
	if err != nil {
		t.Fatal(err)
	}
	if run.WallStart == nil || run.WallStart.Before(before.Add(-time.Second)) || run.WallStart.After(after) || !run.Fidelity.WallClock {
		t.Errorf("wall start %v, want between %v and %v", run.WallStart, before, after)
	}
	minor := strings.Split(runtime.Version(), ".")[1]
	if run.Inputs[0].Format != "go 1."+minor+" trace" || !strings.HasPrefix(run.GoVersion, "go1."+minor) {
		t.Errorf("format %q, version %q for %s", run.Inputs[0].Format, run.GoVersion, runtime.Version())
	}
	want := []int{procs, procs + 1, procs}
	var got []int
	for _, c := range run.ProcsChanges {
		got = append(got, c.Procs)
	}
	if !slices.Equal(got, want) || run.ProcsChanges[0].At != run.Start || run.GOMAXPROCS != procs {
		t.Errorf("procs changes %+v (GOMAXPROCS %d), want %v from the start", run.ProcsChanges, run.GOMAXPROCS, want)
	}
	gomaxprocsPauses := 0
	for _, p := range run.Pauses {
		if p.Reason == "GOMAXPROCS" && p.Kind == model.PauseNonGC {
			gomaxprocsPauses++
		}
	}
	if gomaxprocsPauses != 2 {
		t.Errorf("%d GOMAXPROCS pauses, want 2", gomaxprocsPauses)
	}
	if len(progress) == 0 || progress[len(progress)-1] > int64(buf.Len()) || !slices.IsSorted(progress) {
		t.Errorf("progress reports %v for %d bytes", progress, buf.Len())
	}
}
