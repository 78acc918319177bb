package cli

import (
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// closedPort is a loopback address nobody listens on.
func closedPort(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	return addr
}

func TestCaptureUsage(t *testing.T) {
	for _, extra := range [][]string{
		{"--timeout", "-1s"},
		{"--timeout", "0s"},
		{"--max-bytes", "0"},
	} {
		args := append([]string{"capture", closedPort(t), "-o", filepath.Join(t.TempDir(), "cap")}, extra...)
		code, _, errs := run(t, args...)
		if code != exitUsage || !strings.Contains(errs, extra[0]+" must be positive") {
			t.Errorf("%v: exit %d, stderr %q", extra, code, errs)
		}
	}
}

// TestCaptureRefusedOneLine checks that a refused connection is one line,
// the trace's failure: the other downloads failed the same way and are not
// listed.
func TestCaptureRefusedOneLine(t *testing.T) {
	addr := closedPort(t)
	code, _, errs := run(t, "capture", addr, "--seconds", "1", "-o", filepath.Join(t.TempDir(), "cap"))
	lines := strings.Split(strings.TrimSpace(errs), "\n")
	if code != exitError || len(lines) != 1 || !strings.Contains(errs, "/debug/pprof/trace") || !strings.Contains(errs, "connection refused") {
		t.Errorf("exit %d, %d lines on stderr, want 1 naming the trace:\n%s", code, len(lines), errs)
	}
}

// TestCaptureRedirectNamesTarget redirects every request to a closed port:
// the error names where the request went, not only the server that
// redirected it, which is up.
func TestCaptureRedirectNamesTarget(t *testing.T) {
	closed := "http://" + closedPort(t)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, closed+r.URL.RequestURI(), http.StatusFound)
	}))
	defer srv.Close()
	code, _, errs := run(t, "capture", srv.URL, "--seconds", "1", "-o", filepath.Join(t.TempDir(), "cap"))
	want := "redirected to " + closed + "/debug/pprof/trace?seconds=1: connection refused there"
	if code != exitError || !strings.Contains(errs, want) || strings.Contains(errs, "is the service running") {
		t.Errorf("exit %d, stderr %q; want %q", code, errs, want)
	}
}

// TestCaptureErrorBodySanitised answers 500 with escape sequences and a
// long first line: stderr shows one clean, bounded line of it.
func TestCaptureErrorBodySanitised(t *testing.T) {
	body := "\x1b]0;owned\x07\x1b[2Jboom\u202e" + strings.Repeat("z", 5000) + "\nsecond line\n"
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Error(w, body, http.StatusInternalServerError)
	}))
	defer srv.Close()
	code, _, errs := run(t, "capture", srv.URL, "--seconds", "1", "-o", filepath.Join(t.TempDir(), "cap"))
	if code != exitError || !strings.Contains(errs, "500 Internal Server Error: ]0;owned[2Jboomzzz") {
		t.Errorf("exit %d, stderr %q", code, errs)
	}
	for _, bad := range []string{"\x1b", "\x07", "\u202e", "second line", strings.Repeat("z", 300)} {
		if strings.Contains(errs, bad) {
			t.Errorf("stderr holds %q: %q", bad, errs)
		}
	}
}

// TestCaptureTimeoutKeepsPart serves a whole trace but never ends the
// answer: past --timeout, what came is kept and analysed, with a warning,
// as after Ctrl-C.
func TestCaptureTimeoutKeepsPart(t *testing.T) {
	trace, err := os.ReadFile(filepath.Join(example, "trace.out"))
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !strings.HasSuffix(r.URL.Path, "/trace") {
			http.NotFound(w, r)
			return
		}
		w.Write(trace)
		w.(http.Flusher).Flush()
		<-r.Context().Done()
	}))
	defer srv.Close()
	dir := filepath.Join(t.TempDir(), "cap")
	code, out, errs := run(t, "capture", srv.URL, "--seconds", "1", "--timeout", "1s", "-o", dir, "--format", "json")
	if code != exitOK || !strings.Contains(errs, "warning: the trace was cut short (no complete answer within 1s after") || out == "" {
		t.Errorf("exit %d, stderr %q", code, errs)
	}
	if st, err := os.Stat(filepath.Join(dir, "trace.out")); err != nil || st.Size() != int64(len(trace)) {
		t.Errorf("trace.out not kept whole: %v", err)
	}
}
