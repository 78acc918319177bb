package capture

import (
	"os"
	"path/filepath"
	"strconv"
	"testing"
	"time"
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
		for name, v := range map[string]string{"gogc": m.GOGC, "gomemlimit": m.GOMEMLIMIT, "gomaxprocs": m.GOMAXPROCS} {
			if v == "" || v == "off" && name != "gomaxprocs" {
				continue
			}
			if n, err := strconv.ParseInt(v, 10, 64); err != nil || n < 0 || name == "gomaxprocs" && n == 0 {
				t.Errorf("%s %q from %q", name, v, data)
			}
		}
	})
}
