package crosscheck

import (
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/gcwatch/gcwatch/internal/ingest/exectrace"
	"github.com/gcwatch/gcwatch/internal/model"
)

// readRun ingests a recording's trace with the package under test.
func readRun(t *testing.T, s scenario) *model.Run {
	t.Helper()
	f, err := os.Open(s.path("trace.out"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	run, err := exectrace.Read(f, s.path("trace.out"), exectrace.Options{})
	if err != nil {
		t.Fatalf("exectrace.Read: %v", err)
	}
	return run
}

// TestExectraceCycles compares exectrace's cycles with the raw reading: how
// many, which are cut by the window, and each one's two pauses, to the
// nanosecond (both read the same timestamps).
func TestExectraceCycles(t *testing.T) {
	for _, s := range scenarios(t) {
		t.Run(s.Name, func(t *testing.T) {
			raw := readRawTrace(t, s.path("trace.out"))
			run := readRun(t, s)
			if len(run.Cycles) != len(raw.cycles) {
				t.Fatalf("exectrace has %d cycles, the raw events %d %q ranges", len(run.Cycles), len(raw.cycles), gcRange)
			}
			for i, c := range run.Cycles {
				r := raw.cycles[i]
				if want := r.activeAtOpen || r.open; c.Partial != want {
					t.Errorf("cycle %d: Partial = %v, want %v", i, c.Partial, want)
				}
				if c.Start < model.Time(r.begin) || c.End > model.Time(max(r.end, endOf(r.markTerm))) || c.End < c.Start {
					t.Errorf("cycle %d: [%d, %d] is not inside the range and its pauses [%d, %d]", i, c.Start, c.End, r.begin, max(r.end, endOf(r.markTerm)))
				}
				if r.sweepTerm != nil {
					if c.SweepTerminationAt != model.Time(r.sweepTerm.begin) || c.SweepTermination != r.sweepTerm.duration() {
						t.Errorf("cycle %d: sweep termination at %d for %v, raw at %d for %v", i, c.SweepTerminationAt, c.SweepTermination, r.sweepTerm.begin, r.sweepTerm.duration())
					}
				}
				if r.markTerm != nil && !r.markTerm.open {
					if c.MarkTerminationAt != model.Time(r.markTerm.begin) || c.MarkTermination != r.markTerm.duration() {
						t.Errorf("cycle %d: mark termination at %d for %v, raw at %d for %v", i, c.MarkTerminationAt, c.MarkTermination, r.markTerm.begin, r.markTerm.duration())
					}
					if r.sweepTerm != nil {
						if want := time.Duration(r.markTerm.begin - r.sweepTerm.end); c.Mark != want {
							t.Errorf("cycle %d: Mark = %v, want %v (between the pauses)", i, c.Mark, want)
						}
					}
				}
			}
		})
	}
}

func endOf(s *rawSTW) int64 {
	if s == nil {
		return 0
	}
	return s.end
}

// TestExectracePauses compares the pauses, GC and non-GC, by reason: count
// and total duration.
func TestExectracePauses(t *testing.T) {
	for _, s := range scenarios(t) {
		t.Run(s.Name, func(t *testing.T) {
			raw := readRawTrace(t, s.path("trace.out")).stwByReason()
			run := readRun(t, s)
			got := map[string]stwTotal{}
			for _, p := range run.Pauses {
				tot := got[p.Reason]
				tot.count++
				tot.total += p.Duration
				got[p.Reason] = tot
				wantGC := strings.HasPrefix(p.Reason, "GC ")
				if p.IsGC() != wantGC {
					t.Errorf("pause %q at %d: IsGC = %v", p.Reason, p.Start, p.IsGC())
				}
				if wantGC && (p.Cycle < 0 || p.Cycle >= len(run.Cycles)) {
					t.Errorf("GC pause at %d: cycle index %d out of range", p.Start, p.Cycle)
				}
			}
			for reason, want := range raw {
				if got[reason] != want {
					t.Errorf("%q: exectrace %d pauses, %v in all; raw %d, %v", reason, got[reason].count, got[reason].total, want.count, want.total)
				}
			}
			for reason := range got {
				if _, ok := raw[reason]; !ok {
					t.Errorf("exectrace has pauses %q the raw events do not", reason)
				}
			}
			if s.Name == "stwmix-p2" || s.Name == "stwmix-p4" {
				for _, reason := range []string{"read mem stats", "goroutine profile", "GOMAXPROCS", "all goroutines stack trace"} {
					if raw[reason].count == 0 {
						t.Errorf("%s recording has no %q pause", s.Name, reason)
					}
				}
			}
		})
	}
}

// TestExectraceTasks compares the requests with the raw tasks, one by one.
func TestExectraceTasks(t *testing.T) {
	for _, s := range scenarios(t) {
		t.Run(s.Name, func(t *testing.T) {
			raw := readRawTrace(t, s.path("trace.out"))
			run := readRun(t, s)
			byID := map[uint64]model.Request{}
			for _, r := range run.Requests.All() {
				if r.Kind == model.RequestTask {
					byID[r.ID] = r
				}
			}
			if len(byID) != len(raw.tasks) {
				t.Errorf("exectrace has %d task requests, the raw events %d tasks", len(byID), len(raw.tasks))
			}
			var sumGot, sumWant time.Duration
			for _, tk := range raw.tasks {
				r, ok := byID[tk.id]
				if !ok {
					t.Errorf("task %d missing", tk.id)
					continue
				}
				sumWant += time.Duration(tk.end - tk.begin)
				sumGot += r.Duration()
				if r.Type != tk.typ || r.Open != tk.open {
					t.Errorf("task %d: type %q open %v, raw %q open %v", tk.id, r.Type, r.Open, tk.typ, tk.open)
				}
				if !tk.open && (r.Start != model.Time(tk.begin) || r.End != model.Time(tk.end)) {
					t.Errorf("task %d: [%d, %d], raw [%d, %d]", tk.id, r.Start, r.End, tk.begin, tk.end)
				}
			}
			if sumGot != sumWant {
				t.Errorf("task durations sum to %v, raw %v", sumGot, sumWant)
			}
		})
	}
}

// TestExectraceAgainstGCTrace checks what only the other input can tell:
// which cycles were forced (runtime.GC) and GOMAXPROCS per cycle, from the
// gc lines of the same process.
func TestExectraceAgainstGCTrace(t *testing.T) {
	for _, s := range scenarios(t) {
		t.Run(s.Name, func(t *testing.T) {
			raw := readRawTrace(t, s.path("trace.out"))
			gcs := readRawGCTrace(t, s.path("gctrace.log"))
			m, err := alignCycles(raw, gcs)
			if err != nil {
				t.Fatal(err)
			}
			run := readRun(t, s)
			if len(run.Cycles) != len(raw.cycles) {
				t.Fatalf("exectrace has %d cycles, the raw events %d", len(run.Cycles), len(raw.cycles))
			}
			forced := 0
			var procs []int
			for i, c := range run.Cycles {
				j := m.first + i
				if j >= len(gcs) {
					continue
				}
				g := gcs[j]
				if g.forced {
					forced++
				}
				if !slices.Contains(procs, g.procs) {
					procs = append(procs, g.procs)
				}
				if c.Forced != g.forced {
					t.Errorf("cycle %d (gc %d): Forced = %v, gctrace line %d says %v", i, g.n, c.Forced, g.line, g.forced)
				}
				if c.Procs != g.procs {
					t.Errorf("cycle %d (gc %d): Procs = %d, gctrace line %d says %d P", i, g.n, c.Procs, g.line, g.procs)
				}
			}
			if strings.HasPrefix(s.Name, "stwmix") && (forced == 0 || len(procs) < 2) {
				t.Errorf("%s: %d forced cycles and GOMAXPROCS values %v in the window; the scenario should show both", s.Name, forced, procs)
			}
		})
	}
}
