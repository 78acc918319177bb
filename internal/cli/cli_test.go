package cli

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
)

// run calls Main with buffers and returns the exit code and both streams.
func run(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	var out, errb bytes.Buffer
	code := Main(args, strings.NewReader(""), &out, &errb)
	return code, out.String(), errb.String()
}

func TestAnalyzeFlagsToOptions(t *testing.T) {
	unset := func(o analyzeOptions) analyzeOptions {
		if o.MemBudget == (sizeValue{}) {
			o.MemBudget = sizeValue{bytes: sizeUnset}
		}
		if o.GOGC == (gogcValue{}) {
			o.GOGC = gogcValue{v: sizeUnset}
		}
		if o.MemLimit == (sizeValue{}) {
			o.MemLimit = sizeValue{bytes: sizeUnset, allowOff: true}
		}
		if o.Infer == "" {
			o.Infer = "auto"
		}
		return o
	}
	for _, tc := range []struct {
		args []string
		want analyzeOptions
	}{
		{[]string{"a.trace"}, analyzeOptions{Inputs: []string{"a.trace"}, Format: "text", Worst: 10, Color: "auto", Progress: true}},
		{[]string{"-f", "json", "-o", "r.json", "--task", "http", "--worst", "3", "x", "y"},
			analyzeOptions{Inputs: []string{"x", "y"}, Format: "json", Output: "r.json", TaskType: "http", Worst: 3, Color: "auto", Progress: true}},
		{[]string{"--format=markdown", "--color", "never", "--progress=false", "--workers", "1", "-"},
			analyzeOptions{Inputs: []string{"-"}, Format: "markdown", Worst: 10, Workers: 1, Color: "never"}},
		{[]string{"--infer", "always", "x"},
			analyzeOptions{Inputs: []string{"x"}, Format: "text", Infer: "always", Worst: 10, Color: "auto", Progress: true}},
		{[]string{"--slo", "p99=50ms", "--mem-budget", "2GiB", "--gogc", "off", "--memlimit", "1GiB", "--threshold", "gc_share_small=0.2", "--fail-on", "tune,migration-candidate", "x"},
			analyzeOptions{Inputs: []string{"x"}, Format: "text", Worst: 10, Color: "auto", Progress: true,
				SLO: sloValue{quantile: 0.99, target: 50 * time.Millisecond}, MemBudget: sizeValue{bytes: 2 << 30},
				GOGC: gogcValue{v: -1}, MemLimit: sizeValue{bytes: 1 << 30, allowOff: true},
				Thresholds: []string{"gc_share_small=0.2"}, FailOn: "tune,migration-candidate"}},
	} {
		tc.want = unset(tc.want)
		var got *analyzeOptions
		s := &streams{In: strings.NewReader(""), Out: &bytes.Buffer{}, Err: &bytes.Buffer{}}
		cmd := newAnalyzeCmd(s, func(o *analyzeOptions) error { got = o; return nil })
		cmd.SetArgs(tc.args)
		cmd.SetOut(&bytes.Buffer{})
		cmd.SetErr(&bytes.Buffer{})
		if err := cmd.Execute(); err != nil {
			t.Errorf("%v: %v", tc.args, err)
			continue
		}
		if diff := cmp.Diff(tc.want, *got, cmpopts.IgnoreUnexported(analyzeOptions{}), cmp.AllowUnexported(sloValue{}, sizeValue{}, gogcValue{})); diff != "" {
			t.Errorf("%v: options (-want +got):\n%s", tc.args, diff)
		}
	}
}

func TestUsageErrorsExit2(t *testing.T) {
	for _, args := range [][]string{
		{"analyze"},                          // no input
		{"analyze", "--format", "yaml", "x"}, // bad format
		{"analyze", "--bogus", "x"},          // unknown flag
		{"frobnicate"},                       // unknown command
		{"analyze", "--worst", "-1", "x"},
		{"analyze", "--infer", "sometimes", "x"},
		{"analyze", "-", "-"},
		{"version", "extra"},
		{"analyze", "--slo", "fast", "x"},
		{"analyze", "--mem-budget", "lots", "x"},
		{"analyze", "--gogc", "-3", "x"},
		{"analyze", "--threshold", "nonsense=1", "x"},
		{"analyze", "--threshold", "gc_share_small", "x"},
		{"analyze", "--fail-on", "panic", "x"},
		{"analyze", "--config", "/nonexistent.json", "x"},
	} {
		code, out, errs := run(t, args...)
		if code != exitUsage {
			t.Errorf("%v: exit %d, want %d (stderr %q)", args, code, exitUsage, errs)
		}
		if out != "" {
			t.Errorf("%v: wrote to stdout: %q", args, out)
		}
		if !strings.HasPrefix(errs, "gcwatch: ") || strings.Contains(errs, "goroutine ") {
			t.Errorf("%v: stderr %q", args, errs)
		}
	}
}

func TestHelpEverywhere(t *testing.T) {
	for _, args := range [][]string{{"--help"}, {"analyze", "--help"}, {"version", "--help"}, {"completion", "--help"}, {"help", "analyze"}} {
		code, out, _ := run(t, args...)
		if code != exitOK || !strings.Contains(out, "Usage:") {
			t.Errorf("%v: exit %d, output %q", args, code, out)
		}
	}
}

func TestVersionAndCompletion(t *testing.T) {
	code, out, _ := run(t, "version")
	if code != 0 || !strings.HasPrefix(out, "gcwatch ") {
		t.Errorf("version: %d %q", code, out)
	}
	code, out, _ = run(t, "completion", "bash")
	if code != 0 || !strings.Contains(out, "bash completion") {
		t.Errorf("completion bash: %d, %d bytes", code, len(out))
	}
}

func TestMissingInputExits1(t *testing.T) {
	code, out, errs := run(t, "analyze", "/nonexistent/trace.out")
	if code != exitError || out != "" || !strings.Contains(errs, "/nonexistent/trace.out") {
		t.Errorf("exit %d, stdout %q, stderr %q", code, out, errs)
	}
}
