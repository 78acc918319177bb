package cli

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/http/pprof"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/gcwatch/gcwatch/flightrec"
)

// The test binary doubles as the child gcwatch run starts: with
// GCWATCH_TEST_CHILD set it behaves as that mode says and exits.
func TestMain(m *testing.M) {
	if mode := os.Getenv("GCWATCH_TEST_CHILD"); mode != "" {
		os.Exit(child(mode))
	}
	os.Exit(m.Run())
}

var childSink [][]byte

// child is a small Go program that really allocates (so it has GC cycles)
// and then ends as mode says.
func child(mode string) int {
	allocate := func(n int) {
		for i := 0; i < n; i++ {
			childSink = append(childSink, make([]byte, 64<<10))
			if len(childSink) > 64 {
				childSink = childSink[:0]
			}
		}
	}
	allocate(3000)
	runtime.GC()
	// The runtime wakes runtime.GC's caller before it writes the forced
	// cycle's gctrace line, so a child that exits at once cuts that line
	// short about every other run (seen with Go 1.26). Give it time.
	time.Sleep(100 * time.Millisecond)
	fmt.Println("child: done allocating")
	switch mode {
	case "exit0":
		return 0
	case "exit3":
		return 3
	case "panic":
		panic("child: boom")
	case "wait-signal":
		c := make(chan os.Signal, 1)
		signal.Notify(c, syscall.SIGTERM)
		fmt.Println("child: ready")
		select {
		case <-c:
			fmt.Println("child: got SIGTERM")
			return 42
		case <-time.After(20 * time.Second):
			return 1
		}
	}
	return 1
}

// lockedBuffer is a buffer safe to read while gcwatch writes to it.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

func runChild(t *testing.T, mode string, extra ...string) (int, string, string, string) {
	t.Helper()
	t.Setenv("GCWATCH_TEST_CHILD", mode)
	dir := filepath.Join(t.TempDir(), "run")
	args := append([]string{"run", "-o", dir}, extra...)
	args = append(args, "--", os.Args[0])
	var out, errb lockedBuffer
	code := Main(args, strings.NewReader(""), &out, &errb)
	return code, out.String(), errb.String(), dir
}

func TestRunExitCodesAndReport(t *testing.T) {
	for _, tc := range []struct {
		mode string
		want int
	}{{"exit0", 0}, {"exit3", 3}, {"panic", 2}} {
		t.Run(tc.mode, func(t *testing.T) {
			code, out, errs, dir := runChild(t, tc.mode, "--quiet-gctrace", "--format", "json")
			if code != tc.want {
				t.Fatalf("exit %d, want %d; stderr:\n%s", code, tc.want, errs)
			}
			// stdout passed through untouched; gc lines held back.
			if out != "child: done allocating\n" {
				t.Errorf("stdout %q", out)
			}
			if strings.Contains(errs, " ms clock, ") {
				t.Errorf("gc lines passed through despite --quiet-gctrace:\n%s", errs)
			}
			if tc.mode == "panic" && !strings.Contains(errs, "child: boom") {
				t.Errorf("the child's panic was not passed through:\n%s", errs)
			}
			log, err := os.ReadFile(filepath.Join(dir, "gctrace.log"))
			if err != nil || !bytes.Contains(log, []byte(" ms clock, ")) {
				t.Fatalf("gctrace.log: %v, %d bytes", err, len(log))
			}
			var doc map[string]any
			b, err := os.ReadFile(filepath.Join(dir, "report.json"))
			if err != nil || json.Unmarshal(b, &doc) != nil {
				t.Fatalf("report.json: %v", err)
			}
			gc := processes(doc)[0]["gc"].(map[string]any)
			if gc["cycles"].(float64) < 2 || gc["forced_cycles"].(float64) < 1 {
				t.Errorf("report gc %v: want the child's cycles, one forced", gc)
			}
			var m map[string]any
			b, _ = os.ReadFile(filepath.Join(dir, "manifest.json"))
			if json.Unmarshal(b, &m) != nil || m["exit_code"].(float64) != float64(tc.want) {
				t.Errorf("manifest %s", b)
			}
			// The child's Go release, from its build information, reaches
			// the report's upgrade-go option.
			if m["go_version"] != runtime.Version() {
				t.Errorf("manifest go_version %v, want %s", m["go_version"], runtime.Version())
			}
			for _, o := range processes(doc)[0]["verdict"].(map[string]any)["options"].([]any) {
				o := o.(map[string]any)
				if o["id"] != "upgrade-go" {
					continue
				}
				rv := o["runtime"].(map[string]any)
				if rv["version"] != runtime.Version() || rv["from"] != "manifest.json" {
					t.Errorf("upgrade-go runtime %v, want %s from manifest.json", rv, runtime.Version())
				}
			}
		})
	}
}

