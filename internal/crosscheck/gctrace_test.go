package crosscheck

import (
	"bufio"
	"compress/gzip"
	"encoding/json"
	"io"
	"os"
	"slices"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/gcwatch/gcwatch/internal/ingest/gctrace"
	"github.com/gcwatch/gcwatch/internal/model"
)

func parseGCTrace(t *testing.T, path string, r io.Reader) *gctrace.Result {
	t.Helper()
	res, err := gctrace.Parse(r, path)
	if err != nil {
		t.Fatalf("gctrace.Parse(%s): %v", path, err)
	}
	return res
}

func parseFile(t *testing.T, path string) *gctrace.Result {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	return parseGCTrace(t, path, f)
}

// TestGCTraceParse compares gctrace.Parse with the regexp reading: one
// process, the number of gc lines, the sum of the clock fields, and every
// cycle's number, start, clock fields, forced flag and GOMAXPROCS.
func TestGCTraceParse(t *testing.T) {
	for _, s := range scenarios(t) {
		t.Run(s.Name, func(t *testing.T) {
			path := s.path("gctrace.log")
			want := readRawGCTrace(t, path)
			res := parseFile(t, path)
			if len(res.Processes) != 1 {
				t.Fatalf("%d processes, want 1 (one program's stderr)", len(res.Processes))
			}
			if res.Stats.GCLines != int64(len(want)) {
				t.Errorf("Stats.GCLines = %d, the regexp matched %d lines", res.Stats.GCLines, len(want))
			}
			if res.Stats.BadLines != 0 {
				t.Errorf("Stats.BadLines = %d on a clean recording; warnings: %q", res.Stats.BadLines, res.Warnings)
			}
			got := res.Processes[0].Cycles
			if len(got) != len(want) {
				t.Fatalf("%d cycles, the regexp matched %d gc lines", len(got), len(want))
			}
			var sumGot, sumWant time.Duration
			for i, c := range got {
				g := want[i]
				sumGot += c.SweepTermination + c.Mark + c.MarkTermination
				sumWant += g.sweepTerm + g.mark + g.markTerm
				type fields struct {
					N                                int
					Start                            model.Time
					SweepTermination, Mark, MarkTerm time.Duration
					Forced                           bool
					Procs                            int
				}
				gotF := fields{c.N, c.Start, c.SweepTermination, c.Mark, c.MarkTermination, c.Forced, c.Procs}
				wantF := fields{g.n, model.Time(g.at), g.sweepTerm, g.mark, g.markTerm, g.forced, g.procs}
				if diff := cmp.Diff(wantF, gotF); diff != "" {
					t.Errorf("line %d (-regexp +gctrace.Parse):\n%s", g.line, diff)
				}
			}
			if sumGot != sumWant {
				t.Errorf("clock fields sum to %v, the regexp's to %v", sumGot, sumWant)
			}
		})
	}
}

// TestGCTraceVariants parses the gzip copy and the container-wrapped log of
// the same process and expects the very same cycles as from the plain log.
func TestGCTraceVariants(t *testing.T) {
	var gz, container int
	for _, s := range scenarios(t) {
		plain := parseFile(t, s.path("gctrace.log")).Processes
		if _, ok := s.Files["gctrace.log.gz"]; ok {
			gz++
			f, err := os.Open(s.path("gctrace.log.gz"))
			if err != nil {
				t.Fatal(err)
			}
			zr, err := gzip.NewReader(f)
			if err != nil {
				t.Fatal(err)
			}
			res := parseGCTrace(t, s.path("gctrace.log.gz"), zr)
			f.Close()
			if diff := cmp.Diff(cyclesOf(plain), cyclesOf(res.Processes)); diff != "" {
				t.Errorf("%s: gzip copy differs (-plain +gz):\n%s", s.Name, diff)
			}
		}
		if _, ok := s.Files["gctrace.container.log"]; ok {
			container++
			res := parseFile(t, s.path("gctrace.container.log"))
			if diff := cmp.Diff(cyclesOf(plain), cyclesOf(res.Processes)); diff != "" {
				t.Errorf("%s: container log differs (-plain +container):\n%s", s.Name, diff)
			}
			checkWallStart(t, s, res)
		}
	}
	if gz == 0 || container == 0 {
		t.Errorf("recordings hold %d gzip and %d container logs, want at least one of each", gz, container)
	}
}

