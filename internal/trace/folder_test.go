package trace

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// gctraceFolder makes a folder holding a recorded gctrace log.
func gctraceFolder(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	b, err := os.ReadFile(filepath.Join(recordings, "stwdelay", "gctrace.log"))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "gctrace.log"), b, 0o644); err != nil {
		t.Fatal(err)
	}
	return dir
}

// TestLargeManifestIgnored gives a capture folder a manifest.json above
// the side-file cap (valid JSON that sets GOGC, padded): it is not read,
// and a note says so.
func TestLargeManifestIgnored(t *testing.T) {
	dir := gctraceFolder(t)
	big := []byte(`{"gogc": "37"` + strings.Repeat(" ", 2<<20) + "}\n")
	if err := os.WriteFile(filepath.Join(dir, "manifest.json"), big, 0o644); err != nil {
		t.Fatal(err)
	}
	res, err := Load([]string{dir}, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if g := res.Runs[0].GOGC; g != nil && *g == 37 {
		t.Errorf("GOGC %d read from a manifest above the cap", *g)
	}
	want := "manifest.json is larger than 1 MiB; ignored"
	if len(res.Notes) != 1 || !strings.HasSuffix(res.Notes[0], want) {
		t.Errorf("notes %q, want one ending %q", res.Notes, want)
	}
	// Below the cap it is read.
	os.WriteFile(filepath.Join(dir, "manifest.json"), []byte(`{"gogc": "37"}`), 0o644)
	if res, err = Load([]string{dir}, Options{}); err != nil || res.Runs[0].GOGC == nil || *res.Runs[0].GOGC != 37 {
		t.Errorf("a small manifest: err %v, notes %q", err, res.Notes)
	}
}
