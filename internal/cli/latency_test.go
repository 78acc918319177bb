package cli

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestLatencyLogLinedUpWithTrace writes, from the slowest tasks of a
// recorded Go 1.26 trace, the log a client of that service would have kept
// (wall-clock start, duration), and checks that gcwatch lines it up through
// the trace's clock snapshot: every request lands in the window, on the
// GC cycles its task met.
func TestLatencyLogLinedUpWithTrace(t *testing.T) {
	code, doc, errs := analyzeJSON(t, example+"/trace.out")
	if code != exitOK {
		t.Fatalf("exit %d: %s", code, errs)
	}
	p := processes(doc)[0]
	src := p["source"].(map[string]any)
	wall, err := time.Parse(time.RFC3339Nano, fmt.Sprint(src["wall_start"]))
	if err != nil {
		t.Fatalf("the recorded trace has no wall clock: %v", err)
	}
	tasks := p["latency"].(map[string]any)
	// The client's log holds the slowest requests (the report lists them
	// with their start and latency); they must land where the tasks were.
	worst := p["attribution"].(map[string]any)["worst"].([]any)
	var lines []string
	for _, w := range worst {
		m := w.(map[string]any)
		start := wall.Add(time.Duration(m["start_ms"].(float64) * 1e6))
		lines = append(lines, fmt.Sprintf(`{"start":%q,"duration_ms":%v,"id":%v,"route":"/req"}`,
			start.Format(time.RFC3339Nano), m["latency_ms"], m["id"]))
	}
	path := filepath.Join(t.TempDir(), "latency.jsonl")
	os.WriteFile(path, []byte(strings.Join(lines, "\n")+"\n"), 0o644)

	code, doc, errs = analyzeJSON(t, "--latency", path, example+"/trace.out")
	if code != exitOK {
		t.Fatalf("exit %d: %s", code, errs)
	}
	l := processes(doc)[0]["latency"].(map[string]any)
	if l["source"] != "log" || int(l["requests"].(float64)) != len(worst) {
		t.Fatalf("latency %v, want %d requests from the log", l, len(worst))
	}
	// The slowest logged request is the slowest task.
	if got, want := l["max_ms"].(float64), tasks["max_ms"].(float64); got < want-0.001 || got > want+0.001 {
		t.Errorf("max from the log %v ms, from the tasks %v ms", got, want)
	}
	// They lie where the tasks were: the worst one met the same cycles.
	a := processes(doc)[0]["attribution"].(map[string]any)
	w0 := a["worst"].([]any)[0].(map[string]any)
	t0 := worst[0].(map[string]any)
	if fmt.Sprint(w0["cycles"]) != fmt.Sprint(t0["cycles"]) {
		t.Errorf("the slowest request met cycles %v from the log, %v as a task", w0["cycles"], t0["cycles"])
	}
	if !strings.Contains(errs, "clock snapshot") {
		t.Errorf("stderr does not say how the log was lined up: %s", errs)
	}
}

func TestLatencyLogWithoutAnchorIsAnError(t *testing.T) {
	path := filepath.Join(t.TempDir(), "latency.csv")
	os.WriteFile(path, []byte("start,duration_ms\n2026-11-26T10:00:00Z,12.5\n"), 0o644)
	// A gctrace log without timestamps has no wall clock: without
	// --process-start the log cannot be placed, and gcwatch must not guess.
	code, out, errs := run(t, "analyze", "--latency", path, example+"/gctrace.log")
	if code != exitError || out != "" || !strings.Contains(errs, "process-start") {
		t.Errorf("exit %d, stdout %q, stderr %q", code, out, errs)
	}
	// With it, the request is placed (and lies outside the log's window).
	code, doc, errs := analyzeJSON(t, "--latency", path, "--process-start", "2026-11-26T09:59:59.990Z", example+"/gctrace.log")
	if code != exitOK {
		t.Fatalf("exit %d: %s", code, errs)
	}
	b, _ := json.Marshal(doc)
	if !strings.Contains(errs, "process start") || len(b) == 0 {
		t.Errorf("stderr %q", errs)
	}
}

// TestFolderLatencyLogAfterStartupLines: a capture folder's latency.jsonl
// whose first lines are a service's start-up messages (so its first bytes
// do not show a request) is still used as the request latency.
func TestFolderLatencyLogAfterStartupLines(t *testing.T) {
	const capture = "../../examples/testdata/httpsvc-steady/cap2"
	_, doc, _ := analyzeJSON(t, capture)
	p := processes(doc)[0]
	wall, err := time.Parse(time.RFC3339Nano, fmt.Sprint(p["source"].(map[string]any)["wall_start"]))
	if err != nil {
		t.Fatalf("the recorded trace has no wall clock: %v", err)
	}
	var lines []string
	for i := range 80 {
		lines = append(lines, fmt.Sprintf(`{"time":%q,"level":"INFO","msg":"warming cache","shard":%d}`, wall.Format(time.RFC3339Nano), i))
	}
	worst := p["attribution"].(map[string]any)["worst"].([]any)
	for _, w := range worst {
		m := w.(map[string]any)
		start := wall.Add(time.Duration(m["start_ms"].(float64) * 1e6))
		lines = append(lines, fmt.Sprintf(`{"time":%q,"level":"INFO","msg":"request","start":%q,"duration_ms":%v,"id":%v}`,
			start.Format(time.RFC3339Nano), start.Format(time.RFC3339Nano), m["latency_ms"], m["id"]))
	}
	dir := t.TempDir()
	for _, f := range []string{"trace.out.gz", "manifest.json"} {
		b, err := os.ReadFile(filepath.Join(capture, f))
		if err != nil {
			t.Fatal(err)
		}
		os.WriteFile(filepath.Join(dir, f), b, 0o644)
	}
	os.WriteFile(filepath.Join(dir, "latency.jsonl"), []byte(strings.Join(lines, "\n")+"\n"), 0o644)
	code, doc, errs := analyzeJSON(t, dir)
	if code != exitOK {
		t.Fatalf("exit %d: %s", code, errs)
	}
	l := processes(doc)[0]["latency"].(map[string]any)
	if l["source"] != "log" || int(l["requests"].(float64)) != len(worst) || strings.Contains(errs, "skipped") {
		t.Errorf("latency %v, want the %d requests of latency.jsonl; stderr %s", l, len(worst), errs)
	}
	// A text file that is neither says it is not a latency log either.
	os.WriteFile(filepath.Join(dir, "latency.jsonl"), []byte("hello\nworld\n"), 0o644)
	_, _, errs = analyzeJSON(t, dir)
	if !strings.Contains(errs, "latency.jsonl: not an execution trace or gctrace log: a text file with no gc lines among its 2 lines, nor a latency log") {
		t.Errorf("stderr %q", errs)
	}
}