func TestRunForwardsSignals(t *testing.T) {
	t.Setenv("GCWATCH_TEST_CHILD", "wait-signal")
	dir := filepath.Join(t.TempDir(), "run")
	var out, errb lockedBuffer
	done := make(chan int, 1)
	go func() {
		done <- Main([]string{"run", "--quiet-gctrace", "-o", dir, "--", os.Args[0]}, strings.NewReader(""), &out, &errb)
	}()
	deadline := time.After(15 * time.Second)
	for !strings.Contains(out.String(), "child: ready") {
		select {
		case <-deadline:
			t.Fatalf("the child never got ready; stderr:\n%s", errb.String())
		case <-time.After(10 * time.Millisecond):
		}
	}
	// gcwatch listens for SIGTERM from before the child starts: this
	// reaches gcwatch's handler, which forwards it.
	syscall.Kill(os.Getpid(), syscall.SIGTERM)
	select {
	case code := <-done:
		if code != 42 || !strings.Contains(out.String(), "child: got SIGTERM") {
			t.Errorf("exit %d, stdout %q", code, out.String())
		}
	case <-time.After(15 * time.Second):
		t.Fatal("gcwatch run did not end after the signal")
	}
}

func TestRunUsage(t *testing.T) {
	for _, args := range [][]string{{"run"}, {"run", "echo"}, {"run", "--pprof", "::bad::", "--", "true"}} {
		if code, _, _ := run(t, args...); code != exitUsage {
			t.Errorf("%v: exit %d", args, code)
		}
	}
	code, _, errs := run(t, "run", "-o", filepath.Join(t.TempDir(), "x"), "--", "/nonexistent/program")
	if code != exitError || !strings.Contains(errs, "cannot start") {
		t.Errorf("missing program: exit %d, %s", code, errs)
	}
}

// pprofServer serves this test process's own net/http/pprof, and metrics
// in the Prometheus format, while something allocates.
func pprofServer(t *testing.T) *httptest.Server {
	t.Helper()
	mux := http.NewServeMux()
	mux.HandleFunc("/debug/pprof/", pprof.Index)
	mux.HandleFunc("/debug/pprof/trace", pprof.Trace)
	mux.HandleFunc("/metrics", func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintf(w, "# HELP go_info Information about the Go environment.\n# TYPE go_info gauge\ngo_info{version=%q} 1\n", runtime.Version())
		fmt.Fprintf(w, "go_sched_gomaxprocs_threads %d\ngo_gc_gogc_percent 100\ngo_gc_gomemlimit_bytes 9.223372036854776e+18\n", runtime.GOMAXPROCS(0))
	})
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	go func() {
		var sink [][]byte
		for ctx.Err() == nil {
			sink = append(sink, make([]byte, 32<<10))
			if len(sink) > 100 {
				sink = sink[:0]
			}
			time.Sleep(20 * time.Microsecond)
		}
	}()
	return srv
}

