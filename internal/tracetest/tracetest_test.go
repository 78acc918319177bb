package tracetest

import (
	"os"
	"path/filepath"
	"testing"

	exptrace "golang.org/x/exp/trace"
)

// recorder is a testing.TB that records a failure instead of stopping.
type recorder struct {
	testing.TB
	failed string
}

func (r *recorder) Helper() {}
func (r *recorder) Fatalf(format string, args ...any) {
	r.failed = format
	panic(r)
}
func (r *recorder) Fatal(args ...any) { r.Fatalf("%v", args...) }

func failure(t *testing.T, f func(tb testing.TB)) (failed string) {
	r := &recorder{TB: t}
	defer func() {
		if v := recover(); v != nil && v != any(r) {
			panic(v)
		}
		failed = r.failed
	}()
	f(r)
	return ""
}

func TestEvents(t *testing.T) {
	path := filepath.Join("..", "..", "examples", "testdata", "lockbound", "trace.out")
	n, syncs := 0, 0
	for ev := range Events(t, path) {
		n++
		if ev.Kind() == exptrace.EventSync {
			syncs++
		}
	}
	if n < 1000 || syncs < 1 {
		t.Fatalf("%d events, %d syncs in %s", n, syncs, path)
	}
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	m := 0
	for range EventsOf(t, path, data) {
		if m++; m == 10 {
			break // stopping early is allowed
		}
	}
	if m != 10 {
		t.Fatalf("stopped after %d events, want 10", m)
	}
	// A damaged trace fails the test, naming it.
	if f := failure(t, func(tb testing.TB) {
		for range EventsOf(tb, "cut.out", data[:len(data)/2]) {
		}
	}); f == "" {
		t.Error("a trace cut in half read without failing")
	}
	if f := failure(t, func(tb testing.TB) {
		for range Events(tb, filepath.Join(t.TempDir(), "missing")) {
		}
	}); f == "" {
		t.Error("a missing file read without failing")
	}
}
