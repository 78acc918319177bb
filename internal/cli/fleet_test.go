package cli

import (
	"encoding/json"
	"fmt"
	"image"
	_ "image/png"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// writeManifest writes a fleet manifest over the recorded examples.
func writeManifest(t *testing.T, body string) string {
	t.Helper()
	abs, err := filepath.Abs("../../examples/testdata")
	if err != nil {
		t.Fatal(err)
	}
	p := filepath.Join(t.TempDir(), "fleet.yaml")
	if err := os.WriteFile(p, []byte(strings.ReplaceAll(body, "TESTDATA", abs)), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestFleetReportRanks(t *testing.T) {
	dir := t.TempDir()
	// A service with a single GC cycle: listed, not ranked.
	thin := filepath.Join(dir, "thin")
	os.Mkdir(thin, 0o755)
	os.WriteFile(filepath.Join(thin, "gctrace.log"), []byte("gc 1 @0.010s 1%: 0.010+0.20+0.003 ms clock, 0.021+0.1/0.2/0.3+0.007 ms cpu, 4->4->0 MB, 4 MB goal, 0 MB stacks, 0 MB globals, 2 P\n"), 0o644)
	m := writeManifest(t, `services:
  - name: lockbound
    captures: TESTDATA/lockbound
  - name: thin
    captures: `+thin+`
  - name: checkout
    captures: TESTDATA/allocheavy-p2-gogc100
    mem_budget: 1GiB
  - name: ledger
    captures: TESTDATA/bigheap
    mem_budget: 400MiB
    slo: p99=50ms
  - name: statements
    captures: TESTDATA/bigheap
    mem_budget: 512MiB
    slo: p99=50ms
  - name: jobs
    captures: TESTDATA/stwdelay
`)
	code, out, errs := run(t, "report", "--manifest", m, "--format", "json")
	if code != exitOK {
		t.Fatalf("exit %d: %s", code, errs)
	}
	var doc struct {
		Schema   string `json:"schema"`
		Services []struct {
			Name    string `json:"name"`
			Rank    int    `json:"rank"`
			Data    string `json:"data"`
			Verdict struct {
				ID string `json:"id"`
			} `json:"verdict"`
			GCShareOfTail *float64 `json:"gc_share_of_tail"`
			Recommended   *string  `json:"recommended_option"`
			WithoutGC     *struct {
				P99Change    float64 `json:"p99_change"`
				MemoryChange float64 `json:"memory_change"`
			} `json:"without_gc"`
		} `json:"services"`
	}
	if err := json.Unmarshal([]byte(out), &doc); err != nil {
		t.Fatalf("not JSON: %v\n%s", err, out)
	}
	var names []string
	for _, s := range doc.Services {
		names = append(names, s.Name)
	}
	// The migration candidate first, gc-not-the-cause last among the
	// ranked, the thin service after them, unranked. The same heap with
	// room for less allocation to meet its SLO (statements) is an
	// allocation problem, not a migration candidate: it does not top the
	// fleet.
	if strings.Join(names, ",") != "ledger,jobs,statements,checkout,lockbound,thin" {
		t.Errorf("order %v", names)
	}
	if v := doc.Services[2].Verdict.ID; v != "reduce-allocation" {
		t.Errorf("statements: verdict %s, want reduce-allocation", v)
	}
	// The ranking follows the options ladder: each service's recommended
	// option is its verdict's step, or none off the ladder.
	for _, s := range doc.Services {
		rec := ""
		if s.Recommended != nil {
			rec = *s.Recommended
		}
		want := map[string]string{"ledger": "migration-candidate", "statements": "reduce-allocation", "checkout": "tune"}[s.Name]
		if rec != want {
			t.Errorf("%s: recommended option %q, want %q", s.Name, rec, want)
		}
	}
	first, last := doc.Services[0], doc.Services[len(doc.Services)-1]
	if first.Verdict.ID != "migration-candidate" || first.Rank != 1 || first.WithoutGC == nil || first.WithoutGC.P99Change >= 0 {
		t.Errorf("first %+v", first)
	}
	if last.Data != "insufficient" || last.Rank != 0 {
		t.Errorf("thin service %+v", last)
	}
	if doc.Services[4].Verdict.ID != "gc-not-the-cause" || doc.Services[4].Rank != 5 {
		t.Errorf("lockbound %+v", doc.Services[4])
	}
	for _, f := range []string{"text", "markdown", "html"} {
		code, out, errs := run(t, "report", "--manifest", m, "--format", f)
		if code != exitOK || !strings.Contains(out, "ledger") || !strings.Contains(out, "−25%") {
			t.Errorf("%s: exit %d, %s", f, code, errs)
		}
	}
}

func TestFleetReportBadManifests(t *testing.T) {
	out := filepath.Join(t.TempDir(), "fleet.json")
	for _, tc := range []struct {
		name, body, want string
	}{
		{"unknown field", "services:\n  - name: a\n    captures: TESTDATA/lockbound\n    budget: 1GiB\n", "unknown field"},
		{"no name", "services:\n  - captures: TESTDATA/lockbound\n", "service 1 has no name"},
		{"twice", "services:\n  - name: a\n    captures: TESTDATA/lockbound\n  - name: a\n    captures: TESTDATA/stwdelay\n", "service 2 (a): the name is used twice"},
		{"missing captures", "services:\n  - name: a\n    captures: TESTDATA/nope\n", "is not a folder"},
		{"bad budget", "services:\n  - name: a\n    captures: TESTDATA/lockbound\n    mem_budget: lots\n", "fleet.yaml: service 1 (a): mem_budget"},
		{"bad slo", "services:\n  - name: a\n    captures: TESTDATA/lockbound\n  - name: b\n    captures: TESTDATA/lockbound\n    slo: p99\n", "fleet.yaml: service 2 (b): slo"},
		{"empty", "services: []\n", "no services"},
		{"not yaml", "{{{", "not a fleet manifest"},
	} {
		m := writeManifest(t, tc.body)
		code, stdout, errs := run(t, "report", "--manifest", m, "-o", out)
		if code == exitOK || !strings.Contains(errs, tc.want) || stdout != "" {
			t.Errorf("%s: exit %d, stderr %q; want %q", tc.name, code, errs, tc.want)
		}
		if _, err := os.Stat(out); err == nil {
			t.Fatalf("%s: a report was written", tc.name)
		}
	}
	if code, _, _ := run(t, "report"); code != exitUsage {
		t.Errorf("no services: exit %d", code)
	}
}

// TestFleetReportPlot checks what the command writes around the fleet
// plot: HTML carries it inline, Markdown to a folder gets report.md with
// the plot as fleet.png beside it, and text has nothing graphical.
func TestFleetReportPlot(t *testing.T) {
	dir := t.TempDir()
	thin := filepath.Join(dir, "thin")
	os.Mkdir(thin, 0o755)
	os.WriteFile(filepath.Join(thin, "gctrace.log"), []byte("gc 1 @0.010s 1%: 0.010+0.20+0.003 ms clock, 0.021+0.1/0.2/0.3+0.007 ms cpu, 4->4->0 MB, 4 MB goal, 0 MB stacks, 0 MB globals, 2 P\n"), 0o644)
	m := writeManifest(t, `services:
  - name: ledger
    captures: TESTDATA/bigheap
    mem_budget: 512MiB
  - name: thin
    captures: `+thin+`
`)
	code, out, errs := run(t, "report", "--manifest", m, "--format", "html")
	if code != exitOK || strings.Count(out, "<svg") != 1 || !strings.Contains(out, `Not on the plot: <a href="#svc-2-thin">thin</a> (too little data)`) {
		t.Errorf("html: exit %d, %d plots: %s", code, strings.Count(out, "<svg"), errs)
	}
	md := filepath.Join(dir, "md")
	if code, _, errs := run(t, "report", "--manifest", m, "--format", "markdown", "-o", md); code != exitOK {
		t.Fatalf("markdown: exit %d: %s", code, errs)
	}
	text, err := os.ReadFile(filepath.Join(md, "report.md"))
	if err != nil || !strings.Contains(string(text), "![Fleet: GC share of tail against memory overhead](fleet.png)") {
		t.Errorf("report.md does not link fleet.png: %v\n%s", err, text)
	}
	f, err := os.Open(filepath.Join(md, "fleet.png"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if _, format, err := image.Decode(f); err != nil || format != "png" {
		t.Errorf("fleet.png: %v (%s)", err, format)
	}
	if code, out, _ := run(t, "report", "--manifest", m); code != exitOK || strings.Contains(out, "<svg") || strings.Contains(out, "fleet.png") {
		t.Errorf("text: exit %d:\n%s", code, out)
	}
}

// TestFleetBestTuningMemory checks the fleet's "best tuning" says what the
// setting costs in memory: the change in predicted peak memory equals the
// one between the verdict's predicted and current rows in analyze's JSON.
func TestFleetBestTuningMemory(t *testing.T) {
	dir := "../../examples/testdata/tune-before"
	code, out, errs := run(t, "analyze", "--format", "json", "--mem-budget", "1GiB", dir)
	if code != exitOK {
		t.Fatalf("analyze: exit %d: %s", code, errs)
	}
	var a struct {
		Processes []struct {
			Verdict struct {
				Settings struct {
					Predicted struct {
						PeakMemory int64 `json:"peak_memory_bytes"`
					} `json:"predicted"`
					Current struct {
						PeakMemory int64 `json:"peak_memory_bytes"`
					} `json:"current"`
				} `json:"settings"`
			} `json:"verdict"`
		} `json:"processes"`
	}
	if err := json.Unmarshal([]byte(out), &a); err != nil || len(a.Processes) != 1 {
		t.Fatalf("analyze JSON: %v", err)
	}
	s := a.Processes[0].Verdict.Settings
	if s.Current.PeakMemory <= 0 || s.Predicted.PeakMemory <= s.Current.PeakMemory {
		t.Fatalf("settings %+v: want a tune that raises peak memory", s)
	}
	want := float64(s.Predicted.PeakMemory-s.Current.PeakMemory) / float64(s.Current.PeakMemory)

	code, out, errs = run(t, "report", "--format", "json", "--mem-budget", "1GiB", dir)
	if code != exitOK {
		t.Fatalf("report: exit %d: %s", code, errs)
	}
	var f struct {
		Services []struct {
			BestTuning *struct {
				PeakMemoryChange *float64 `json:"peak_memory_change"`
			} `json:"best_tuning"`
		} `json:"services"`
	}
	if err := json.Unmarshal([]byte(out), &f); err != nil || len(f.Services) != 1 || f.Services[0].BestTuning == nil {
		t.Fatalf("report JSON: %v\n%s", err, out)
	}
	got := f.Services[0].BestTuning.PeakMemoryChange
	if got == nil || math.Abs(*got-want) > 1e-9 {
		t.Errorf("peak_memory_change %v, want %.4f", got, want)
	}
	_, text, _ := run(t, "report", "--mem-budget", "1GiB", dir)
	if !strings.Contains(text, fmt.Sprintf("peak memory %+.0f%%", want*100)) {
		t.Errorf("text report lacks the memory change %+.0f%%:\n%s", want*100, text)
	}
}

// TestDocsManifest runs the fleet manifest docs/fleet.md shows, as
// written: YAML reads its unquoted "off" as false, which must mean off.
func TestDocsManifest(t *testing.T) {
	readme, err := os.ReadFile("../../docs/fleet.md")
	if err != nil {
		t.Fatal(err)
	}
	_, rest, ok := strings.Cut(string(readme), "```yaml\nservices:\n")
	block, _, ok2 := strings.Cut(rest, "```")
	if !ok || !ok2 {
		t.Fatal("docs/fleet.md has no fleet manifest example")
	}
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "fleet.yaml"), []byte("services:\n"+block), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(filepath.Join(dir, "captures"), 0o755); err != nil {
		t.Fatal(err)
	}
	capture, _ := filepath.Abs("../../examples/testdata/tune-before")
	if err := os.Symlink(capture, filepath.Join(dir, "captures", "checkout")); err != nil {
		t.Fatal(err)
	}
	code, _, errs := run(t, "report", "--format", "json", "--manifest", filepath.Join(dir, "fleet.yaml"))
	if code != exitOK {
		t.Errorf("exit %d: %s", code, errs)
	}
}
