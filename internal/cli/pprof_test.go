package cli

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/pprof/profile"
)

// readProfile parses a written profile and sums its two sample types, in
// milliseconds as the report has them.
func readProfile(t *testing.T, path string) (assistMs, overlapMs float64) {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatalf("no profile: %v", err)
	}
	defer f.Close()
	p, err := profile.Parse(f)
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	if len(p.SampleType) != 2 || p.SampleType[0].Type != "mark_assist" || p.SampleType[1].Type != "stw_overlap" {
		t.Fatalf("sample types %v", p.SampleType)
	}
	var a, o int64
	for _, s := range p.Sample {
		a += s.Value[0]
		o += s.Value[1]
	}
	return float64(a) / 1e6, float64(o) / 1e6
}

func TestPprofOutMatchesReport(t *testing.T) {
	out := filepath.Join(t.TempDir(), "gc.pb.gz")
	code, doc, errs := analyzeJSON(t, "--pprof-out", out, example)
	if code != exitOK {
		t.Fatalf("exit %d: %s", code, errs)
	}
	p := processes(doc)[0]
	wantAssist := p["gc"].(map[string]any)["mark_assist_total_ms"].(float64)
	wantOverlap := p["attribution"].(map[string]any)["stw_overlap_total_ms"].(float64)
	assist, overlap := readProfile(t, out)
	if assist != wantAssist || overlap != wantOverlap {
		t.Errorf("profile totals %v ms assist, %v ms overlap; report %v, %v", assist, overlap, wantAssist, wantOverlap)
	}
	if wantAssist == 0 || wantOverlap == 0 {
		t.Errorf("the example should have both: %v, %v", wantAssist, wantOverlap)
	}
	if !strings.Contains(errs, "go tool pprof -top "+out) {
		t.Errorf("stderr does not say where the profile is:\n%s", errs)
	}
}

func TestPprofOutSeveralProcesses(t *testing.T) {
	dir := t.TempDir()
	out := filepath.Join(dir, "gc.pb.gz")
	code, _, errs := run(t, "analyze", "--pprof-out", out,
		"../../examples/testdata/bigheap/trace.out", "../../examples/testdata/tune-before/trace.out")
	if code != exitOK {
		t.Fatalf("exit %d: %s", code, errs)
	}
	for _, name := range []string{"gc.1.pb.gz", "gc.2.pb.gz"} {
		if a, _ := readProfile(t, filepath.Join(dir, name)); a == 0 {
			t.Errorf("%s: no mark assist", name)
		}
	}
	if _, err := os.Stat(out); err == nil {
		t.Errorf("%s written too", out)
	}
}

func TestPprofOutNeverOverwritesAnInput(t *testing.T) {
	// A copy: a bug here must not clobber the recording.
	dir := t.TempDir()
	data, err := os.ReadFile(filepath.Join(example, "trace.out"))
	if err != nil {
		t.Fatal(err)
	}
	tr := filepath.Join(dir, "trace.out")
	if err := os.WriteFile(tr, data, 0o644); err != nil {
		t.Fatal(err)
	}
	for _, args := range [][]string{
		{"--pprof-out", tr, tr},  // the input named
		{"--pprof-out", tr, dir}, // the input inside a folder given
	} {
		code, _, errs := run(t, append([]string{"analyze"}, args...)...)
		if code == exitOK || !strings.Contains(errs, "is an input; not overwritten") {
			t.Errorf("%v: exit %d, stderr %s", args, code, errs)
		}
		if got, _ := os.ReadFile(tr); len(got) != len(data) {
			t.Fatalf("%v: the input changed", args)
		}
	}
}

func TestPprofOutNothingToProfile(t *testing.T) {
	goroot, err := exec.Command("go", "env", "GOROOT").Output()
	if err != nil {
		t.Skipf("go env GOROOT: %v", err)
	}
	noAssist := filepath.Join(strings.TrimSpace(string(goroot)), "src/internal/trace/internal/tracev1/testdata/user_task_region_1_21_good")
	if _, err := os.Stat(noAssist); err != nil {
		t.Skipf("no %s", noAssist)
	}
	cases := []struct{ input, want string }{
		{noAssist, "nothing to profile"},
		{filepath.Join(example, "gctrace.log"), "no execution trace"},
	}
	for _, c := range cases {
		out := filepath.Join(t.TempDir(), "gc.pb.gz")
		code, _, errs := run(t, "analyze", "--pprof-out", out, c.input)
		if code != exitError || !strings.Contains(errs, c.want) || !strings.Contains(errs, "no profile written") {
			t.Errorf("%s: exit %d, stderr:\n%s", c.input, code, errs)
		}
		if _, err := os.Stat(out); err == nil {
			t.Errorf("%s: a profile was written", c.input)
		}
	}
}

func TestPprofOutUsage(t *testing.T) {
	for _, args := range [][]string{
		{"analyze", "--pprof-out", "-", example},
		{"analyze", "--pprof-out", "x.pb.gz", "-o", "x.pb.gz", example},
		{"run", "--pprof-out", "x.pb.gz", "--", "true"},
	} {
		if code, _, errs := run(t, args...); code != exitUsage {
			t.Errorf("%v: exit %d, want %d: %s", args, code, exitUsage, errs)
		}
	}
}
