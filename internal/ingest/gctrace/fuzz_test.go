package gctrace

import (
	"bytes"
	"testing"

	"github.com/gcwatch/gcwatch/internal/model"
)

func FuzzParse(f *testing.F) {
	for _, line := range []string{
		lineGo118Forced, lineGo126Note, lineGo118NoSpace, lineGo16, lineGo15, lineGo15Hash,
		gcLine(1, 10, 2, false) + "\n" + gcLine(2, 20, 2, true) + "\n" + gcLine(1, 5, 2, false),
		`{"log":"` + dockerEscape(lineGo16) + `\n","stream":"stderr","time":"2026-11-26T10:00:00.123456789Z"}`,
		"2026-11-26T10:00:00.112+0100 host app[7]: " + lineGo118Forced + "\r\n",
		"Nov 26 10:00:00 host app: " + lineGo15,
		"app text" + lineGo118Forced[:60] + "more app text\n" + lineGo118Forced[60:],
		"scvg0: inuse: 3, idle: 60\nSCHED 0ms: gomaxprocs=2\nGC forced\npacer: x\nscav 1 KiB work\n",
		"gc 1 @0.1s 1% (gc 2 @0.2s 1%: 0+0+0 ms clock, 0+0/0/0+0 ms cpu, 0->0->0 MB, 0 MB goal, 1 P): x",
		"\x00\xff gc 3 @",
	} {
		f.Add([]byte(line))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		res, err := Parse(bytes.NewReader(data), "fuzz.log")
		if err != nil {
			t.Fatalf("Parse failed on content: %v", err)
		}
		checkInvariants(t, data, res)
	})
}

// checkInvariants checks what must hold for any input.
func checkInvariants(t *testing.T, data []byte, res *Result) {
	t.Helper()
	st := res.Stats
	lines, blank := countLines(data)
	if st.Bytes != int64(len(data)) || st.Lines != lines {
		t.Fatalf("stats %+v; input has %d bytes, %d lines", st, len(data), lines)
	}
	if st.GCLines+st.SkippedLines+st.OtherLines+st.BadLines+blank != st.Lines {
		t.Fatalf("stats %+v and %d blank lines do not add up", st, blank)
	}
	if len(res.Warnings) > maxWarnings+1 {
		t.Fatalf("%d warnings", len(res.Warnings))
	}
	cycles := 0
	for i, p := range res.Processes {
		if p.Index != i || len(p.Cycles) == 0 || p.FirstLine < 1 || p.LastLine < p.FirstLine || int64(p.LastLine) > lines {
			t.Fatalf("process %d: index %d, %d cycles, lines %d..%d", i, p.Index, len(p.Cycles), p.FirstLine, p.LastLine)
		}
		cycles += len(p.Cycles)
		for j, c := range p.Cycles {
			checkCycle(t, c)
			if j > 0 && (c.N <= p.Cycles[j-1].N || c.Start < p.Cycles[j-1].Start) {
				t.Fatalf("process %d: gc %d @%d after gc %d @%d", i, c.N, c.Start, p.Cycles[j-1].N, p.Cycles[j-1].Start)
			}
		}
		run := p.Run(model.Input{Path: "fuzz.log"}, st)
		if len(run.Pauses) != 2*len(p.Cycles) || run.End < run.Start {
			t.Fatalf("run: %d pauses for %d cycles, %d..%d", len(run.Pauses), len(p.Cycles), run.Start, run.End)
		}
	}
	// The shortest record that makes a cycle is one cut right after its
	// cpu fields (the rest of the line lost to another process's output),
	// "gc 1 @0s 0%: 0+0+0 ms clock, 0+0/0/0+0 ms cpu, ": 47 bytes.
	if cycles*47 > len(data) {
		t.Fatalf("%d cycles from %d bytes", cycles, len(data))
	}
	if LooksLike(data) != (cycles > 0) {
		t.Fatalf("LooksLike = %v with %d cycles", LooksLike(data), cycles)
	}
}

func checkCycle(t *testing.T, c model.Cycle) {
	t.Helper()
	if c.Start < 0 || c.SweepTermination < 0 || c.Mark < 0 || c.MarkTermination < 0 ||
		c.SweepTerminationAt != c.Start || c.MarkTerminationAt < c.SweepTerminationAt || c.End < c.MarkTerminationAt {
		t.Fatalf("bad times in %+v", c)
	}
	cpu := c.CPU
	if cpu.SweepTermination < 0 || cpu.Assist < 0 || cpu.Background < 0 || cpu.Idle < 0 || cpu.MarkTermination < 0 {
		t.Fatalf("bad cpu in %+v", c)
	}
	// A record cut after its cpu fields keeps the sizes printed before
	// the cut: the known ones come first, in printing order.
	sizes := []int64{c.HeapStart, c.HeapEnd, c.HeapLive, c.HeapGoal, c.Stacks, c.Globals}
	for i, v := range sizes {
		if v < -1 || (i > 0 && v >= 0 && sizes[i-1] < 0) {
			t.Fatalf("bad sizes in %+v", c)
		}
	}
	if c.Procs < 0 || c.CumulativeCPUPercent < 0 {
		t.Fatalf("bad sizes in %+v", c)
	}
}

// countLines counts lines as Parse defines them (a final line without a
// newline counts when not empty) and the blank ones among them.
func countLines(data []byte) (lines, blank int64) {
	for len(data) > 0 {
		line := data
		if i := bytes.IndexByte(data, '\n'); i >= 0 {
			line, data = data[:i+1], data[i+1:]
		} else {
			data = nil
		}
		lines++
		if len(bytes.Trim(line, " \t\r\n")) == 0 {
			blank++
		}
	}
	return lines, blank
}
