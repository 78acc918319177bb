package advice

import (
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/gcwatch/gcwatch/internal/analyze"
	"github.com/gcwatch/gcwatch/internal/model"
	"github.com/gcwatch/gcwatch/internal/trace"
)

// delayedRun is a run of len(lastToStop) GC cycles whose sweep-termination
// pause spends 9 of its 10 ms waiting for the goroutine lastToStop[i] to
// stop (0: not known), with no requests.
func delayedRun(lastToStop []uint64) *model.Run {
	run := &model.Run{GOMAXPROCS: 2, Start: 0}
	at := model.Time(0)
	for i, g := range lastToStop {
		at = at.Add(100 * time.Millisecond)
		run.Cycles = append(run.Cycles, model.Cycle{N: i + 1, Start: at, End: at.Add(20 * time.Millisecond),
			SweepTermination: 10 * time.Millisecond, Mark: 10 * time.Millisecond, MarkTermination: 50 * time.Microsecond,
			SweepTerminationAt: at, MarkTerminationAt: at.Add(20 * time.Millisecond),
			HeapStart: model.Unknown, HeapEnd: model.Unknown, HeapLive: model.Unknown, HeapGoal: model.Unknown,
			Stacks: model.Unknown, Globals: model.Unknown, Procs: 2, CumulativeCPUPercent: -1, From: model.FromTrace})
		run.Pauses = append(run.Pauses,
			model.Pause{Start: at, Duration: 10 * time.Millisecond, Kind: model.PauseSweepTermination, Cycle: i,
				TimeToStop: 9 * time.Millisecond, LastToStop: g},
			model.Pause{Start: at.Add(20 * time.Millisecond), Duration: 50 * time.Microsecond, Kind: model.PauseMarkTermination, Cycle: i})
	}
	run.End = at.Add(100 * time.Millisecond)
	return run
}

func evidenceNamed(v Verdict, metric string) (Evidence, bool) {
	for _, e := range v.Evidence {
		if e.Metric == metric {
			return e, true
		}
	}
	return Evidence{}, false
}

// TestStarvedOrSlowToStop checks who was last to stop decides between a
// starved process and code that cannot be preempted.
func TestStarvedOrSlowToStop(t *testing.T) {
	for _, tc := range []struct {
		name       string
		lastToStop []uint64
		gcCPU      float64 // 0: as analysed
		want       string
		starved    bool
	}{
		{"a different goroutine each time", []uint64{11, 12, 13, 14, 15, 16}, 0, NotTheCause, true},
		{"one loop each time", []uint64{8, 8, 8, 8, 8, 8}, 0, FixSTWDelay, false},
		{"one loop at most pauses", []uint64{8, 8, 8, 8, 30, 31}, 0, FixSTWDelay, false},
		{"too few pauses to tell", []uint64{11, 12, 13}, 0, FixSTWDelay, false},
		{"last to stop not known", []uint64{0, 0, 0, 0, 0, 0}, 0, FixSTWDelay, false},
		// Starved, but the GC's own CPU is high: not a code problem, and
		// not one GC can be ruled out of.
		{"starved with high GC CPU", []uint64{11, 12, 13, 14, 15, 16}, 0.4, "", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			run := delayedRun(tc.lastToStop)
			a := analyze.Analyze(run, analyze.DefaultOptions())
			if tc.gcCPU > 0 {
				a.GC.CPUFraction = tc.gcCPU
			}
			v := Decide(Request{Run: run, Analysis: a, Rules: DefaultThresholds()}).Verdict
			if tc.want != "" && v.ID != tc.want {
				t.Fatalf("verdict %s (%s), want %s; evidence %+v", v.ID, v.Summary, tc.want, v.Evidence)
			}
			if tc.want == "" && (v.ID == FixSTWDelay || v.ID == NotTheCause) {
				t.Fatalf("verdict %s (%s): want neither %s nor %s; evidence %+v", v.ID, v.Summary, FixSTWDelay, NotTheCause, v.Evidence)
			}
			e, ok := evidenceNamed(v, "last_to_stop_top_goroutine_share")
			if ok != (len(tc.lastToStop) >= 4 && tc.lastToStop[0] != 0) {
				t.Errorf("last_to_stop_top_goroutine_share evidence present = %v (%+v)", ok, v.Evidence)
			}
			if e.Holds != (tc.starved || tc.want == "") {
				t.Errorf("last_to_stop_top_goroutine_share holds = %v, evidence %+v", e.Holds, e)
			}
			said := strings.Contains(v.Summary, "starved") || strings.Contains(strings.Join(v.Caveats, " "), "starved")
			if said != (tc.starved || tc.want == "") {
				t.Errorf("starvation said = %v: summary %q, caveats %q", said, v.Summary, v.Caveats)
			}
			if tc.starved && !strings.Contains(strings.Join(v.Actions, " "), "GOMAXPROCS") {
				t.Errorf("starved actions %q do not speak of GOMAXPROCS and the CPU limit", v.Actions)
			}
		})
	}
}

// decideTrace reads an execution trace (with its gctrace log) and decides,
// as a service without request annotations when noRequests is set.
func decideTrace(t *testing.T, noRequests bool, paths ...string) Verdict {
	t.Helper()
	res, err := trace.Load(paths, trace.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Runs) != 1 {
		t.Fatalf("%v: %d runs, want 1", paths, len(res.Runs))
	}
	run := res.Runs[0]
	if noRequests {
		run.Requests = nil
	}
	return Decide(Request{Run: run, Analysis: analyze.Analyze(run, analyze.DefaultOptions()), Rules: DefaultThresholds()}).Verdict
}

// TestRecordedStarvedOrSlowToStop: the non-preemptible example keeps
// fix-stw-delay, and a process starved of CPU (testdata/starved/README.md
// says how it was recorded) is not told to fix its code. The starved
// service's requests queue for the missing CPU, so with them the tail
// already is not GC's; without them (a service that does not annotate its
// requests) the pauses alone used to read as fix-stw-delay.
func TestRecordedStarvedOrSlowToStop(t *testing.T) {
	stwdelay := filepath.Join("..", "..", "examples", "testdata", "stwdelay")
	starved := filepath.Join("testdata", "starved")
	for _, tc := range []struct {
		name       string
		paths      []string
		noRequests bool
		want       string
	}{
		{"stwdelay", []string{filepath.Join(stwdelay, "trace.out"), filepath.Join(stwdelay, "gctrace.log")}, false, FixSTWDelay},
		{"stwdelay without requests", []string{filepath.Join(stwdelay, "trace.out"), filepath.Join(stwdelay, "gctrace.log")}, true, FixSTWDelay},
		{"starved", []string{filepath.Join(starved, "trace.out"), filepath.Join(starved, "gctrace.log")}, false, NotTheCause},
		{"starved without requests", []string{filepath.Join(starved, "trace.out"), filepath.Join(starved, "gctrace.log")}, true, NotTheCause},
	} {
		t.Run(tc.name, func(t *testing.T) {
			v := decideTrace(t, tc.noRequests, tc.paths...)
			if v.ID != tc.want {
				t.Fatalf("verdict %s (%s), want %s; evidence %+v", v.ID, v.Summary, tc.want, v.Evidence)
			}
			if tc.name == "starved without requests" && !strings.Contains(v.Summary, "starved of CPU") {
				t.Errorf("summary %q does not say the process was starved of CPU; evidence %+v", v.Summary, v.Evidence)
			}
		})
	}
}
