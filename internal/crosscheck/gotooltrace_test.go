package crosscheck

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"net/http"
	"os"
	"os/exec"
	"regexp"
	"strings"
	"testing"
	"time"
)

// toolPoint is one point of go tool trace's MMU plot.
type toolPoint struct {
	window time.Duration
	mmu    float64
}

// toolFlags are the sources go tool trace's MMU page counts by default
// (the "System" view with STW, background workers and mark assist ticked,
// sweep not).
const toolFlags = "stw|background|assist"

var listeningRE = regexp.MustCompile(`listening on (http://127\.0\.0\.1:\d+)`)

// goToolTraceMMU runs `go tool trace` on the trace at path, fetches its
// MMU plot over loopback and stops the tool. It skips the test when the
// tool cannot be run here.
func goToolTraceMMU(t *testing.T, path string) []toolPoint {
	t.Helper()
	goBin, err := exec.LookPath("go")
	if err != nil {
		t.Skip("go is not on PATH, so go tool trace cannot be compared")
	}
	// The tool opens a browser at the address it serves; $BROWSER is
	// tried first, and a command that does nothing keeps it from trying
	// any other.
	noBrowser, err := exec.LookPath("true")
	if err != nil {
		t.Skip("no `true` command to stand in for the browser go tool trace opens")
	}

	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, goBin, "tool", "trace", "-http=127.0.0.1:0", path)
	cmd.Env = append(os.Environ(), "BROWSER="+noBrowser, "DISPLAY=")
	// The go command passes an interrupt on to the tool it runs; WaitDelay
	// kills both if that is not enough.
	cmd.Cancel = func() error { return cmd.Process.Signal(os.Interrupt) }
	cmd.WaitDelay = 5 * time.Second
	out, outW := io.Pipe()
	cmd.Stderr = outW
	if err := cmd.Start(); err != nil {
		t.Skipf("go tool trace did not start: %v", err)
	}
	var said strings.Builder
	addr := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(out)
		for sc.Scan() {
			said.WriteString(sc.Text() + "\n")
			if m := listeningRE.FindStringSubmatch(sc.Text()); m != nil {
				addr <- m[1]
			}
		}
		close(addr)
	}()
	exited := make(chan struct{})
	go func() {
		cmd.Wait()
		outW.Close() // ends the scan above
		close(exited)
	}()
	defer func() {
		cancel()
		<-exited
	}()

	// Building the tool the first time can take a while on a busy machine.
	var base string
	select {
	case a, ok := <-addr:
		if !ok {
			t.Skipf("go tool trace stopped before serving:\n%s", said.String())
		}
		base = a
	case <-ctx.Done():
		t.Skipf("go tool trace did not listen within a minute")
	}

	url := base + "/mmu?mode=plot&flags=" + toolFlags
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		t.Fatal(err)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("fetching %s: %v", url, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("fetching %s: %v %s %.200s", url, err, resp.Status, body)
	}
	points, err := parseToolPlot(body)
	if err != nil {
		t.Fatalf("%s: %v", url, err)
	}
	return points
}

// parseToolPlot reads the JSON of /mmu?mode=plot: "curve" is a list of
// [window in ns, MMU] pairs.
func parseToolPlot(body []byte) ([]toolPoint, error) {
	var plot struct {
		Curve [][]float64 `json:"curve"`
	}
	if err := json.Unmarshal(body, &plot); err != nil {
		return nil, fmt.Errorf("decode MMU plot: %w", err)
	}
	if len(plot.Curve) == 0 {
		return nil, fmt.Errorf("MMU plot has no points")
	}
	out := make([]toolPoint, 0, len(plot.Curve))
	for _, p := range plot.Curve {
		if len(p) != 2 {
			return nil, fmt.Errorf("MMU plot point %v is not [window, mmu]", p)
		}
		out = append(out, toolPoint{time.Duration(p[0]), p[1]})
	}
	return out, nil
}

// TestMMUAgainstGoToolTrace compares three MMU curves of two multi-P
// recordings at the windows go tool trace plots: the definition's (from the
// events), the ingest's, and go tool trace's own, fetched from the running
// tool. The ingest's must be the definition's; the tool's must be what its
// worker bookkeeping (toolUtil) predicts, and become the definition's once
// workers are counted per run (with GC pauses as long as the trace's
// stop-the-world ranges, which is what the tool charges). Run with -v for
// the curves.
func TestMMUAgainstGoToolTrace(t *testing.T) {
	if testing.Short() {
		t.Skip("runs go tool trace")
	}
	for _, s := range scenarios(t) {
		if s.Name != "stwmix-p4" && s.Name != "allocheavy-p4-gogc50" {
			continue
		}
		t.Run(s.Name, func(t *testing.T) {
			tool := goToolTraceMMU(t, s.path("trace.out"))
			windows := make([]time.Duration, len(tool))
			for i, p := range tool {
				windows[i] = p.window
			}
			run := readRunWindows(t, s, windows)
			evs := readEvents(t, s.path("trace.out"))
			defined := definedUtil(evs, gcPausesOf(t, run, rawGCPauses(evs)))
			checkDefinedMMU(t, run, defined)

			// The tool charges a GC pause for the whole stop-the-world
			// range of the trace; with workers counted per run, its
			// bookkeeping must give the definition with those ranges.
			definedOnRanges := definedUtil(evs, rawGCPauses(evs))
			asTool := toolUtil(evs, workersAsTool)
			once := toolUtil(evs, workersCountedOnce)
			perRun := toolUtil(evs, workersPerRun)
			var table strings.Builder
			fmt.Fprintf(&table, "%12s %9s %9s %9s %9s\n", "window", "defined", "tool", "once", "tool−def")
			var lower, higher toolPoint // where the tool is furthest below and above the definition
			for _, p := range tool {
				def := defined.mmu(p.window)
				if want := asTool.mmu(p.window); math.Abs(p.mmu-want) > mmuTolerance {
					t.Errorf("go tool trace's MMU(%v) = %.9f, its bookkeeping as modelled gives %.9f", p.window, p.mmu, want)
				}
				if got, want := perRun.mmu(p.window), definedOnRanges.mmu(p.window); math.Abs(got-want) > mmuTolerance {
					t.Errorf("MMU(%v): the tool's bookkeeping with workers counted per run gives %.9f, the definition with the trace's pause ranges %.9f", p.window, got, want)
				}
				d := p.mmu - def
				if d < lower.mmu {
					lower = toolPoint{p.window, d}
				}
				if d > higher.mmu {
					higher = toolPoint{p.window, d}
				}
				fmt.Fprintf(&table, "%12v %9.6f %9.6f %9.6f %+9.6f\n", p.window, def, p.mmu, once.mmu(p.window), d)
			}
			t.Logf("MMU at go tool trace's windows (once: its bookkeeping with each worker run counted once):\n%s", table.String())
			t.Logf("go tool trace is furthest below the definition at %v (%+.6f)", lower.window, lower.mmu)
			if higher.mmu > 0 {
				t.Logf("and furthest above it at %v (%+.6f), its curve having stopped where every P was taken for good", higher.window, higher.mmu)
			}
			if lower.mmu > -0.1 {
				t.Errorf("go tool trace is at most %.3f below the definition; its worker bookkeeping should cost more than 0.1 on %s", -lower.mmu, s.Name)
			}
		})
	}
}