func TestCaptureFromLiveService(t *testing.T) {
	srv := pprofServer(t)
	dir := filepath.Join(t.TempDir(), "cap")
	addr := strings.TrimPrefix(srv.URL, "http://")
	code, out, errs := run(t, "capture", addr, "--seconds", "1", "-o", dir, "--format", "json")
	if code != exitOK {
		t.Fatalf("exit %d: %s", code, errs)
	}
	var doc map[string]any
	if err := json.Unmarshal([]byte(out), &doc); err != nil {
		t.Fatalf("stdout is not the JSON report: %v\n%s", err, out)
	}
	for _, f := range []string{"trace.out", "heap.pb.gz", "allocs.pb.gz", "metrics.txt", "manifest.json"} {
		if !fileHasData(dir, f) {
			t.Errorf("capture folder lacks %s", f)
		}
	}
	p := processes(doc)[0]
	if p["gc"].(map[string]any)["cycles"].(float64) < 1 {
		t.Errorf("no GC cycles in a second of an allocating process")
	}
	if !strings.Contains(errs, "GOGC and GOMEMLIMIT read from") {
		t.Errorf("settings from /metrics not used: %s", errs)
	}
	if p["allocations"] == nil {
		t.Errorf("the allocs profile was not analysed")
	}
}

func TestCaptureErrors(t *testing.T) {
	// A port nobody listens on.
	l, _ := net.Listen("tcp", "127.0.0.1:0")
	refused := l.Addr().String()
	l.Close()
	// A server that is not pprof, one that answers HTML, one that stalls.
	plain := httptest.NewServer(http.NotFoundHandler())
	defer plain.Close()
	html := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprint(w, "<!DOCTYPE html><html><body>hello</body></html>")
	}))
	defer html.Close()
	release := make(chan struct{})
	stall := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-release:
		case <-r.Context().Done():
		}
	}))
	defer stall.Close()
	defer close(release)
	for _, tc := range []struct {
		name, addr, want string
		extra            []string
	}{
		{"refused", refused, "connection refused", nil},
		{"not found", strings.TrimPrefix(plain.URL, "http://"), "404 Not Found", nil},
		{"not pprof", html.URL, "did not return an execution trace: the answer is an HTML page", nil},
		{"stalls", stall.URL, "no complete answer within 1s", []string{"--timeout", "1s"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := filepath.Join(t.TempDir(), "cap")
			start := time.Now()
			args := append([]string{"capture", tc.addr, "--seconds", "1", "-o", dir}, tc.extra...)
			code, out, errs := run(t, args...)
			if code != exitError || out != "" || !strings.Contains(errs, tc.want) {
				t.Errorf("exit %d, stdout %q, stderr %q; want %q", code, out, errs, tc.want)
			}
			if d := time.Since(start); d > 8*time.Second {
				t.Errorf("took %s", d)
			}
			if _, err := os.Stat(dir); err == nil && tc.name == "refused" {
				t.Errorf("an empty capture folder was left behind")
			}
		})
	}
}

// pauseMetrics serves a GC pause histogram whose slow bucket the test can
// bump, with the process's own pprof beside it.
type pauseMetrics struct {
	mu   sync.Mutex
	slow int
	// fast and slowReqs count requests under 10 ms and between 80 and
	// 160 ms in the latency histogram; every scrape adds 100 fast ones.
	fast, slowReqs int
}

func (p *pauseMetrics) bump() { p.mu.Lock(); p.slow++; p.mu.Unlock() }

// slowRequests makes n of the next requests slow.
func (p *pauseMetrics) slowRequests(n int) { p.mu.Lock(); p.slowReqs += n; p.mu.Unlock() }

