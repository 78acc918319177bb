package exectrace

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// goroot is the Go installation whose test traces we read (never copied
// into the repo).
func goroot(t *testing.T) string {
	t.Helper()
	out, err := exec.Command("go", "env", "GOROOT").Output()
	if err != nil {
		t.Skipf("go env GOROOT: %v", err)
	}
	return strings.TrimSpace(string(out))
}

// TestOldFormats reads the Go 1.11, 1.19 and 1.21 traces GOROOT ships and
// checks them against an independent pass over x/exp's events.
func TestOldFormats(t *testing.T) {
	dir := filepath.Join(goroot(t), "src/internal/trace/internal/tracev1/testdata")
	files, _ := filepath.Glob(filepath.Join(dir, "*_good"))
	if len(files) == 0 {
		t.Skipf("no old-format traces in %s", dir)
	}
	for _, f := range files {
		t.Run(filepath.Base(f), func(t *testing.T) {
			data, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			raw := rawRead(t, data)
			run, err := Read(bytes.NewReader(data), f, Options{})
			if err != nil {
				t.Fatalf("Read: %v", err)
			}
			if got, want := len(run.Cycles), raw.gcBegins+min(raw.gcActive, 1); got != want {
				t.Errorf("cycles = %d, want %d", got, want)
			}
			got := map[string]time.Duration{}
			for _, p := range run.Pauses {
				got[p.Reason] += p.Duration
			}
			for reason, want := range raw.pauseByCause {
				if got[reason] != want {
					t.Errorf("pauses %q total %v, want %v", reason, got[reason], want)
				}
			}
			if run.Requests.Len() < raw.tasks {
				t.Errorf("requests = %d, want ≥ %d", run.Requests.Len(), raw.tasks)
			}
			if run.Stats.Events != raw.events || run.Stats.Generations != 1 {
				t.Errorf("stats %+v, want %d events in 1 generation", run.Stats, raw.events)
			}
			if !strings.HasPrefix(run.Inputs[0].Format, "go 1.") || !strings.HasPrefix(run.GoVersion, "go1.") {
				t.Errorf("format %q, version %q", run.Inputs[0].Format, run.GoVersion)
			}
			checkCycleOrder(t, run)
		})
	}
}

// TestOldFormatCut checks that a Go ≤1.21 trace cut short is an error
// without a run: x/exp reads those whole.
func TestOldFormatCut(t *testing.T) {
	f := filepath.Join(goroot(t), "src/internal/trace/internal/tracev1/testdata/http_1_21_good")
	data, err := os.ReadFile(f)
	if err != nil {
		t.Skip(err)
	}
	run, err := Read(bytes.NewReader(data[:len(data)/2]), "cut.trace", Options{})
	if err == nil || run != nil {
		t.Errorf("run %v, err %v; want an error and no run", run != nil, err)
	}
	if err != nil && !strings.HasPrefix(err.Error(), "cut.trace: ") {
		t.Errorf("error %q does not name the input", err)
	}
}

func TestNotATrace(t *testing.T) {
	for _, in := range []string{"", "hello", "gc 1 @0.010s 2%: 0.1+1+0.1 ms clock", "go 1.99 trace\x00\x00\x00", "go 1.23 trace\x00\x00\x00"} {
		run, err := Read(strings.NewReader(in), "x", Options{})
		if err == nil || run != nil {
			t.Errorf("Read(%q): run %v, err %v; want an error", in, run != nil, err)
		}
	}
}

func TestLooksLike(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want string
		ok   bool
	}{
		{"go 1.23 trace\x00\x00\x00rest", "go 1.23 trace", true},
		{"go 1.11 trace\x00\x00\x00", "go 1.11 trace", true},
		{"go 1.5 trace\x00\x00\x00\x00", "go 1.5 trace", true},
		{"go 1.23 trace\x00\x00", "", false},
		{"go 1.23 trace\x00\x00x", "", false},
		{"go 1.x3 trace\x00\x00\x00", "", false},
		{"gc 1 @0.1s 1%: ...............", "", false},
	} {
		got, ok := LooksLike([]byte(tc.in))
		if got != tc.want || ok != tc.ok {
			t.Errorf("LooksLike(%q) = %q, %v; want %q, %v", tc.in, got, ok, tc.want, tc.ok)
		}
	}
}
