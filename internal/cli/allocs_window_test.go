package cli

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/http/pprof"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"
)

var allocSink [][]byte

// startupAlloc allocates 64 MiB before the capture, as a service's
// start-up does.
//
//go:noinline
func startupAlloc() {
	for range 16384 {
		allocSink = append(allocSink, make([]byte, 4096))
		if len(allocSink) > 256 {
			allocSink = allocSink[:0]
		}
	}
}

// windowAlloc allocates during the capture.
//
//go:noinline
func windowAlloc() {
	for range 64 {
		allocSink = append(allocSink, make([]byte, 4096))
		if len(allocSink) > 256 {
			allocSink = allocSink[:0]
		}
	}
}

// TestCaptureAllocsAreTheWindows: the allocation list of a live capture is
// the capture window's (a delta profile), not the process's since start:
// 64 MiB allocated before the capture do not appear in it, what was
// allocated during it does, and the report says what it covers.
func TestCaptureAllocsAreTheWindows(t *testing.T) {
	mux := http.NewServeMux()
	mux.HandleFunc("/debug/pprof/", pprof.Index)
	mux.HandleFunc("/debug/pprof/trace", pprof.Trace)
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	startupAlloc()
	runtime.GC() // the profile publishes at the end of a cycle
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go func() {
		for ctx.Err() == nil {
			windowAlloc()
			time.Sleep(100 * time.Microsecond)
		}
	}()
	dir := filepath.Join(t.TempDir(), "cap")
	code, out, errs := run(t, "capture", srv.URL, "--seconds", "1", "-o", dir, "--format", "json")
	if code != exitOK {
		t.Fatalf("exit %d: %s", code, errs)
	}
	var doc map[string]any
	if err := json.Unmarshal([]byte(out), &doc); err != nil {
		t.Fatal(err)
	}
	al, _ := processes(doc)[0]["allocations"].(map[string]any)
	if al == nil {
		t.Fatalf("no allocations in the report; stderr %s", errs)
	}
	w, _ := al["window_seconds"].(float64)
	covers, _ := al["covers"].(string)
	if w < 0.9 || w > 30 || !strings.HasPrefix(covers, "allocated over the ") {
		t.Errorf("window %v s, covers %q: want the capture's second", w, al["covers"])
	}
	found := false
	for _, s := range al["sites"].([]any) {
		fn := s.(map[string]any)["function"].(string)
		if strings.HasSuffix(fn, ".startupAlloc") && s.(map[string]any)["bytes"].(float64) > 0 {
			t.Errorf("start-up allocation in the window's list: %v", s)
		}
		found = found || strings.HasSuffix(fn, ".windowAlloc")
	}
	if !found {
		t.Errorf("the window's allocation is not listed: %v", al["sites"])
	}
	text, _ := json.Marshal(al["covers"])
	_, report, _ := run(t, "analyze", dir)
	if !strings.Contains(report, "— allocated over the ") {
		t.Errorf("the text report does not say what the list covers (%s):\n%s", text, report)
	}
}

// TestCaptureAllocsFallBack: a server that cannot send a delta profile
// still gives the profile since start-up, and the report says so.
func TestCaptureAllocsFallBack(t *testing.T) {
	mux := http.NewServeMux()
	mux.HandleFunc("/debug/pprof/", func(w http.ResponseWriter, r *http.Request) {
		if strings.HasSuffix(r.URL.Path, "/allocs") && r.URL.Query().Has("seconds") {
			http.Error(w, "seconds not supported", http.StatusBadRequest)
			return
		}
		pprof.Index(w, r)
	})
	mux.HandleFunc("/debug/pprof/trace", pprof.Trace)
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	dir := filepath.Join(t.TempDir(), "cap")
	code, out, errs := run(t, "capture", srv.URL, "--seconds", "1", "-o", dir, "--format", "json")
	if code != exitOK {
		t.Fatalf("exit %d: %s", code, errs)
	}
	var doc map[string]any
	if err := json.Unmarshal([]byte(out), &doc); err != nil {
		t.Fatal(err)
	}
	al, _ := processes(doc)[0]["allocations"].(map[string]any)
	if al == nil || al["covers"] != "allocated since the process started" || al["window_seconds"] != 0.0 {
		t.Errorf("allocations %v: want the profile since start, said so", al)
	}
}