func watchServer(t *testing.T) (*httptest.Server, *pauseMetrics) {
	t.Helper()
	pm := &pauseMetrics{}
	base := pprofServer(t)
	mux := http.NewServeMux()
	mux.HandleFunc("/metrics", func(w http.ResponseWriter, r *http.Request) {
		pm.mu.Lock()
		defer pm.mu.Unlock()
		fmt.Fprintf(w, "# TYPE go_sched_pauses_total_gc_seconds histogram\n")
		fmt.Fprintf(w, "go_sched_pauses_total_gc_seconds_bucket{le=\"0.001\"} 100\n")
		fmt.Fprintf(w, "go_sched_pauses_total_gc_seconds_bucket{le=\"0.004\"} 120\n")
		fmt.Fprintf(w, "go_sched_pauses_total_gc_seconds_bucket{le=\"0.016\"} %d\n", 120+pm.slow)
		fmt.Fprintf(w, "go_sched_pauses_total_gc_seconds_bucket{le=\"+Inf\"} %d\n", 120+pm.slow)
		pm.fast += 100
		fmt.Fprintf(w, "# TYPE http_request_duration_seconds histogram\n")
		for _, b := range []struct {
			le string
			n  int
		}{{"0.01", pm.fast}, {"0.08", pm.fast}, {"0.16", pm.fast + pm.slowReqs}, {"+Inf", pm.fast + pm.slowReqs}} {
			fmt.Fprintf(w, "http_request_duration_seconds_bucket{handler=\"/work\",le=%q} %d\n", b.le, b.n)
		}
	})
	// Everything else is the real pprof of this process.
	mux.Handle("/", http.StripPrefix("", proxyTo(base.URL)))
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	return srv, pm
}

func proxyTo(base string) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		resp, err := http.Get(base + r.URL.RequestURI())
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadGateway)
			return
		}
		defer resp.Body.Close()
		w.WriteHeader(resp.StatusCode)
		buf := make([]byte, 32<<10)
		for {
			n, err := resp.Body.Read(buf)
			w.Write(buf[:n])
			if err != nil {
				return
			}
		}
	})
}

func TestWatchCapturesWhenAPauseIsLong(t *testing.T) {
	srv, pm := watchServer(t)
	dir := filepath.Join(t.TempDir(), "w")
	var out, errb lockedBuffer
	done := make(chan int, 1)
	go func() {
		done <- Main([]string{"watch", srv.URL, "--when", "pause>5ms", "--interval", "100ms", "--seconds", "1",
			"--max-captures", "1", "--duration", "20s", "-o", dir, "--format", "json"}, strings.NewReader(""), &out, &errb)
	}()
	// No capture while pauses stay short.
	time.Sleep(400 * time.Millisecond)
	if entries, _ := os.ReadDir(dir); len(entries) != 0 {
		t.Fatalf("captured before any long pause: %v", entries)
	}
	pm.bump() // a 4–16 ms pause
	select {
	case code := <-done:
		if code != 0 {
			t.Fatalf("exit %d: %s", code, errb.String())
		}
	case <-time.After(20 * time.Second):
		t.Fatal("watch did not capture")
	}
	entries, _ := os.ReadDir(dir)
	if len(entries) != 1 {
		t.Fatalf("%d captures, want 1", len(entries))
	}
	capDir := filepath.Join(dir, entries[0].Name())
	for _, f := range []string{"trace.out", "report.json", "trigger.txt", "manifest.json"} {
		if !fileHasData(capDir, f) {
			t.Errorf("capture lacks %s", f)
		}
	}
	if !strings.Contains(out.String(), capDir) || !strings.Contains(errb.String(), "pause>5ms: 1 GC pause(s) above 5ms") {
		t.Errorf("stdout %q\nstderr %q", out.String(), errb.String())
	}
}

