package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/google/pprof/profile"
	exptrace "golang.org/x/exp/trace"

	"github.com/gcwatch/gcwatch/flightrec"
	"github.com/gcwatch/gcwatch/internal/tracetest"
)

// child is httpsvc running as its own process.
type child struct {
	base   string
	cmd    *exec.Cmd
	stdout *bufio.Reader
	stderr bytes.Buffer
}

// startChild builds httpsvc and starts it with GOGC, GOMEMLIMIT and
// GOMAXPROCS set, so the test can check /metrics against them. The
// process is killed when the test ends, whatever happens.
func startChild(t *testing.T, args ...string) *child {
	t.Helper()
	goBin, err := exec.LookPath("go")
	if err != nil {
		t.Skip("no go command to build httpsvc with")
	}
	bin := filepath.Join(t.TempDir(), "httpsvc")
	if out, err := exec.Command(goBin, "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	c := &child{cmd: exec.CommandContext(ctx, bin, append([]string{"-addr", "127.0.0.1:0", "-duration", "50s"}, args...)...)}
	c.cmd.Env = append(os.Environ(), "GOGC=77", "GOMEMLIMIT=1GiB", "GOMAXPROCS=2")
	c.cmd.Stderr = &c.stderr
	out, err := c.cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := c.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		cancel() // kills the process if still running
		c.cmd.Wait()
	})
	c.stdout = bufio.NewReader(out)
	line, err := c.stdout.ReadString('\n')
	addr, ok := strings.CutPrefix(strings.TrimSpace(line), "listening on ")
	if err != nil || !ok {
		t.Fatalf("first line %q, %v; stderr: %s", line, err, c.stderr.String())
	}
	c.base = "http://" + addr
	return c
}

func (c *child) get(t *testing.T, path string) []byte {
	t.Helper()
	resp, err := http.Get(c.base + path)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil || resp.StatusCode != 200 {
		t.Fatalf("GET %s: %s, %v: %s", path, resp.Status, err, body)
	}
	return body
}

func TestEndToEnd(t *testing.T) {
	c := startChild(t, "-items", "3000", "-flightrec-slow", "1ns", "-flightrec-cooldown", "1h")

	// Searches, checked against the product pages: every hit holds every word.
	searches := 0
	for _, q := range []string{"kettle", "blue lamp", "acme kitchen"} {
		var res searchResult
		json.Unmarshal(c.get(t, "/api/search?q="+strings.ReplaceAll(q, " ", "+")+"&limit=5"), &res)
		searches++
		if res.Total == 0 || len(res.Hits) != min(5, res.Total) {
			t.Errorf("search %q: %d total, %d hits", q, res.Total, len(res.Hits))
		}
		for _, h := range res.Hits {
			var p product
			json.Unmarshal(c.get(t, fmt.Sprintf("/api/products/%d", h.ID)), &p)
			words := " " + strings.Join(append([]string{p.Name, p.Brand, p.Category}, p.Tags...), " ") + " "
			for _, w := range strings.Fields(q) {
				if !strings.Contains(words, " "+w+" ") {
					t.Errorf("search %q: product %d (%s) lacks %q", q, p.ID, words, w)
				}
			}
		}
	}
	resp, err := http.Post(c.base+"/api/cart/s1", "application/json", strings.NewReader(`{"product":3,"qty":2}`))
	if err != nil || resp.StatusCode != 200 {
		t.Fatalf("add to cart: %v %v", resp, err)
	}
	resp.Body.Close()

	checkHeapProfile(t, c.get(t, "/debug/pprof/heap"))
	checkMetrics(t, string(c.get(t, "/metrics")), searches)
	var vars struct {
		Cmdline  []string       `json:"cmdline"`
		Memstats map[string]any `json:"memstats"`
	}
	if err := json.Unmarshal(c.get(t, "/debug/vars"), &vars); err != nil || len(vars.Cmdline) == 0 || vars.Memstats["HeapAlloc"] == nil {
		t.Errorf("/debug/vars: %v, %+v", err, vars.Cmdline)
	}
	checkSnapshots(t, c)

	// SIGTERM: a clean exit with the summary.
	c.cmd.Process.Signal(syscall.SIGTERM)
	line, err := c.stdout.ReadString('\n')
	var sum summary
	if err != nil || json.Unmarshal([]byte(line), &sum) != nil {
		t.Fatalf("summary line %q: %v; stderr: %s", line, err, c.stderr.String())
	}
	if err := c.cmd.Wait(); err != nil {
		t.Errorf("exit after SIGTERM: %v; stderr: %s", err, c.stderr.String())
	}
	// 3 searches, their hits' product pages, one cart update.
	if sum.Flightrec == nil || sum.Flightrec.Taken < 1 || sum.Requests < 4 || sum.GOMAXPROCS != 2 || sum.Carts != 1 {
		t.Errorf("summary %+v", sum)
	}
}

