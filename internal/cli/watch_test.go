package cli

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// TestWatchServiceNeverAnswered watches a closed port until --duration: it
// exits 1 saying no capture was made, and says the poll's failure once.
func TestWatchServiceNeverAnswered(t *testing.T) {
	for _, when := range [][]string{{"--when", "pause>5ms"}, {"--every", "100ms", "--seconds", "1"}} {
		args := append([]string{"watch", closedPort(t), "--interval", "100ms", "--duration", "1s", "--max-failures", "0", "-o", filepath.Join(t.TempDir(), "w")}, when...)
		code, out, errs := run(t, args...)
		lines := strings.Split(strings.TrimSpace(errs), "\n")
		last := lines[len(lines)-1]
		if code != exitError || out != "" || !strings.HasPrefix(last, "gcwatch: no capture was made: the service never answered (") {
			t.Errorf("%v: exit %d, stdout %q, stderr %q", when, code, out, errs)
		}
		if strings.Count(errs, "warning:") != 1 {
			t.Errorf("%v: want the failure said once: %q", when, errs)
		}
	}
}

// TestWatchStopsAfterFailedLooks: a service that has gone away stops the
// watch after --max-failures looks in a row, with exit status 1 and one
// line saying so.
func TestWatchStopsAfterFailedLooks(t *testing.T) {
	start := time.Now()
	code, _, errs := run(t, "watch", closedPort(t), "--when", "pause>5ms", "--interval", "50ms", "--max-failures", "3", "-o", filepath.Join(t.TempDir(), "w"))
	if code != exitError || !strings.Contains(errs, "gcwatch: stopped: 3 looks at http://") || !strings.Contains(errs, "in a row failed (the last: ") {
		t.Errorf("exit %d, stderr %q", code, errs)
	}
	if strings.Count(errs, "\n") != 2 { // the failure once, then why it stopped
		t.Errorf("stderr %q: want two lines", errs)
	}
	if took := time.Since(start); took > time.Minute {
		t.Errorf("took %v", took)
	}
}

// TestWatchSummaryOldMax: a service exporting only the
// go_gc_duration_seconds summary, whose max holds an old 5.24 ms pause while
// new pauses are short, is not captured again and again.
func TestWatchSummaryOldMax(t *testing.T) {
	var n atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		k := n.Add(1) // two short pauses of 0.2 ms per look
		fmt.Fprintf(w, "go_gc_duration_seconds{quantile=\"0.5\"} 0.0002\ngo_gc_duration_seconds{quantile=\"1\"} 0.00524288\n")
		fmt.Fprintf(w, "go_gc_duration_seconds_sum %g\ngo_gc_duration_seconds_count %d\n", 0.00524288+float64(2*k)*0.0002, 1+2*k)
	}))
	t.Cleanup(srv.Close)
	dir := filepath.Join(t.TempDir(), "w")
	code, out, errs := run(t, "watch", srv.URL, "--when", "pause>5ms", "--interval", "50ms", "--duration", "600ms", "-o", dir)
	entries, _ := os.ReadDir(dir)
	if code != exitOK || len(entries) != 0 || strings.Contains(errs, "capturing") || n.Load() < 3 {
		t.Errorf("exit %d after %d looks, %d captures; stdout %q, stderr %q", code, n.Load(), len(entries), out, errs)
	}
}