func cyclesOf(ps []gctrace.Process) [][]model.Cycle {
	var out [][]model.Cycle
	for _, p := range ps {
		out = append(out, p.Cycles)
	}
	return out
}

// checkWallStart compares the wall-clock time of runtime init that the
// parser estimated from the container log's line times with one derived
// from the trace of the same process, which shares nothing with it: the
// trace's clock snapshot maps trace time to wall time, and the aligned
// cycles map trace time to @T. The log times are when the recorder read
// each line from a pipe, a little after the runtime printed it, so the log
// estimate may only be later, by the pipe's latency; 20 ms bounds that
// generously on a busy machine.
func checkWallStart(t *testing.T, s scenario, res *gctrace.Result) {
	t.Helper()
	if len(res.Processes) != 1 || res.Processes[0].WallStart == nil {
		t.Errorf("%s: container log gave no wall-clock start", s.Name)
		return
	}
	raw := readRawTrace(t, s.path("trace.out"))
	if raw.snapshot == nil {
		t.Fatalf("%s: trace has no clock snapshot", s.Name)
	}
	gcs := readRawGCTrace(t, s.path("gctrace.log"))
	m, err := alignCycles(raw, gcs)
	if err != nil {
		t.Fatal(err)
	}
	// Runtime init on the trace clock: the median of sweep-termination
	// start minus @T (each @T is truncated to the ms, so add half of one).
	var inits []int64
	for i, c := range raw.cycles {
		if j := m.first + i; c.sweepTerm != nil && j < len(gcs) {
			inits = append(inits, c.sweepTerm.begin-int64(gcs[j].at)-int64(time.Millisecond/2))
		}
	}
	slices.Sort(inits)
	initTrace := inits[len(inits)/2]
	fromTrace := raw.snapshot.Wall.Add(-time.Duration(int64(raw.snapshot.Trace) - initTrace))
	fromLog := independentWallStart(t, s.path("gctrace.container.log"), gcs)
	got := *res.Processes[0].WallStart
	lag := got.Sub(fromTrace)
	t.Logf("%s: runtime init at %v by the trace, %v by gctrace.Parse (+%v), %v by the test's own reading of the log",
		s.Name, fromTrace.Format(time.RFC3339Nano), got.Format(time.RFC3339Nano), lag, fromLog.Format(time.RFC3339Nano))
	if lag < -2*time.Millisecond || lag > 20*time.Millisecond {
		t.Errorf("%s: WallStart %v is %v from the trace-derived %v", s.Name, got, lag, fromTrace)
	}
	if d := got.Sub(fromLog); d < -time.Millisecond || d > time.Millisecond {
		t.Errorf("%s: WallStart %v differs by %v from the median of line time - @T, %v", s.Name, got, d, fromLog)
	}
}

// independentWallStart is the median over gc lines of the container line's
// time minus @T.
func independentWallStart(t *testing.T, path string, gcs []rawGC) time.Time {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var starts []time.Time
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		var l struct {
			Log  string    `json:"log"`
			Time time.Time `json:"time"`
		}
		if err := json.Unmarshal(sc.Bytes(), &l); err != nil {
			t.Fatalf("%s: %v", path, err)
		}
		m := gcLine.FindStringSubmatch(l.Log)
		if m == nil {
			continue
		}
		starts = append(starts, l.Time.Add(-seconds(t, m[2])))
	}
	if len(starts) != len(gcs) {
		t.Fatalf("%s: %d gc lines, the plain log has %d", path, len(starts), len(gcs))
	}
	slices.SortFunc(starts, time.Time.Compare)
	return starts[len(starts)/2]
}
