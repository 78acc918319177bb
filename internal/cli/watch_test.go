package cli

import (
	"path/filepath"
	"strings"
	"testing"
)

// TestWatchServiceNeverAnswered watches a closed port until --duration: it
// exits 1 saying no capture was made, and says the poll's failure once.
func TestWatchServiceNeverAnswered(t *testing.T) {
	for _, when := range [][]string{{"--when", "pause>5ms"}, {"--every", "100ms", "--seconds", "1"}} {
		args := append([]string{"watch", closedPort(t), "--interval", "100ms", "--duration", "1s", "-o", filepath.Join(t.TempDir(), "w")}, when...)
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
