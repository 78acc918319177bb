package ingest

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
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

// TestManyTinyFiles gives a folder of 20,000 tiny files that are not
// inputs beside one gctrace log: it is analysed in a few seconds, and the
// skipped files are summed up in a few notes.
func TestManyTinyFiles(t *testing.T) {
	if testing.Short() {
		t.Skip("makes 20,000 files")
	}
	dir := gctraceFolder(t)
	const n = 20000
	for i := range n {
		content := fmt.Sprintf("note %d\n", i)
		if i%2 == 1 {
			content = fmt.Sprintf("\x00\x01\x02 binary %d", i)
		}
		if err := os.WriteFile(filepath.Join(dir, fmt.Sprintf("f%05d", i)), []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	start := time.Now()
	// With progress reports, as on a terminal: decoders read through one
	// more buffer.
	res, err := Load([]string{dir}, Options{Progress: func(string, int64, int64) {}})
	took := time.Since(start)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("%d files loaded in %s", n+1, took)
	if len(res.Runs) != 1 {
		t.Errorf("%d runs, want 1", len(res.Runs))
	}
	// 1.7–2.9 s on an idle 2-core machine (the unbounded reading took
	// 15–38 s); the bound leaves room for a machine shared with other work.
	if took > 20*time.Second {
		t.Errorf("%d tiny files took %s", n, took)
	}
	if len(res.Notes) > 4 || len(res.Notes) == 0 || res.Notes[0] != "20000 skipped in "+dir+": 20000 not traces or logs; the first 3 follow" {
		t.Errorf("%d notes, starting %q", len(res.Notes), res.Notes[:min(len(res.Notes), 5)])
	}
}

// TestUnreadableSubfolderSkipped makes one sub-folder fail to list (by
// replacing readDir: the tests run as root, whom chmod 000 does not stop):
// it is skipped with a note, as an unreadable file is, and the rest of the
// folder is analysed.
func TestUnreadableSubfolderSkipped(t *testing.T) {
	dir := gctraceFolder(t)
	locked := filepath.Join(dir, "locked")
	if err := os.Mkdir(locked, 0o755); err != nil {
		t.Fatal(err)
	}
	defer func(orig func(string) ([]os.DirEntry, error)) { readDir = orig }(readDir)
	readDir = func(name string) ([]os.DirEntry, error) {
		if name == locked {
			return nil, &os.PathError{Op: "open", Path: name, Err: os.ErrPermission}
		}
		return os.ReadDir(name)
	}
	res, err := Load([]string{dir}, Options{})
	if err != nil {
		t.Fatal(err)
	}
	want := "skipped " + locked + ": cannot read the folder: permission denied"
	if len(res.Runs) != 1 || len(res.Notes) != 1 || res.Notes[0] != want {
		t.Errorf("%d runs, notes %q; want 1 run and the note %q", len(res.Runs), res.Notes, want)
	}
	// The folder named on the command line must be readable.
	if _, err := Load([]string{locked}, Options{}); err == nil {
		t.Errorf("an unreadable folder named directly was accepted")
	}
}

func TestSkippedNotes(t *testing.T) {
	var s skipped
	s.add(skipNotInput, "a: not a trace")
	s.add(skipUnreadableFolder, "b: cannot read folder")
	want := []string{"skipped a: not a trace", "skipped b: cannot read folder"}
	if got := s.notes("d"); !slices.Equal(got, want) {
		t.Errorf("a few: %q, want %q", got, want)
	}
	s.add(skipNotInput, "c: not a trace")
	s.add(skipUnreadable, "e: permission denied")
	want = []string{"4 skipped in d: 2 not traces or logs, 1 unreadable folder, 1 unreadable file; the first 3 follow",
		"skipped a: not a trace", "skipped b: cannot read folder", "skipped c: not a trace"}
	if got := s.notes("d"); !slices.Equal(got, want) {
		t.Errorf("many: %q, want %q", got, want)
	}
}
