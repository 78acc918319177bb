package advice

import (
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/gcwatch/gcwatch/internal/analyze"
	"github.com/gcwatch/gcwatch/internal/ingest"
	"github.com/gcwatch/gcwatch/internal/model"
)

// delayedRun is a run of len(lastToStop) GC cycles whose sweep-termination
// pause spends 9 of its 10 ms waiting for the goroutine lastToStop[i] to
// stop (0: not known), with no requests. The pause of cycle stall (if
// any) is a long one instead: 90 of 100 ms.
func delayedRun(lastToStop []uint64, stall int) *model.Run {
	run := &model.Run{GOMAXPROCS: 2, Start: 0}
	at := model.Time(0)
	for i, g := range lastToStop {
		at = at.Add(200 * time.Millisecond)
		pause, stop := 10*time.Millisecond, 9*time.Millisecond
		if i == stall {
			pause, stop = 100*time.Millisecond, 90*time.Millisecond
		}
		run.Cycles = append(run.Cycles, model.Cycle{N: i + 1, Start: at, End: at.Add(pause + 10*time.Millisecond),
			SweepTermination: pause, Mark: 10 * time.Millisecond, MarkTermination: 50 * time.Microsecond,
			SweepTerminationAt: at, MarkTerminationAt: at.Add(pause + 10*time.Millisecond),
			HeapStart: model.Unknown, HeapEnd: model.Unknown, HeapLive: model.Unknown, HeapGoal: model.Unknown,
			Stacks: model.Unknown, Globals: model.Unknown, Procs: 2, CumulativeCPUPercent: -1, From: model.FromTrace})
		run.Pauses = append(run.Pauses,
			model.Pause{Start: at, Duration: pause, Kind: model.PauseSweepTermination, Cycle: i,
				TimeToStop: stop, LastToStop: g},
			model.Pause{Start: at.Add(pause + 10*time.Millisecond), Duration: 50 * time.Microsecond, Kind: model.PauseMarkTermination, Cycle: i})
	}
	run.End = at.Add(200 * time.Millisecond)
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
		stall      int     // the cycle with a long stall, or -1
		gcCPU      float64 // 0: as analysed
		want       string
		starved    bool
	}{
		{"a different goroutine each time", []uint64{11, 12, 13, 14, 15, 16}, -1, 0, NotTheCause, true},
		// One long stall holds most of the stopping time (seen in a
		// starved recording): still one pause of six.
		{"a different goroutine each time, one stall", []uint64{11, 12, 13, 14, 15, 16}, 2, 0, NotTheCause, true},
		{"one loop each time", []uint64{8, 8, 8, 8, 8, 8}, -1, 0, FixSTWDelay, false},
		{"one loop at most pauses", []uint64{8, 8, 8, 8, 30, 31}, 4, 0, FixSTWDelay, false},
		{"too few pauses to tell", []uint64{11, 12, 13}, -1, 0, FixSTWDelay, false},
		{"last to stop not known", []uint64{0, 0, 0, 0, 0, 0}, -1, 0, FixSTWDelay, false},
		// Starved, but the GC's own CPU is high: not a code problem, and
		// not one GC can be ruled out of.
		{"starved with high GC CPU", []uint64{11, 12, 13, 14, 15, 16}, -1, 0.4, "", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			run := delayedRun(tc.lastToStop, tc.stall)
			a := analyze.Analyze(run, analyze.DefaultOptions())
			if tc.gcCPU > 0 {
				a.GC.CPUFraction = tc.gcCPU
			}
			v := Decide(Case{Run: run, Analysis: a, Rules: DefaultThresholds()}).Verdict
			if tc.want != "" && v.ID != tc.want {
				t.Fatalf("verdict %s (%s), want %s; evidence %+v", v.ID, v.Summary, tc.want, v.Evidence)
			}
			if tc.want == "" && (v.ID == FixSTWDelay || v.ID == NotTheCause) {
				t.Fatalf("verdict %s (%s): want neither %s nor %s; evidence %+v", v.ID, v.Summary, FixSTWDelay, NotTheCause, v.Evidence)
			}
			// Enough delayed pauses with a known last goroutine to tell.
			told := len(tc.lastToStop) >= 4 && tc.lastToStop[0] != 0
			e, ok := evidenceNamed(v, "last_to_stop_top_goroutine_share")
			if ok != told {
				t.Errorf("last_to_stop_top_goroutine_share evidence present = %v (%+v)", ok, v.Evidence)
			}
			if e.Holds != (tc.starved || tc.want == "") {
				t.Errorf("last_to_stop_top_goroutine_share holds = %v, evidence %+v", e.Holds, e)
			}
			said := strings.Contains(v.Summary, "starved") || strings.Contains(strings.Join(v.Caveats, " "), "starved")
			if said != (tc.starved || tc.want == "" || !told) {
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
	res, err := ingest.Load(paths, ingest.Options{})
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
	return Decide(Case{Run: run, Analysis: analyze.Analyze(run, analyze.DefaultOptions()), Rules: DefaultThresholds()}).Verdict
}

// TestRecordedStarvedOrSlowToStop: the non-preemptible example keeps
// fix-stw-delay, quiet or starved of CPU itself, and a service starved of
// CPU (testdata/README.md says how they were recorded) is not told to fix
// its code. The starved service's requests queue for the missing CPU, so
// with them the tail already is not GC's; without them (a service that
// does not annotate its requests) the pauses alone used to read as
// fix-stw-delay.
func TestRecordedStarvedOrSlowToStop(t *testing.T) {
	files := func(dir string) []string {
		return []string{filepath.Join(dir, "trace.out"), filepath.Join(dir, "gctrace.log")}
	}
	for _, tc := range []struct {
		name string
		dir  string
		want string
	}{
		{"stwdelay", filepath.Join("..", "..", "examples", "testdata", "stwdelay"), FixSTWDelay},
		{"starved-stwdelay", filepath.Join("testdata", "starved-stwdelay"), FixSTWDelay},
		{"starved-allocheavy", filepath.Join("testdata", "starved-allocheavy"), NotTheCause},
	} {
		for _, noRequests := range []bool{false, true} {
			name := tc.name
			if noRequests {
				name += " without requests"
			}
			t.Run(name, func(t *testing.T) {
				v := decideTrace(t, noRequests, files(tc.dir)...)
				if v.ID != tc.want {
					t.Fatalf("verdict %s (%s), want %s; evidence %+v", v.ID, v.Summary, tc.want, v.Evidence)
				}
				if noRequests && tc.want == NotTheCause && !strings.Contains(v.Summary, "starved of CPU") {
					t.Errorf("summary %q does not say the process was starved of CPU; evidence %+v", v.Summary, v.Evidence)
				}
			})
		}
	}
}
