package cli

import (
	"flag"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
)

// update rewrites the golden files instead of comparing with them:
//
//	go test ./internal/cli -run TestGolden -update
var update = flag.Bool("update", false, "rewrite the golden outputs under testdata/golden")

// generator matches the line naming the gcwatch build and Go version,
// which is the only part of a report that depends on the machine.
var generator = regexp.MustCompile(`gcwatch [^\s"]+ \(go[^)]*\)`)

// golden compares got with testdata/golden/name byte for byte, or
// rewrites the file with -update.
func golden(t *testing.T, name, got string) {
	t.Helper()
	got = generator.ReplaceAllString(got, "gcwatch VERSION (GO)")
	p := filepath.Join("testdata", "golden", name)
	if *update {
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(p)
	if err != nil {
		t.Fatalf("%v (run go test ./internal/cli -run TestGolden -update to make it)", err)
	}
	if got != string(want) {
		t.Errorf("%s differs from what gcwatch prints now; if the change is meant, rewrite it with go test ./internal/cli -run TestGolden -update and review the diff\n%s", p, firstDifference(string(want), got))
	}
}

// firstDifference shows the first line that differs, with its number.
func firstDifference(want, got string) string {
	w, g := strings.Split(want, "\n"), strings.Split(got, "\n")
	for i := 0; i < max(len(w), len(g)); i++ {
		var a, b string
		if i < len(w) {
			a = w[i]
		}
		if i < len(g) {
			b = g[i]
		}
		if a != b {
			return "line " + strconv.Itoa(i+1) + ":\n  golden: " + a + "\n  now:    " + b
		}
	}
	return "(only the final newline differs)"
}

var goldenFormats = map[string]string{"text": "txt", "markdown": "md", "json": "json"}

// TestGoldenAnalyze keeps what `gcwatch analyze` prints for every shipped
// example capture in every text format, so a change to a report is
// reviewed as a diff of what users see.
func TestGoldenAnalyze(t *testing.T) {
	dirs, err := filepath.Glob("../../examples/testdata/*")
	if err != nil || len(dirs) == 0 {
		t.Fatalf("no example captures: %v", err)
	}
	for _, dir := range dirs {
		if fi, err := os.Stat(dir); err != nil || !fi.IsDir() || isFolderOfCaptures(dir) {
			continue // the remedy re-runs under proof/ have their own tests
		}
		name := filepath.Base(dir)
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			for format, ext := range goldenFormats {
				code, out, errs := run(t, "analyze", dir, "--format", format)
				if code != exitOK {
					t.Fatalf("analyze %s --format %s: exit %d: %s", dir, format, code, errs)
				}
				golden(t, "analyze-"+name+"."+ext, out)
			}
		})
	}
}

// isFolderOfCaptures tells a folder that holds only folders.
func isFolderOfCaptures(dir string) bool {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return false
	}
	for _, e := range entries {
		if !e.IsDir() {
			return false
		}
	}
	return true
}

// TestGoldenFleet keeps the fleet report over the shipped examples.
func TestGoldenFleet(t *testing.T) {
	m := writeManifest(t, `services:
  - name: checkout
    captures: TESTDATA/allocheavy-p2-gogc100
    mem_budget: 1GiB
  - name: ledger
    captures: TESTDATA/bigheap
    mem_budget: 450MiB
    slo: p99=50ms
  - name: statements
    captures: TESTDATA/bigheap
    mem_budget: 512MiB
    slo: p99=50ms
  - name: jobs
    captures: TESTDATA/stwdelay
  - name: search
    captures: TESTDATA/tune-before
    mem_budget: 2GiB
  - name: batch
    captures: TESTDATA/lockbound
`)
	abs, err := filepath.Abs("../../examples/testdata")
	if err != nil {
		t.Fatal(err)
	}
	for format, ext := range goldenFormats {
		code, out, errs := run(t, "report", "--manifest", m, "--format", format)
		if code != exitOK {
			t.Fatalf("report --format %s: exit %d: %s", format, code, errs)
		}
		out = strings.ReplaceAll(out, abs, "TESTDATA")
		out = strings.ReplaceAll(out, m, "MANIFEST")
		golden(t, "fleet."+ext, out)
	}
}
