package outfile

import (
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
)

func writeString(s string) func(io.Writer) error {
	return func(w io.Writer) error { _, err := io.WriteString(w, s); return err }
}

func mustWrite(t *testing.T, path, s string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(s), 0o644); err != nil {
		t.Fatal(err)
	}
}

func mustRead(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// entries lists dir's names, to show that no temporary file is left.
func entries(t *testing.T, dir string) []string {
	t.Helper()
	es, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, e := range es {
		out = append(out, e.Name())
	}
	return out
}

// TestNeverOverAnInput writes to an input under its own name, another
// spelling of it, a hard link, a symbolic link, and as a file inside an
// input folder: each is refused with one line and the input is intact.
func TestNeverOverAnInput(t *testing.T) {
	dir := t.TempDir()
	in := filepath.Join(dir, "trace.out")
	mustWrite(t, in, "TRACE")
	folder := filepath.Join(dir, "cap")
	inner := filepath.Join(folder, "sub", "gctrace.log")
	mustWrite(t, inner, "LOG")
	mustWrite(t, filepath.Join(folder, "report.md"), "old report")
	fakePlot := filepath.Join(folder, "report_files", "heap.png") // a trace under a plot's name
	mustWrite(t, fakePlot, "TRACE")
	realPlot := filepath.Join(folder, "report_files", "mmu.png")
	mustWrite(t, realPlot, "\x89PNG\r\n\x1a\n...")
	hard := filepath.Join(dir, "hard")
	if err := os.Link(in, hard); err != nil {
		t.Fatal(err)
	}
	soft := filepath.Join(dir, "soft")
	if err := os.Symlink(in, soft); err != nil {
		t.Fatal(err)
	}
	g := Protect([]string{in, folder, "-", filepath.Join(dir, "missing")}, IsOutput)
	for _, target := range []string{in, filepath.Join(dir, ".", "trace.out"), hard, soft, inner, fakePlot} {
		err := g.Write(target, writeString("REPORT"))
		if err == nil {
			t.Errorf("%s: written", target)
			continue
		}
		if strings.Contains(err.Error(), "\n") || !strings.Contains(err.Error(), target) {
			t.Errorf("%s: message %q is not one line naming the file", target, err)
		}
	}
	if got := mustRead(t, in); got != "TRACE" {
		t.Errorf("input now %q", got)
	}
	if got := mustRead(t, inner); got != "LOG" {
		t.Errorf("input in folder now %q", got)
	}
	// gcwatch's own report and plots inside the folder are not inputs.
	for _, p := range []string{filepath.Join(folder, "report.md"), realPlot} {
		if err := g.Write(p, writeString("new")); err != nil {
			t.Errorf("%s: %v", p, err)
		}
	}
	if want := []string{"cap", "hard", "soft", "trace.out"}; strings.Join(entries(t, dir), " ") != strings.Join(want, " ") {
		t.Errorf("left in %s: %v", dir, entries(t, dir))
	}
}

// TestNeverOverASpecialFile refuses a named pipe, a character device and
// a folder, and leaves each as it was.
func TestNeverOverASpecialFile(t *testing.T) {
	dir := t.TempDir()
	fifo := filepath.Join(dir, "fifo")
	if err := syscall.Mkfifo(fifo, 0o644); err != nil {
		t.Skip("no named pipes here:", err)
	}
	g := Protect(nil, nil)
	for _, tc := range []struct{ path, kind string }{
		{fifo, "a named pipe"},
		{"/dev/null", "a character device"},
		{dir, "a folder"},
	} {
		before, err := os.Lstat(tc.path)
		if err != nil {
			t.Fatal(err)
		}
		err = g.Check(tc.path)
		if err == nil || !strings.Contains(err.Error(), tc.kind) {
			t.Errorf("%s: %v, want it refused as %s", tc.path, err, tc.kind)
		}
		if tc.path != "/dev/null" { // never even try to replace a device of the machine's
			if err := g.Write(tc.path, writeString("x")); err == nil {
				t.Errorf("%s: written", tc.path)
			}
		}
		after, err := os.Lstat(tc.path)
		if err != nil || after.Mode() != before.Mode() || !os.SameFile(before, after) {
			t.Errorf("%s changed: %v → %v (%v)", tc.path, before.Mode(), after, err)
		}
	}
	if want := "fifo"; strings.Join(entries(t, dir), " ") != want {
		t.Errorf("left in %s: %v", dir, entries(t, dir))
	}
}

// TestNoPartialFile: a write that fails replaces nothing and leaves no
// temporary file, and removes the folders it made; a set is all or
// nothing.
func TestNoPartialFile(t *testing.T) {
	dir := t.TempDir()
	old := filepath.Join(dir, "report.txt")
	mustWrite(t, old, "previous report")
	g := Protect(nil, nil)
	boom := errors.New("boom")
	err := g.Write(old, func(w io.Writer) error {
		io.WriteString(w, "half a rep")
		return boom
	})
	if !errors.Is(err, boom) {
		t.Errorf("error %v", err)
	}
	if got := mustRead(t, old); got != "previous report" {
		t.Errorf("report now %q", got)
	}

	s := g.NewSet()
	md, err := s.Create(filepath.Join(dir, "out", "report.md"))
	if err != nil {
		t.Fatal(err)
	}
	io.WriteString(md, "# report")
	png, err := s.Create(filepath.Join(dir, "out", "report_files", "heap.png"))
	if err != nil {
		t.Fatal(err)
	}
	io.WriteString(png, "PNG")
	if _, err := s.Create(filepath.Join(dir, "out", "report.md")); err == nil {
		t.Error("the same file twice in one set")
	}
	s.Abort()
	if got := strings.Join(entries(t, dir), " "); got != "report.txt" {
		t.Errorf("after Abort: %s", got)
	}

	s = g.NewSet()
	for _, name := range []string{"report.md", "report_files/heap.png"} {
		w, err := s.Create(filepath.Join(dir, "out", name))
		if err != nil {
			t.Fatal(err)
		}
		io.WriteString(w, name)
	}
	if err := s.Commit(); err != nil {
		t.Fatal(err)
	}
	if got := mustRead(t, filepath.Join(dir, "out", "report_files", "heap.png")); got != "report_files/heap.png" {
		t.Errorf("plot %q", got)
	}
	if got := strings.Join(entries(t, filepath.Join(dir, "out")), " "); got != "report.md report_files" {
		t.Errorf("after Commit: %s", got)
	}
}

// TestSymlinkTargetReplaced: -o through a symbolic link replaces the file
// it points to and keeps the link, with the file's permissions.
func TestSymlinkTargetReplaced(t *testing.T) {
	dir := t.TempDir()
	real := filepath.Join(dir, "real.txt")
	mustWrite(t, real, "old")
	if err := os.Chmod(real, 0o600); err != nil {
		t.Fatal(err)
	}
	link := filepath.Join(dir, "link.txt")
	if err := os.Symlink("real.txt", link); err != nil {
		t.Fatal(err)
	}
	if err := Protect(nil, nil).Write(link, writeString("new")); err != nil {
		t.Fatal(err)
	}
	if st, err := os.Lstat(link); err != nil || st.Mode()&os.ModeSymlink == 0 {
		t.Errorf("the link was replaced: %v %v", st.Mode(), err)
	}
	st, _ := os.Stat(real)
	if got := mustRead(t, real); got != "new" || st.Mode().Perm() != 0o600 {
		t.Errorf("real.txt %q, mode %v", got, st.Mode())
	}
}
