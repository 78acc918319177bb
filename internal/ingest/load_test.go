package ingest

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/gcwatch/gcwatch/internal/model"
)

const recordings = "../../examples/testdata"

func scenarios(t *testing.T) []string {
	t.Helper()
	dirs, err := filepath.Glob(filepath.Join(recordings, "*"))
	if err != nil || len(dirs) == 0 {
		t.Fatalf("no recordings under %s: %v", recordings, err)
	}
	var out []string
	for _, d := range dirs {
		if _, err := os.Stat(filepath.Join(d, "trace.out")); err == nil {
			out = append(out, d)
		}
	}
	return out
}

// TestRecordingsLineUp checks that the trace and the gctrace log of each
// recorded process are lined up as one run, and that the gctrace cycle
// numbers they take agree with the trace's own count of cycles.
func TestRecordingsLineUp(t *testing.T) {
	for _, dir := range scenarios(t) {
		t.Run(filepath.Base(dir), func(t *testing.T) {
			res, err := Load([]string{filepath.Join(dir, "trace.out"), filepath.Join(dir, "gctrace.log")}, Options{})
			if err != nil {
				t.Fatal(err)
			}
			if len(res.Runs) != 1 {
				t.Fatalf("%d runs, want 1; notes %v", len(res.Runs), res.Notes)
			}
			run := res.Runs[0]
			if run.Matching == "" || !run.Fidelity.GCTrace || !run.Fidelity.Trace {
				t.Fatalf("not combined: %+v", run.Fidelity)
			}
			both := 0
			for i, c := range run.Cycles {
				if c.From == model.FromBoth {
					both++
				}
				if i > 0 && c.N != run.Cycles[i-1].N+1 {
					t.Errorf("cycle %d is gc %d after gc %d", i, c.N, run.Cycles[i-1].N)
				}
			}
			complete := 0
			for _, c := range run.Cycles {
				if !c.Partial {
					complete++
				}
			}
			if float64(both) < 0.8*float64(complete) {
				t.Errorf("only %d of %d complete cycles lined up", both, complete)
			}
		})
	}
}

// TestMismatchedInputsStayApart gives the trace of one process and the
// gctrace log of another: they must not be combined.
func TestMismatchedInputsStayApart(t *testing.T) {
	dirs := scenarios(t)
	if len(dirs) < 2 {
		t.Skip("need two recordings")
	}
	var a, b string
	for _, d := range dirs {
		switch {
		case strings.Contains(d, "allocheavy-p2"):
			a = d
		case strings.Contains(d, "stwdelay"):
			b = d
		}
	}
	if a == "" || b == "" {
		t.Skip("recordings renamed")
	}
	res, err := Load([]string{filepath.Join(a, "trace.out"), filepath.Join(b, "gctrace.log")}, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Runs) != 2 {
		t.Fatalf("%d runs, want 2 separate ones", len(res.Runs))
	}
	for _, r := range res.Runs {
		if r.Matching != "" {
			t.Errorf("run of %s was matched: %s", r.Inputs[0].Path, r.Matching)
		}
	}
	if len(res.Notes) == 0 || !strings.Contains(strings.Join(res.Notes, "\n"), "do not line up") {
		t.Errorf("no note says the inputs do not line up: %v", res.Notes)
	}
}

func TestDuplicateLogsReadOnce(t *testing.T) {
	dir := t.TempDir()
	src, err := os.ReadFile(filepath.Join(recordings, "allocheavy-p2-gogc100", "gctrace.log"))
	if err != nil {
		t.Fatal(err)
	}
	os.WriteFile(filepath.Join(dir, "a.log"), src, 0o644)
	os.WriteFile(filepath.Join(dir, "b.log"), src, 0o644)
	res, err := Load([]string{dir}, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Runs) != 1 || len(res.Notes) != 1 {
		t.Errorf("%d runs, notes %v", len(res.Runs), res.Notes)
	}
	if res.Runs[0].Start != 0 {
		t.Errorf("a log that begins with gc 1 begins at process start, not %d", res.Runs[0].Start)
	}
}

func TestRecognise(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want kindOf
	}{
		{"go 1.22 trace\x00\x00\x00", traceKind},
		{"gotrace\x00rest", ancientKind},
		{"hello\ngc 1 @0.010s 1%: 0.010+0.20+0.003 ms clock, 0.021+0.1/0.2/0.3+0.007 ms cpu, 4->4->0 MB, 4 MB goal, 0 MB stacks, 0 MB globals, 2 P\n", gctraceKind},
		{"plain text\n", textKind},
		{"", emptyKind},
		{"\x00\x01\x02\x03\xff\xfe", unknownKind},
		{"heap profile: 1: 2 [3: 4] @ heap/1048576\n", profileKind},
	} {
		if got, _ := recognise([]byte(tc.in)); got != tc.want {
			t.Errorf("recognise(%q) = %v, want %v", tc.in, got, tc.want)
		}
	}
}

// TestOwnArtefactsSkippedQuietly checks that what gcwatch run and watch
// write beside a capture (the report, a Markdown report's plots) is
// skipped without a note when the folder is analysed again, while a
// stranger file still gets one.
func TestOwnArtefactsSkippedQuietly(t *testing.T) {
	dir := t.TempDir()
	src := filepath.Join(recordings, "stwdelay")
	for _, f := range []string{"trace.out", "gctrace.log"} {
		b, err := os.ReadFile(filepath.Join(src, f))
		if err != nil {
			t.Fatal(err)
		}
		os.WriteFile(filepath.Join(dir, f), b, 0o644)
	}
	for _, f := range []string{"report.txt", "report.md", "report.html", "report.json", "pauses.png", "mmu.svg"} {
		os.WriteFile(filepath.Join(dir, f), []byte("gcwatch output\n"), 0o644)
	}
	res, err := Load([]string{dir}, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Runs) != 1 || len(res.Notes) != 0 {
		t.Errorf("%d runs, notes %q; want 1 run and no notes", len(res.Runs), res.Notes)
	}
	os.WriteFile(filepath.Join(dir, "notes.txt"), []byte("my notes\n"), 0o644)
	if res, err = Load([]string{dir}, Options{}); err != nil || len(res.Notes) != 1 || !strings.Contains(res.Notes[0], "notes.txt") {
		t.Errorf("a stranger file: err %v, notes %q", err, res.Notes)
	}
}
