package cli

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestStderrEscapesInputs checks that notes, warnings and errors, which
// quote file names and log content, reach standard error with their
// control characters escaped.
func TestStderrEscapesInputs(t *testing.T) {
	log, err := os.ReadFile(filepath.Join(example, "gctrace.log"))
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	// A damaged gc line gives a warning naming the file; a file that is
	// no input gives a note naming it.
	name := filepath.Join(dir, "gc\x1b]0;pwned\x07\nVerdict: forged.log")
	damaged := append([]byte("gc 99999 @1.0s 1%: 0.1+\n"), log...)
	if err := os.WriteFile(name, damaged, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "notes\x1b[2J.txt"), []byte("just text\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	missing := filepath.Join(dir, "missing\x1b[2J\x07")
	for _, args := range [][]string{
		{"analyze", "--format", "json", dir},
		{"analyze", missing},
	} {
		_, _, errs := run(t, args...)
		if errs == "" {
			t.Fatalf("%q: nothing on stderr", args)
		}
		if strings.ContainsAny(errs, "\x1b\x07") {
			t.Errorf("%q: stderr holds raw controls:\n%q", args, errs)
		}
		for _, line := range strings.Split(errs, "\n") {
			if line != "" && !strings.HasPrefix(line, "gcwatch: ") && !strings.HasPrefix(line, "Run 'gcwatch") {
				t.Errorf("%q: an input forged a line on stderr: %q", args, line)
			}
		}
		if !strings.Contains(errs, `\x1b`) {
			t.Errorf("%q: stderr does not show the escape escaped:\n%s", args, errs)
		}
	}
}