func checkHeapProfile(t *testing.T, b []byte) {
	t.Helper()
	p, err := profile.ParseData(b)
	if err != nil {
		t.Fatalf("/debug/pprof/heap: %v", err)
	}
	var types []string
	for _, st := range p.SampleType {
		types = append(types, st.Type)
	}
	if !strings.Contains(strings.Join(types, " "), "inuse_space") || len(p.Sample) == 0 {
		t.Errorf("/debug/pprof/heap: sample types %v, %d samples", types, len(p.Sample))
	}
}

var seriesLine = regexp.MustCompile(`^([a-z_]+)(\{[^}]*\})? (\S+)$`)

func checkMetrics(t *testing.T, text string, searches int) {
	t.Helper()
	series := map[string]float64{}
	for _, line := range strings.Split(strings.TrimSpace(text), "\n") {
		if strings.HasPrefix(line, "#") {
			continue
		}
		m := seriesLine.FindStringSubmatch(line)
		if m == nil {
			t.Fatalf("/metrics: bad line %q", line)
		}
		v, err := strconv.ParseFloat(m[3], 64)
		if err != nil {
			t.Fatalf("/metrics: %q: %v", line, err)
		}
		series[m[1]+m[2]] = v
	}
	want := map[string]float64{
		`go_info{version="` + runtime.Version() + `"}`:                     1,
		"go_sched_gomaxprocs_threads":                                      2,
		"go_gc_gogc_percent":                                               77,
		"go_gc_gomemlimit_bytes":                                           1 << 30,
		`http_request_duration_seconds_count{handler="search"}`:            float64(searches),
		`http_request_duration_seconds_bucket{handler="search",le="+Inf"}`: float64(searches),
		`http_request_duration_seconds_count{handler="cart_add"}`:          1,
	}
	for name, v := range want {
		if got, ok := series[name]; !ok || got != v {
			t.Errorf("/metrics: %s = %v (present %v), want %v", name, got, ok, v)
		}
	}
	prev := -1.0
	for _, q := range []string{"0", "0.25", "0.5", "0.75", "1"} {
		v, ok := series[`go_gc_duration_seconds{quantile="`+q+`"}`]
		if !ok || v < prev {
			t.Errorf("/metrics: go_gc_duration_seconds quantile %s = %v after %v", q, v, prev)
		}
		prev = v
	}
	for _, name := range []string{"go_gc_duration_seconds_count", "go_gc_duration_seconds_sum", "process_cpu_seconds_total", "go_gc_heap_goal_bytes"} {
		if _, ok := series[name]; !ok {
			t.Errorf("/metrics: no %s", name)
		}
	}
}

func checkSnapshots(t *testing.T, c *child) {
	t.Helper()
	// Every API request is slow at 1ns; the first one's snapshot is
	// written in the background, so wait for it.
	var ix flightrec.Index
	deadline := time.Now().Add(10 * time.Second)
	for len(ix.Snapshots) == 0 {
		if time.Now().After(deadline) {
			t.Fatalf("no snapshot after 10s: %+v", ix)
		}
		if err := json.Unmarshal(c.get(t, "/debug/gcwatch/snapshots/"), &ix); err != nil {
			t.Fatal(err)
		}
		time.Sleep(10 * time.Millisecond)
	}
	s := ix.Snapshots[0]
	if ix.Schema != flightrec.Schema || s.Trigger.Reason != "slow request" || s.Trigger.Path != "/api/search" || ix.Stats.Taken != 1 {
		t.Errorf("index %+v", ix)
	}
	data := c.get(t, fmt.Sprintf("/debug/gcwatch/snapshots/%d", s.ID))
	if int64(len(data)) != s.Size {
		t.Errorf("snapshot %d: %d bytes, index says %d", s.ID, len(data), s.Size)
	}
	tasks := 0
	for ev := range tracetest.EventsOf(t, "snapshot", data) {
		if ev.Kind() == exptrace.EventTaskBegin && ev.Task().Type == "request" {
			tasks++
		}
	}
	if tasks == 0 {
		t.Error("snapshot holds no request task")
	}
}

// TestLoadStopsByItself runs the built-in load for a second: the process
// must exit on its own and every request it offered must be answered.
func TestLoadStopsByItself(t *testing.T) {
	c := startChild(t, "-items", "3000", "-load", "200", "-duration", "1s")
	line, err := c.stdout.ReadString('\n')
	var sum summary
	if err != nil || json.Unmarshal([]byte(line), &sum) != nil {
		t.Fatalf("summary line %q: %v; stderr: %s", line, err, c.stderr.String())
	}
	if err := c.cmd.Wait(); err != nil {
		t.Fatalf("exit: %v; stderr: %s", err, c.stderr.String())
	}
	due, _ := sum.Load["due"].(float64)
	ok, _ := sum.Load["ok"].(float64)
	// wall_s covers building the items and shutting down too: 1.2-1.5 s
	// on a quiet machine, 6 s seen with the machine's two cores busy with
	// other builds. Far more means the load did not stop at -duration.
	if due < 150 || due > 201 || ok != due || sum.Requests != uint64(due) || sum.WallS > 20 {
		t.Errorf("summary %+v", sum)
	}
}
