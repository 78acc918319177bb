package gctrace

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/gcwatch/gcwatch/internal/model"
)

// numbers lists each process's gc numbers and @T milliseconds as "N@T".
func numbers(res *Result) [][]string {
	var out [][]string
	for _, p := range res.Processes {
		var ns []string
		for _, c := range p.Cycles {
			ns = append(ns, fmt.Sprintf("%d@%d", c.N, time.Duration(c.Start)/time.Millisecond))
		}
		out = append(out, ns)
	}
	return out
}

// gcHeap prints a record with a chosen heap, for the tie-breaking tests.
func gcHeap(n int, startMS int64, procs int, h0, h2, goal int) string {
	return fmt.Sprintf("gc %d @%d.%03ds 1%%: 0.050+1.0+0.010 ms clock, 0.10+0.20/0.30/0.40+0.020 ms cpu, %d->%d->%d MB, %d MB goal, 0 MB stacks, 0 MB globals, %d P",
		n, startMS/1000, startMS%1000, h0, h0, h2, goal, procs)
}

func TestProcessSplit(t *testing.T) {
	tests := []struct {
		name string
		log  []string
		want [][]string
	}{
		{"restart", []string{
			gcLine(1, 10, 2, false), gcLine(2, 20, 2, false), gcLine(3, 30, 2, false),
			"app: shutting down", "app: starting",
			gcLine(1, 5, 2, false), gcLine(2, 15, 2, false),
		}, [][]string{{"1@10", "2@20", "3@30"}, {"1@5", "2@15"}}},
		{"clock going backwards starts a process", []string{
			gcLine(1, 10, 2, false), gcLine(2, 200, 2, false),
			gcLine(3, 100, 2, false), // log began mid-process
		}, [][]string{{"1@10", "2@200"}, {"3@100"}}},
		{"two interleaved processes", []string{
			gcLine(1, 10, 2, false), // go command
			gcLine(2, 20, 2, false),
			"# runtime",
			gcLine(1, 300, 2, false), // compiler
			gcLine(2, 700, 2, false),
			gcLine(3, 900, 2, false),
			gcLine(3, 950, 2, false), // go command again: compiler is at 3
			gcLine(4, 1000, 2, false),
		}, [][]string{{"1@10", "2@20", "3@950", "4@1000"}, {"1@300", "2@700", "3@900"}}},
		{"same N: GOMAXPROCS decides", []string{
			gcLine(1, 10, 8, false),
			gcLine(1, 12, 2, false),
			gcLine(2, 30, 8, false),
			gcLine(2, 31, 2, false),
		}, [][]string{{"1@10", "2@30"}, {"1@12", "2@31"}}},
		{"same N and P: heap continuity decides", []string{
			gcHeap(1, 10, 2, 100, 60, 120),
			gcHeap(1, 11, 2, 4, 1, 4),
			gcHeap(2, 20, 2, 110, 70, 121), // fits the large heap only, not the most recent
			gcHeap(2, 21, 2, 3, 1, 4),      // fits the small heap only
		}, [][]string{{"1@10", "2@20"}, {"1@11", "2@21"}}},
		{"full tie: most recent printer", []string{
			gcLine(1, 10, 2, false),
			gcLine(1, 11, 2, false),
			gcLine(2, 20, 2, false),
		}, [][]string{{"1@10"}, {"1@11", "2@20"}}},
		{"different layouts are different processes", []string{
			gcLine(1, 10, 2, false),
			"gc 2 @0.020s 0%: 0.018+30+0.24 ms clock, 0.15+5.3/61/148+1.9 ms cpu, 416->418->214 MB, 427 MB goal, 2 P",
		}, [][]string{{"1@10"}, {"2@20"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res := parseString(t, strings.Join(tt.log, "\n")+"\n")
			if diff := cmp.Diff(tt.want, numbers(res)); diff != "" {
				t.Errorf("processes (-want +got):\n%s\nwarnings %q", diff, res.Warnings)
			}
		})
	}
}

func TestProcessGapsAndLines(t *testing.T) {
	log := strings.Join([]string{
		"start",
		gcLine(57, 1000, 4, false), // log begins mid-process
		gcLine(58, 1100, 4, false),
		"# lines lost by the shipper",
		gcLine(200, 9000, 4, false),
	}, "\n") + "\n"
	res := parseString(t, log)
	if len(res.Processes) != 1 {
		t.Fatalf("got %d processes; warnings %q", len(res.Processes), res.Warnings)
	}
	p := res.Processes[0]
	if p.FirstLine != 2 || p.LastLine != 5 {
		t.Errorf("lines %d..%d, want 2..5", p.FirstLine, p.LastLine)
	}
	want := []string{
		"test.log:2: process starts at gc 57; its earlier cycles are not in the log",
		"test.log:5: gc 59 to 199 missing between lines 3 and 5",
	}
	if diff := cmp.Diff(want, p.Warnings); diff != "" {
		t.Errorf("warnings (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]string{want[1], want[0]}, res.Warnings); diff != "" {
		t.Errorf("result warnings (-want +got):\n%s", diff)
	}
}

// TestManyProcesses: thousands of one-cycle processes stay cheap (the
// candidate list is bounded) and all come out.
func TestManyProcesses(t *testing.T) {
	var b strings.Builder
	const n = 20000
	for i := 0; i < n; i++ {
		b.WriteString(gcLine(1, int64(i%1000), 2, false))
		b.WriteString("\n")
	}
	for i := 0; i < n; i++ {
		b.WriteString(gcLine(2, 5000, 2, false))
		b.WriteString("\n")
	}
	res := parseString(t, b.String())
	if len(res.Processes) != n {
		t.Fatalf("got %d processes, want %d", len(res.Processes), n)
	}
	cycles := 0
	for _, p := range res.Processes {
		cycles += len(p.Cycles)
		for i, c := range p.Cycles {
			if c.N != i+1 {
				t.Fatalf("process %d: cycle %d is gc %d", p.Index, i, c.N)
			}
		}
	}
	if cycles != 2*n {
		t.Errorf("got %d cycles, want %d", cycles, 2*n)
	}
}

func TestProcsChanges(t *testing.T) {
	log := strings.Join([]string{
		gcLine(1, 10, 8, false), gcLine(2, 20, 8, false), gcLine(3, 30, 1, false), gcLine(4, 40, 1, false), gcLine(5, 50, 4, false),
	}, "\n")
	p := parseString(t, log).Processes[0]
	want := []model.ProcsChange{{At: at(10 * ms), Procs: 8}, {At: at(30 * ms), Procs: 1}, {At: at(50 * ms), Procs: 4}}
	if diff := cmp.Diff(want, p.ProcsChanges); diff != "" {
		t.Errorf("ProcsChanges (-want +got):\n%s", diff)
	}
	if p.GOMAXPROCS != 4 {
		t.Errorf("GOMAXPROCS = %d, want the last seen, 4", p.GOMAXPROCS)
	}
}

// TestRunMidProcess: a log that begins after the process's first cycles
// opens its window at its first cycle, and WallStart is that moment's wall
// time, not process start's.
func TestRunMidProcess(t *testing.T) {
	log := "2026-11-26T10:00:00.112Z " + gcLine(5, 12, 8, false) + "\n" +
		"2026-11-26T10:00:00.150Z " + gcLine(6, 50, 8, false) + "\n"
	res := parseString(t, log)
	run := res.Processes[0].Run(model.Input{Path: "svc.log"}, res.Stats)
	if run.Start != at(12*ms) {
		t.Errorf("Start = %d, want the first cycle's", run.Start)
	}
	want := time.Date(2026, 11, 26, 10, 0, 0, 112e6, time.UTC)
	if run.WallStart == nil || !run.WallStart.Equal(want) {
		t.Errorf("WallStart = %v, want %v", run.WallStart, want)
	}
}

func TestRun(t *testing.T) {
	log := "2026-11-26T10:00:00.112Z " + gcLine(1, 12, 8, false) + "\n" +
		"2026-11-26T10:00:00.150Z " + gcLine(2, 50, 2, true) + "\n"
	res := parseString(t, log)
	p := &res.Processes[0]
	run := p.Run(model.Input{Path: "svc.log", Bytes: 123}, res.Stats)

	wall := time.Date(2026, 11, 26, 10, 0, 0, 100e6, time.UTC)
	c1, c2 := gcLineCycle(1, 12, 8, false), gcLineCycle(2, 50, 2, true)
	want := &model.Run{
		Inputs:       []model.Input{{Path: "svc.log", Kind: model.KindGCTrace, Bytes: 123, Format: "gctrace go1.18+"}},
		GOMAXPROCS:   8,
		ProcsChanges: []model.ProcsChange{{At: at(12 * ms), Procs: 8}, {At: at(50 * ms), Procs: 2}},
		Start:        0, // the log begins with gc 1: at process start
		End:          at(50*ms + 1060*us),
		WallStart:    &wall,
		Fidelity:     model.Fidelity{GCTrace: true, LiveHeap: true, CPUSplit: true, WallClock: true},
		Cycles:       []model.Cycle{c1, c2},
		Pauses: []model.Pause{
			{Start: at(12 * ms), Duration: 50 * us, Kind: model.PauseSweepTermination, Reason: "GC sweep termination", Cycle: 0, TimeToStop: -1},
			{Start: at(12*ms + 1050*us), Duration: 10 * us, Kind: model.PauseMarkTermination, Reason: "GC mark termination", Cycle: 0, TimeToStop: -1},
			{Start: at(50 * ms), Duration: 50 * us, Kind: model.PauseSweepTermination, Reason: "GC sweep termination", Cycle: 1, TimeToStop: -1},
			{Start: at(50*ms + 1050*us), Duration: 10 * us, Kind: model.PauseMarkTermination, Reason: "GC mark termination", Cycle: 1, TimeToStop: -1},
		},
		Stats: res.Stats,
	}
	if diff := cmp.Diff(want, run); diff != "" {
		t.Errorf("Run (-want +got):\n%s", diff)
	}
	// The run owns its slices.
	run.Cycles[0].N = 99
	if p.Cycles[0].N != 1 {
		t.Error("Run shares Cycles with the Process")
	}
}

func TestRunEmpty(t *testing.T) {
	var p Process
	run := p.Run(model.Input{Path: "x"}, model.IngestStats{})
	if run.Start != 0 || run.End != 0 || len(run.Pauses) != 0 || run.GOMAXPROCS != 0 {
		t.Errorf("empty process gave %+v", run)
	}
}
