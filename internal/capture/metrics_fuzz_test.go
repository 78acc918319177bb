package capture

import (
	"bytes"
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

// FuzzReadMetrics feeds arbitrary bytes, as a /metrics answer in the text
// format or OpenMetrics, to ReadMetrics: it must not panic or hang, and
// its histograms must be cumulative with ascending bounds.
func FuzzReadMetrics(f *testing.F) {
	f.Add([]byte("# TYPE h histogram\nh_bucket{le=\"0.1\"} 1\nh_bucket{le=\"+Inf\"} 2\nh_count 2\nh_sum 0.3\n"), "text/plain; version=0.0.4")
	f.Add([]byte("# TYPE h histogram\n# UNIT h seconds\nh_bucket{le=\"1\"} 1 # {a=\"b # {\"} 0.5 1\nh_bucket{le=\"+Inf\"} 1\nh_created 1\n# TYPE i info\ni_info{v=\"1\"} 1\n# EOF\n"), "application/openmetrics-text; version=1.0.0")
	f.Add([]byte("x_bucket{le=\"0.5\"} 3\nx{quantile=\"0.9\"} 1\nbad {{\n"), "")
	f.Add([]byte{0x05, 0x0a, 0x01, 'x', 0x18}, "application/vnd.google.protobuf; proto=io.prometheus.client.MetricFamily; encoding=delimited")
	f.Fuzz(func(t *testing.T, data []byte, ct string) {
		done := make(chan struct{})
		go func() {
			defer close(done)
			hs, _, _ := ReadMetrics(bytes.NewReader(data), ct)
			for name, h := range hs {
				if len(h.Bounds) != len(h.Counts) {
					t.Errorf("%s: %d bounds, %d counts", name, len(h.Bounds), len(h.Counts))
				}
				for i := 1; i < len(h.Bounds); i++ {
					if !(h.Bounds[i-1] < h.Bounds[i]) {
						t.Errorf("%s: bounds %v not ascending", name, h.Bounds)
					}
				}
			}
		}()
		select {
		case <-done:
		case <-time.After(5 * time.Second):
			t.Fatalf("reading %d bytes still running after 5s", len(data))
		}
	})
}