// TestWatchCapturesWhenP99IsHigh: 100 requests under 10 ms between two
// looks keep p99 under 50 ms; 5 slow ones among the next 100 (p99 in the
// 80-160 ms bucket) trigger the capture.
func TestWatchCapturesWhenP99IsHigh(t *testing.T) {
	srv, pm := watchServer(t)
	dir := filepath.Join(t.TempDir(), "w")
	var out, errb lockedBuffer
	done := make(chan int, 1)
	go func() {
		done <- Main([]string{"watch", srv.URL, "--when", "p99>50ms", "--interval", "100ms", "--seconds", "1",
			"--max-captures", "1", "--duration", "20s", "-o", dir, "--format", "json"}, strings.NewReader(""), &out, &errb)
	}()
	time.Sleep(400 * time.Millisecond)
	if entries, _ := os.ReadDir(dir); len(entries) != 0 {
		t.Fatalf("captured while p99 stayed under 10 ms: %v", entries)
	}
	pm.slowRequests(5)
	select {
	case code := <-done:
		if code != 0 {
			t.Fatalf("exit %d: %s", code, errb.String())
		}
	case <-time.After(20 * time.Second):
		t.Fatal("watch did not capture")
	}
	entries, _ := os.ReadDir(dir)
	if len(entries) != 1 {
		t.Fatalf("%d captures, want 1", len(entries))
	}
	trigger, _ := os.ReadFile(filepath.Join(dir, entries[0].Name(), "trigger.txt"))
	if !strings.Contains(string(trigger), "p99") {
		t.Errorf("trigger.txt %q does not name the p99 condition; stderr %s", trigger, errb.String())
	}
}

func TestWatchEveryKeepsTheLast(t *testing.T) {
	srv := pprofServer(t)
	dir := filepath.Join(t.TempDir(), "w")
	code, out, errs := run(t, "watch", srv.URL, "--every", "100ms", "--interval", "100ms", "--seconds", "1",
		"--cooldown", "1ms", "--max-captures", "2", "--keep", "1", "--duration", "30s", "-o", dir)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errs)
	}
	entries, _ := os.ReadDir(dir)
	if len(entries) != 1 || strings.Count(out, "capture-") != 2 {
		t.Errorf("%d folders kept (want 1), stdout %q", len(entries), out)
	}
}

func TestWatchUsage(t *testing.T) {
	for _, args := range [][]string{{"watch", "h:1"}, {"watch", "h:1", "--when", "pause<5ms"}, {"watch", "h:1", "--when", "p42>1ms"}} {
		if code, _, _ := run(t, args...); code != exitUsage {
			t.Errorf("%v: exit %d", args, code)
		}
	}
}

// TestWatchPullsFlightRecorderSnapshots serves package flightrec's handler
// from this process, takes a snapshot while the process allocates, and
// checks that gcwatch watch pulls it, analyses it and stops.
func TestWatchPullsFlightRecorderSnapshots(t *testing.T) {
	pprofServer(t) // keeps this process allocating
	rec, err := flightrec.New(flightrec.Config{MinAge: 500 * time.Millisecond, Keep: 2})
	if err != nil {
		t.Fatal(err)
	}
	if err := rec.Start(); err != nil {
		t.Skipf("the flight recorder cannot start here: %v", err)
	}
	defer rec.Stop()
	mux := http.NewServeMux()
	mux.Handle("/debug/gcwatch/snapshots/", http.StripPrefix("/debug/gcwatch/snapshots", rec.Handler()))
	srv := httptest.NewServer(mux)
	defer srv.Close()
	time.Sleep(300 * time.Millisecond)
	if _, err := rec.Snapshot("test"); err != nil {
		t.Fatal(err)
	}
	dir := filepath.Join(t.TempDir(), "w")
	code, out, errs := run(t, "watch", srv.URL, "--flightrec", "/debug/gcwatch/snapshots", "--interval", "100ms",
		"--max-captures", "1", "--duration", "20s", "-o", dir)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errs)
	}
	entries, _ := os.ReadDir(dir)
	if len(entries) != 1 || !strings.Contains(entries[0].Name(), "flightrec-1") {
		t.Fatalf("captures %v", entries)
	}
	capDir := filepath.Join(dir, entries[0].Name())
	for _, f := range []string{"trace.out", "report.txt", "trigger.txt", "manifest.json"} {
		if !fileHasData(capDir, f) {
			t.Errorf("snapshot folder lacks %s", f)
		}
	}
	if !strings.Contains(out, "flight recorder: test") {
		t.Errorf("stdout %q", out)
	}
	// Not a flight-recorder handler: a clear warning, not a crash.
	code, _, errs = run(t, "watch", srv.URL, "--flightrec", "/nope", "--interval", "50ms", "--duration", "300ms", "-o", dir)
	if code != 0 || !strings.Contains(errs, "404") {
		t.Errorf("exit %d, stderr %q", code, errs)
	}
}

