package crosscheck

import (
	"bytes"
	"encoding/json"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/gcwatch/gcwatch/internal/analyze"
	"github.com/gcwatch/gcwatch/internal/ingest/gctrace"
	"github.com/gcwatch/gcwatch/internal/model"
)

// runtimeEdge is one reading of testdata/gccpu: the runtime's own CPU
// accounting (runtime/metrics), in seconds, right after a runtime.GC().
type runtimeEdge struct {
	Cycles   int     `json:"cycles"`
	GCTotal  float64 `json:"gc_total"`
	MarkIdle float64 `json:"mark_idle"`
	Pause    float64 `json:"pause"`
	Total    float64 `json:"total"`
}

// TestGCCPUAgainstRuntime runs testdata/gccpu under GODEBUG=gctrace=1
// GOMAXPROCS=2 and compares gcwatch's GC CPU from the gctrace log alone,
// over exactly the cycles between the program's two readings of
// runtime/metrics, with the runtime's own accounting over the same span.
//
// The mark work agrees: the assist and background cpu fields are the
// counters the metrics are made of. The pauses do not: a gctrace line's
// pause cpu is Ps × the pause's wall clock, which the runtime takes from
// before it starts stopping the world to after it restarted it, while
// /cpu/classes/gc/pause counts, during the stop, only the Ps already
// stopped. So gcwatch's pause cpu is higher, and the test only bounds it
// from below; the numbers are logged.
func TestGCCPUAgainstRuntime(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs a program for a second")
	}
	bin := filepath.Join(t.TempDir(), "gccpu")
	if out, err := exec.Command("go", "build", "-o", bin, "./testdata/gccpu").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	cmd := exec.Command(bin, "-d", "1s")
	cmd.Env = append(cmd.Environ(), "GODEBUG=gctrace=1", "GOMAXPROCS=2")
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("gccpu: %v\n%s", err, stderr.Bytes())
	}
	var edges struct{ Before, After runtimeEdge }
	if err := json.Unmarshal(stdout.Bytes(), &edges); err != nil {
		t.Fatalf("gccpu output %q: %v", stdout.Bytes(), err)
	}
	a, b := edges.Before, edges.After

	res, err := gctrace.Parse(&stderr, "gccpu.log")
	if err != nil || len(res.Processes) != 1 {
		t.Fatalf("parse: %v, %d processes, warnings %q", err, len(res.Processes), res.Warnings)
	}
	run := between(t, res.Processes[0], a.Cycles, b.Cycles)
	g := analyze.Analyze(run, analyze.DefaultOptions()).GC

	total := b.Total - a.Total
	pause := (b.Pause - a.Pause) / total
	idle := (b.MarkIdle - a.MarkIdle) / total
	mark := (b.GCTotal-a.GCTotal)/total - pause - idle
	t.Logf("%d cycles over %v: runtime GC CPU %.2f%% (pause %.2f%%, assist+background %.2f%%, idle %.2f%% not counted); "+
		"gcwatch %.2f%% (STW %.2f%%, assist+background %.2f%%, idle %.2f%%)",
		len(run.Cycles), run.Duration(), 100*(pause+mark), 100*pause, 100*mark, 100*idle,
		100*g.CPUFraction, 100*g.CPU.STW, 100*(g.CPU.Assist+g.CPU.Background), 100*g.CPU.Idle)

	// The window: the runtime's total is GOMAXPROCS × its clock between
	// the two snapshots; gcwatch's is the same span from printed times.
	if w := 2 * run.Duration().Seconds(); w < 0.98*total || w > 1.02*total {
		t.Errorf("window: gcwatch's capacity %.3fs, the runtime's %.3fs", w, total)
	}
	// Printed cpu has two significant digits: half a point is ample.
	if d := g.CPU.Assist + g.CPU.Background - mark; d < -0.005 || d > 0.005 {
		t.Errorf("assist+background: gcwatch %.2f%%, runtime %.2f%%", 100*(g.CPU.Assist+g.CPU.Background), 100*mark)
	}
	if d := g.CPU.Idle - idle; d < -0.005 || d > 0.005 {
		t.Errorf("idle marking: gcwatch %.2f%%, runtime %.2f%%", 100*g.CPU.Idle, 100*idle)
	}
	// From near the process start the log's cumulative GC CPU (P%)
	// calibrates the pauses' CPU: the whole figure is then held to the
	// issue's 2 points.
	if _, ok := analyze.CalibratedSTW(run); !ok {
		t.Errorf("the window starts near the process start, yet the pauses' CPU was not calibrated from P%%")
	} else if d := g.CPUFraction - (pause + mark); d < -0.02 || d > 0.02 {
		t.Errorf("GC CPU: gcwatch %.2f%%, runtime %.2f%%: off by more than 2 points", 100*g.CPUFraction, 100*(pause+mark))
	}
	// gctrace's pause cpu covers more than the runtime's, apart from
	// mark terminations the runtime abandoned to mark more (their pause
	// is in the metric and in no gctrace field): rare, and short.
	if g.CPU.STW < 0.9*pause-0.015 {
		t.Errorf("STW: gcwatch %.2f%%, below the runtime's %.2f%%", 100*g.CPU.STW, 100*pause)
	}
}

// between returns p as a run over the cycles after gc first up to gc
// last: the window runs from the end of gc first to the end of gc last,
// the two moments the runtime took its readings.
func between(t *testing.T, p gctrace.Process, first, last int) *model.Run {
	t.Helper()
	var from model.Time = -1
	var cycles []model.Cycle
	for _, c := range p.Cycles {
		switch {
		case c.N == first:
			from = c.End
		case c.N > first && c.N <= last:
			cycles = append(cycles, c)
		}
	}
	if from < 0 || len(cycles) != last-first || cycles[len(cycles)-1].N != last {
		t.Fatalf("the log lacks cycles between gc %d and gc %d", first, last)
	}
	p.Cycles = cycles
	run := p.Run(model.Input{Path: "gccpu.log"}, model.IngestStats{})
	run.Start, run.End = from, cycles[len(cycles)-1].End
	if run.Duration() < 500*time.Millisecond {
		t.Fatalf("window of %v: too short to compare", run.Duration())
	}
	return run
}
