package cli

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"runtime/trace"
	"strings"
	"testing"
	"time"
)

// TestInferFlag traces an in-process HTTP server without tasks and checks
// that --infer reaches the reader: by default the report's latency comes
// from inferred requests, one per request served, with the limits stated;
// with --infer never there are none.
func TestInferFlag(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		time.Sleep(2 * time.Millisecond)
		io.WriteString(w, "ok")
	}))
	defer srv.Close()
	get := func() {
		resp, err := srv.Client().Get(srv.URL)
		if err != nil {
			t.Fatal(err)
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
	}
	get() // connect before tracing
	var buf bytes.Buffer
	if err := trace.Start(&buf); err != nil {
		t.Fatal(err)
	}
	const n = 5
	for range n {
		get()
	}
	// One more request: the server's goroutine has ended the n-th span
	// once it serves this one, however long a busy machine keeps it from
	// getting back to its wait (a 20 ms sleep did not always do). This
	// last span may end inside the trace or not.
	get()
	time.Sleep(20 * time.Millisecond)
	trace.Stop()
	path := filepath.Join(t.TempDir(), "trace.out")
	if err := os.WriteFile(path, buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}

	for _, tc := range []struct {
		args     []string
		source   string
		requests int
	}{
		{nil, "inferred", n},
		{[]string{"--infer", "always"}, "inferred", n},
		{[]string{"--infer", "never"}, "none", 0},
	} {
		code, doc, errs := analyzeJSON(t, append(tc.args, path)...)
		if code != exitOK {
			t.Fatalf("%v: exit %d: %s", tc.args, code, errs)
		}
		p := processes(doc)[0]
		l := p["latency"].(map[string]any)
		got, _ := l["requests"].(float64)
		if l["source"] != tc.source || int(got) < tc.requests || tc.requests > 0 && int(got) > tc.requests+1 || tc.requests == 0 && got != 0 {
			t.Errorf("%v: latency %v, want %d (or one more, the last request) from %s", tc.args, l, tc.requests, tc.source)
		}
		text, _ := json.Marshal(doc)
		if stated := strings.Contains(string(text), "inferred from net/http"); stated != (tc.requests > 0) {
			t.Errorf("%v: limits of inferred requests stated: %v", tc.args, stated)
		}
	}
}
