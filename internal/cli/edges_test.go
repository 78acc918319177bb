package cli

import (
	"path/filepath"
	"strings"
	"testing"
)

// saysInOneLine checks that stderr is one diagnostic line holding every want.
func saysInOneLine(t *testing.T, what, errs string, want ...string) {
	t.Helper()
	lines := strings.Split(strings.TrimSuffix(errs, "\n"), "\n")
	if lines[len(lines)-1] == "Run 'gcwatch --help' for usage." {
		lines = lines[:len(lines)-1]
	}
	if len(lines) != 1 || !strings.HasPrefix(lines[0], "gcwatch: ") {
		t.Errorf("%s: want one line, got %q", what, errs)
		return
	}
	for _, w := range want {
		if !strings.Contains(lines[0], w) {
			t.Errorf("%s: %q does not say %q", what, lines[0], w)
		}
	}
}

func TestMissingFileSaysSo(t *testing.T) {
	missing := filepath.Join(t.TempDir(), "nope.out")
	code, _, errs := run(t, "analyze", missing)
	if code != exitError {
		t.Errorf("exit %d", code)
	}
	saysInOneLine(t, "missing file", errs, missing+": cannot read it: no such file or directory")
	if strings.Contains(errs, "stat ") {
		t.Errorf("stderr %q names the system call", errs)
	}
}

func TestNearMissCommandSuggested(t *testing.T) {
	for in, want := range map[string]string{"analyse": "did you mean analyze?", "captur": "did you mean capture?", "raport": "did you mean report?"} {
		code, _, errs := run(t, in, "x")
		if code != exitUsage {
			t.Errorf("%s: exit %d", in, code)
		}
		saysInOneLine(t, in, errs, `unknown command "`+in+`"`, want)
	}
	// No suggestion for a name far from every command.
	if _, _, errs := run(t, "frobnicate"); strings.Contains(errs, "did you mean") {
		t.Errorf("frobnicate: %q", errs)
	}
}

func TestBareSizeRefused(t *testing.T) {
	for _, flag := range []string{"--mem-budget", "--memlimit"} {
		code, _, errs := run(t, "analyze", flag, "512", "x")
		if code != exitUsage {
			t.Errorf("%s 512: exit %d", flag, code)
		}
		saysInOneLine(t, flag+" 512", errs, `"512" has no unit`, "512MiB")
	}
	// Bytes said as bytes, and large bare numbers (as /metrics reports
	// them), still read.
	for _, v := range []string{"512B", "1048576", "536870912"} {
		var s sizeValue
		if err := s.Set(v); err != nil {
			t.Errorf("%s: %v", v, err)
		}
	}
}

func TestTaskTypesNamed(t *testing.T) {
	_, out, errs := run(t, "analyze", "--task", "nosuch", "../../examples/testdata/tune-before")
	want := `no task of type "nosuch"; the tasks in the trace are of type "request" (3747)`
	if !strings.Contains(out, "Requests         none: "+want) || strings.Contains(out, "add runtime/trace tasks to see") {
		t.Errorf("report does not name the task types:\n%s", out)
	}
	if !strings.Contains(errs, want) {
		t.Errorf("stderr %q", errs)
	}
}

// TestRootsCaveatNamesTheInput: a Go 1.26 trace lacks root sizes because
// it is a trace, not because of its Go version.
func TestRootsCaveatNamesTheInput(t *testing.T) {
	_, doc, _ := analyzeJSON(t, "--mem-budget", "512MiB", "../../examples/testdata/httpsvc-steady/cap2")
	v := processes(doc)[0]["verdict"].(map[string]any)
	found := false
	for _, c := range v["caveats"].([]any) {
		c := c.(string)
		if strings.Contains(c, "before Go 1.18") {
			t.Errorf("caveat %q on a Go 1.26 trace", c)
		}
		found = found || strings.HasPrefix(c, "stack and global roots unknown (an execution trace does not record them; a GODEBUG=gctrace=1 log")
	}
	if !found {
		t.Errorf("caveats %v: want the roots caveat naming the trace", v["caveats"])
	}
}

// TestMissingFilesNamed: every command says which file it cannot read, in
// one line, without the system call.
func TestMissingFilesNamed(t *testing.T) {
	missing := filepath.Join(t.TempDir(), "nope")
	for _, args := range [][]string{
		{"analyze", "--config", missing + ".json", "x"},
		{"report", missing},
		{"report", "--manifest", missing + ".yaml"},
		{"compare", missing, missing + "2"},
	} {
		_, _, errs := run(t, args...)
		saysInOneLine(t, strings.Join(args, " "), errs, missing, "no such file or directory")
		if strings.Contains(errs, "open ") || strings.Contains(errs, "stat ") {
			t.Errorf("%v: %q names the system call", args, errs)
		}
	}
}
