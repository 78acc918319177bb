package capture

import (
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/gcwatch/gcwatch/internal/units"
)

// FuzzReadSettings feeds arbitrary bytes, as the metrics.txt a capture
// saves from a service's /metrics, to the reader of the GC settings in
// it: it must not panic or hang.
func FuzzReadSettings(f *testing.F) {
	f.Add([]byte("# HELP go_info Information about the Go environment.\n# TYPE go_info gauge\ngo_info{version=\"go1.26.0\"} 1\ngo_sched_gomaxprocs_threads 8\ngo_gc_gogc_percent 100\ngo_gc_gomemlimit_bytes 9.223372036854776e+18\n"))
	f.Add([]byte("go_gc_gogc_percent -1\ngo_gc_gomemlimit_bytes 2.147483648e+09 1700000000000\ngo_gomaxprocs{a=\"b c\"} 4\n"))
	f.Add([]byte("go_gc_gogc_percent NaN\ngo_gc_gomemlimit_bytes +Inf\ngo_info{version=\"\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		dir := t.TempDir()
		if err := os.WriteFile(filepath.Join(dir, "metrics.txt"), data, 0o644); err != nil {
			t.Fatal(err)
		}
		done := make(chan struct{})
		var m Manifest
		go func() {
			defer close(done)
			m.readSettings(dir)
		}()
		select {
		case <-done:
		case <-time.After(5 * time.Second):
			t.Fatalf("reading %d bytes of metrics still running after 5s", len(data))
		}
		// Whatever the metrics say, the settings read are ones a process
		// can have: what gcwatch analyze reads back from the manifest.
		if m.GOMAXPROCS != nil && *m.GOMAXPROCS <= 0 {
			t.Errorf("gomaxprocs %d from %q", *m.GOMAXPROCS, data)
		}
		if m.GOGC != nil && *m.GOGC < units.GOGCOff {
			t.Errorf("gogc %d from %q", *m.GOGC, data)
		}
		if m.MemoryLimit != nil && *m.MemoryLimit < units.LimitOff {
			t.Errorf("memlimit %d from %q", *m.MemoryLimit, data)
		}
	})
}