// TestCaptureExampleService builds and starts the example service
// (examples/httpsvc) on loopback with its own load, and captures from it
// as a user would.
func TestCaptureExampleService(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the example service")
	}
	bin := filepath.Join(t.TempDir(), "httpsvc")
	build := exec.Command("go", "build", "-o", bin, "../../examples/httpsvc")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	svc := exec.CommandContext(ctx, bin, "-addr", "127.0.0.1:0", "-load", "300", "-duration", "20s")
	stdout, _ := svc.StdoutPipe()
	if err := svc.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { svc.Process.Kill(); svc.Wait() })
	line, err := bufio.NewReader(stdout).ReadString('\n')
	addr, ok := strings.CutPrefix(strings.TrimSpace(line), "listening on ")
	if err != nil || !ok {
		t.Fatalf("the service said %q (%v)", line, err)
	}
	go io.Copy(io.Discard, stdout)
	dir := filepath.Join(t.TempDir(), "cap")
	code, out, errs := run(t, "capture", addr, "--seconds", "2", "-o", dir, "--format", "json", "--mem-budget", "512MiB")
	if code != exitOK {
		t.Fatalf("exit %d: %s", code, errs)
	}
	var doc map[string]any
	if err := json.Unmarshal([]byte(out), &doc); err != nil {
		t.Fatal(err)
	}
	p := processes(doc)[0]
	if p["latency"].(map[string]any)["requests"].(float64) < 100 || p["verdict"] == nil {
		t.Errorf("latency %v, verdict %v", p["latency"], p["verdict"])
	}
	var m map[string]any
	b, _ := os.ReadFile(filepath.Join(dir, "manifest.json"))
	if json.Unmarshal(b, &m) != nil || m["gogc"] == nil || m["go_version"] == nil {
		t.Errorf("manifest %s: want the settings read from /metrics", b)
	}
}

// TestCaptureInterrupted stops a capture with SIGINT half-way: what was
// fetched is kept, and gcwatch says so.
func TestCaptureInterrupted(t *testing.T) {
	srv := pprofServer(t)
	dir := filepath.Join(t.TempDir(), "cap")
	var out, errb lockedBuffer
	done := make(chan int, 1)
	go func() {
		done <- Main([]string{"capture", srv.URL, "--seconds", "6", "-o", dir}, strings.NewReader(""), &out, &errb)
	}()
	// Wait until the trace is streaming, then interrupt.
	deadline := time.Now().Add(10 * time.Second)
	for !fileHasData(dir, "trace.out") && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond)
	}
	time.Sleep(1500 * time.Millisecond)
	syscall.Kill(os.Getpid(), syscall.SIGINT)
	select {
	case code := <-done:
		if !fileHasData(dir, "trace.out") {
			t.Fatalf("the part of the trace fetched was not kept (exit %d): %s", code, errb.String())
		}
		var m map[string]any
		b, _ := os.ReadFile(filepath.Join(dir, "manifest.json"))
		if json.Unmarshal(b, &m) != nil || m["interrupted"] != true {
			t.Errorf("manifest %s: want interrupted", b)
		}
		if code == exitOK && !strings.Contains(errb.String(), "interrupted") {
			t.Errorf("stderr does not say it was interrupted: %s", errb.String())
		}
	case <-time.After(20 * time.Second):
		t.Fatal("capture did not stop on SIGINT")
	}
}
