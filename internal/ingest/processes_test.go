package ingest

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestNoteSaysWhyProcesses checks the note of a log split into
// processes: time going backwards is not the gc counter restarting.
func TestNoteSaysWhyProcesses(t *testing.T) {
	line := func(n int, ms int) string {
		return fmt.Sprintf("gc %d @%d.%03ds 1%%: 0.050+1.0+0.010 ms clock, 0.10+0.20/0.30/0.40+0.020 ms cpu, 4->5->2 MB, 5 MB goal, 0 MB stacks, 0 MB globals, 2 P\n", n, ms/1000, ms%1000)
	}
	for _, tc := range []struct {
		name string
		log  string
		want string
	}{
		{"backwards", line(1, 10) + line(2, 5000) + line(3, 200) + line(4, 300), "holds 2 processes (time goes backwards at line 3)"},
		{"restart", line(1, 10) + line(2, 5000) + line(1, 20) + line(2, 300), "holds 2 processes (the gc counter restarts)"},
	} {
		path := filepath.Join(t.TempDir(), "gctrace.log")
		if err := os.WriteFile(path, []byte(tc.log), 0o644); err != nil {
			t.Fatal(err)
		}
		res, err := Load([]string{path}, Options{})
		if err != nil {
			t.Fatal(err)
		}
		if notes := strings.Join(res.Notes, "\n"); !strings.Contains(notes, tc.want) {
			t.Errorf("%s: notes %q, want %q", tc.name, res.Notes, tc.want)
		}
	}
}
