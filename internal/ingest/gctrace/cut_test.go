package gctrace

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/gcwatch/gcwatch/internal/model"
)

// TestCutAfterCPU: a record cut after its cpu fields, by another process
// writing to the same stderr or by its own process exiting, keeps its
// cycle with the sizes printed before the cut. The process it belongs to
// goes on through it, and the other process's records stay apart.
func TestCutAfterCPU(t *testing.T) {
	full := gcLine(3, 30, 2, false)
	tests := []struct {
		after string // the cut comes right after this text of full
		known int    // how many sizes (start, end, live, goal, stacks, globals) survive
	}{
		{" ms cpu, ", 0},
		{"4->", 1},
		{"4->5", 1}, // the 5 may have lost digits
		{"4->5->", 2},
		{"2 MB, ", 3},
		{"5 MB goal, ", 4},
		{"0 MB stacks, ", 5},
		{"globals, ", 6},
		{"globals, 2", 6},
	}
	for _, tt := range tests {
		t.Run(tt.after, func(t *testing.T) {
			cut := full[:strings.Index(full, tt.after)+len(tt.after)]
			log := strings.Join([]string{
				gcLine(1, 10, 2, false),
				gcLine(2, 20, 2, false),
				cut + "# net/http", // the go command prints a compile's output
				gcLine(1, 1, 2, false),
				gcLine(2, 3, 2, false),
				full[len(cut):], // the rest of the cut record
				gcLine(4, 40, 2, false),
			}, "\n") + "\n"
			res := parseString(t, log)
			if len(res.Processes) != 2 {
				t.Fatalf("%d processes, want 2; warnings %q", len(res.Processes), res.Warnings)
			}
			want := gcLineCycle(3, 30, 0, false)
			sizes := []*int64{&want.HeapStart, &want.HeapEnd, &want.HeapLive, &want.HeapGoal, &want.Stacks, &want.Globals}
			for _, s := range sizes[tt.known:] {
				*s = model.Unknown
			}
			p := res.Processes[0]
			wantCycles := []model.Cycle{gcLineCycle(1, 10, 2, false), gcLineCycle(2, 20, 2, false), want, gcLineCycle(4, 40, 2, false)}
			if diff := cmp.Diff(wantCycles, p.Cycles); diff != "" {
				t.Errorf("cycles (-want +got):\n%s", diff)
			}
			if p.Format != "gctrace go1.18+" || len(p.ProcsChanges) != 1 || p.GOMAXPROCS != 2 {
				t.Errorf("format %q, procs changes %v, GOMAXPROCS %d", p.Format, p.ProcsChanges, p.GOMAXPROCS)
			}
			if n := len(res.Processes[1].Cycles); n != 2 {
				t.Errorf("the other process has %d cycles, want 2", n)
			}
			wantWarn := `test.log:3: gc line cut short after "` + excerpt([]byte(cut), 120) +
				`", followed by "# net/http"; its cycle is kept, the fields after that unknown`
			if len(res.Warnings) == 0 || res.Warnings[0] != wantWarn {
				t.Errorf("warnings %q, want first %q", res.Warnings, wantWarn)
			}
		})
	}
}

// TestCutOnlyRecord: a compiler process of `go build` whose only record is
// cut keeps its process.
func TestCutOnlyRecord(t *testing.T) {
	log := strings.Join([]string{
		gcLine(1, 10, 2, false),
		"gc 1 @0.012s 2%: 0.010+0.20+0.003 ms clock, 0.020+0.1/0.2/0.3+0.006 ms cpu, 67->70->",
		gcLine(2, 20, 2, false),
		"# net/http",
		gcLine(1, 5, 2, false),
	}, "\n") + "\n"
	res := parseString(t, log)
	var got [][]int
	for _, p := range res.Processes {
		var ns []int
		for _, c := range p.Cycles {
			ns = append(ns, c.N)
		}
		got = append(got, ns)
	}
	if diff := cmp.Diff([][]int{{1, 2}, {1}, {1}}, got); diff != "" {
		t.Fatalf("cycle numbers by process (-want +got):\n%s", diff)
	}
	c := res.Processes[1].Cycles[0]
	if c.HeapStart != 67*mb || c.HeapEnd != 70*mb || c.HeapLive != model.Unknown || c.Procs != 0 ||
		c.CPU.SweepTermination != 20*us || c.CPU.MarkTermination != 6*us {
		t.Errorf("cut cycle %+v", c)
	}
	if p := res.Processes[1]; p.GOMAXPROCS != 0 || len(p.ProcsChanges) != 0 || p.Format != "gctrace" {
		t.Errorf("process of the cut record: GOMAXPROCS %d, changes %v, format %q", p.GOMAXPROCS, p.ProcsChanges, p.Format)
	}
	want := model.IngestStats{Bytes: int64(len(log)), Lines: 5, GCLines: 3, BadLines: 1, OtherLines: 1}
	if diff := cmp.Diff(want, res.Stats); diff != "" {
		t.Errorf("stats (-want +got):\n%s", diff)
	}
}
