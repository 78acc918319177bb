package gctrace

import (
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/gcwatch/gcwatch/internal/model"
)

const (
	us = time.Microsecond
	ms = time.Millisecond
	mb = int64(1) << 20
)

// at is a point on the process clock, for expected values.
func at(d time.Duration) model.Time { return model.Time(d) }

// Lines of each layout. The expected cycles below are worked out by hand
// from the text, not by the code under test.
var (
	// golang/go#52515 (go1.19-devel), forced, whole-millisecond clock.
	lineGo118Forced = "gc 1 @0.124s 16%: 0.040+242+0.002 ms clock, 0.32+0.11/484/1447+0.020 ms cpu, 1526->1526->1525 MB, 1526 MB goal, 0 MB stacks, 0 MB globals, 8 P (forced)"
	// Go 1.26 recorded here, with the goroutine-leak note after P%.
	lineGo126Note = "gc 7 @12.345s 3% (checking for goroutine leaks): 0.10+3.5+0.051 ms clock, 0.41+1.2/6.8/0.009+0.20 ms cpu, 35->37->20 MB, 40 MB goal, 1 MB stacks, 2 MB globals, 4 P"
	// The extern.go template's "#MB globals", without a space.
	lineGo118NoSpace = "gc 2 @1.000s 0%: 0+0+0 ms clock, 0+0/0/0+0 ms cpu, 0->0->0 MB, 4 MB goal, 0 MB stacks, 0MB globals, 1 P"
	// davecheney/gcvis#26 (Go 1.6-1.17 layout).
	lineGo16 = "gc 205 @481.641s 0%: 0.018+30+0.24 ms clock, 0.15+5.3/61/148+1.9 ms cpu, 416->418->214 MB, 427 MB goal, 8 P"
	// Go 1.5: five clock phases, seven cpu fields, forced.
	lineGo15 = "gc 3 @0.009s 1%: 0.055+0.45+0.004+0.32+0.043 ms clock, 0.11+0.45+0+0.096/0.30/0.34+0.087 ms cpu, 4->4->0 MB, 4 MB goal, 2 P (forced)"
	// Early Go 1.5 builds: "gc #N".
	lineGo15Hash = "gc #12 @2.500s 4%: 1.5+10+20+300+9.9 ms clock, 3.0+10+0+5.5/600/7+19 ms cpu, 100->120->60 MB, 128 MB goal, 4 P"
)

func TestParseRecordLayouts(t *testing.T) {
	tests := []struct {
		name   string
		line   string
		format formatKind
		want   model.Cycle
	}{
		{"go1.18+ forced", lineGo118Forced, formatGo118, model.Cycle{
			N: 1, Start: at(124 * ms), End: at(124*ms + 40*us + 242*ms + 2*us), Forced: true,
			SweepTermination: 40 * us, Mark: 242 * ms, MarkTermination: 2 * us,
			SweepTerminationAt: at(124 * ms), MarkTerminationAt: at(124*ms + 40*us + 242*ms),
			CPU: model.CycleCPU{SweepTermination: 320 * us, Assist: 110 * us, Background: 484 * ms,
				Idle: 1447 * ms, MarkTermination: 20 * us},
			HeapStart: 1526 * mb, HeapEnd: 1526 * mb, HeapLive: 1525 * mb, HeapGoal: 1526 * mb,
			Stacks: 0, Globals: 0, Procs: 8, CumulativeCPUPercent: 16, From: model.FromGCTrace,
		}},
		{"go1.26 note", lineGo126Note, formatGo118, model.Cycle{
			N: 7, Start: at(12345 * ms), End: at(12345*ms + 100*us + 3500*us + 51*us),
			SweepTermination: 100 * us, Mark: 3500 * us, MarkTermination: 51 * us,
			SweepTerminationAt: at(12345 * ms), MarkTerminationAt: at(12345*ms + 3600*us),
			CPU: model.CycleCPU{SweepTermination: 410 * us, Assist: 1200 * us, Background: 6800 * us,
				Idle: 9 * us, MarkTermination: 200 * us},
			HeapStart: 35 * mb, HeapEnd: 37 * mb, HeapLive: 20 * mb, HeapGoal: 40 * mb,
			Stacks: 1 * mb, Globals: 2 * mb, Procs: 4, CumulativeCPUPercent: 3, From: model.FromGCTrace,
		}},
		{"go1.18+ globals without space", lineGo118NoSpace, formatGo118, model.Cycle{
			N: 2, Start: at(time.Second), End: at(time.Second),
			SweepTerminationAt: at(time.Second), MarkTerminationAt: at(time.Second),
			HeapGoal: 4 * mb, Procs: 1, From: model.FromGCTrace,
		}},
		{"go1.6-1.17", lineGo16, formatGo16, model.Cycle{
			N: 205, Start: at(481641 * ms), End: at(481641*ms + 18*us + 30*ms + 240*us),
			SweepTermination: 18 * us, Mark: 30 * ms, MarkTermination: 240 * us,
			SweepTerminationAt: at(481641 * ms), MarkTerminationAt: at(481641*ms + 18*us + 30*ms),
			CPU: model.CycleCPU{SweepTermination: 150 * us, Assist: 5300 * us, Background: 61 * ms,
				Idle: 148 * ms, MarkTermination: 1900 * us},
			HeapStart: 416 * mb, HeapEnd: 418 * mb, HeapLive: 214 * mb, HeapGoal: 427 * mb,
			Stacks: model.Unknown, Globals: model.Unknown, Procs: 8, From: model.FromGCTrace,
		}},
		{"go1.5", lineGo15, formatGo15, model.Cycle{
			N: 3, Start: at(9 * ms), End: at(9*ms + 55*us + 450*us + 4*us + 320*us + 43*us), Forced: true,
			SweepTermination: 55 * us, Mark: 450*us + 4*us + 320*us, MarkTermination: 43 * us,
			SweepTerminationAt: at(9 * ms), MarkTerminationAt: at(9*ms + 55*us + 450*us + 4*us + 320*us),
			// Background = scan + install write barrier + background mark.
			CPU: model.CycleCPU{SweepTermination: 110 * us, Assist: 96 * us, Background: 450*us + 0 + 300*us,
				Idle: 340 * us, MarkTermination: 87 * us},
			HeapStart: 4 * mb, HeapEnd: 4 * mb, HeapLive: 0, HeapGoal: 4 * mb,
			Stacks: model.Unknown, Globals: model.Unknown, Procs: 2, CumulativeCPUPercent: 1, From: model.FromGCTrace,
		}},
		{"go1.5 gc #N", lineGo15Hash, formatGo15, model.Cycle{
			N: 12, Start: at(2500 * ms), End: at(2500*ms + 1500*us + 10*ms + 20*ms + 300*ms + 9900*us),
			SweepTermination: 1500 * us, Mark: 330 * ms, MarkTermination: 9900 * us,
			SweepTerminationAt: at(2500 * ms), MarkTerminationAt: at(2500*ms + 1500*us + 330*ms),
			CPU: model.CycleCPU{SweepTermination: 3 * ms, Assist: 5500 * us, Background: 10*ms + 600*ms,
				Idle: 7 * ms, MarkTermination: 19 * ms},
			HeapStart: 100 * mb, HeapEnd: 120 * mb, HeapLive: 60 * mb, HeapGoal: 128 * mb,
			Stacks: model.Unknown, Globals: model.Unknown, Procs: 4, CumulativeCPUPercent: 4, From: model.FromGCTrace,
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rec, end, _, ok := parseRecord([]byte(tt.line + "\n"))
			if !ok {
				t.Fatalf("parseRecord(%q) failed", tt.line)
			}
			if end != len(tt.line) {
				t.Errorf("record ends at %d, want %d", end, len(tt.line))
			}
			if rec.format != tt.format {
				t.Errorf("format = %v, want %v", rec.format, tt.format)
			}
			if diff := cmp.Diff(tt.want, rec.cycle()); diff != "" {
				t.Errorf("cycle mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

// TestParseRecordNumbers covers every shape fmtNSAsMS and itoaDiv print:
// "0", two significant digits with up to three decimals, whole
// milliseconds from 10 ms on, and more decimals than the runtime prints.
func TestParseRecordNumbers(t *testing.T) {
	tests := []struct {
		clock string
		want  time.Duration
	}{
		{"0", 0},
		{"0.001", 1 * us},
		{"0.018", 18 * us},
		{"0.18", 180 * us},
		{"1.8", 1800 * us},
		{"9.9", 9900 * us},
		{"10", 10 * ms},
		{"1234567", 1234567 * ms},
		{"0.0000015", 1}, // beyond nanoseconds: truncated
		{"999999999999", 999999999999 * ms},
	}
	for _, tt := range tests {
		line := "gc 1 @0.000s 0%: " + tt.clock + "+0+0 ms clock, 0+0/0/0+0 ms cpu, 0->0->0 MB, 4 MB goal, 1 P"
		rec, _, _, ok := parseRecord([]byte(line))
		if !ok {
			t.Errorf("%q: parse failed", tt.clock)
			continue
		}
		if got := time.Duration(rec.clock[0]); got != tt.want {
			t.Errorf("%q: sweep termination = %v, want %v", tt.clock, got, tt.want)
		}
	}
}

func TestParseRecordRejects(t *testing.T) {
	valid := lineGo118Forced
	tests := []struct {
		name       string
		line       string
		headerRead bool
	}{
		{"cut in header", "gc 1 @0.12", false},
		{"cut after @T", "gc 1 @0.124s 1", true},
		{"cut in clock", valid[:strings.Index(valid, "242")+1], true},
		{"cut before P", valid[:strings.Index(valid, " 8 P")+2], true},
		{"four clock phases", strings.Replace(valid, "0.040+242+0.002", "0.040+242+0.002+1", 1), true},
		{"two clock phases", strings.Replace(valid, "0.040+242+0.002", "0.040+242", 1), true},
		{"clock with slash", strings.Replace(valid, "0.040+242+0.002", "0.040/242+0.002", 1), true},
		{"cpu wrong separators", strings.Replace(valid, "0.32+0.11/484/1447+0.020", "0.32+0.11+484/1447+0.020", 1), true},
		{"go1.5 clock with go1.6 cpu", strings.Replace(lineGo15, "0.11+0.45+0+0.096/0.30/0.34+0.087", "0.11+0.096/0.30/0.34+0.087", 1), true},
		{"stacks in go1.5 layout", strings.Replace(lineGo15, "4 MB goal, 2 P", "4 MB goal, 0 MB stacks, 0 MB globals, 2 P", 1), true},
		{"negative", strings.Replace(valid, "16%", "-16%", 1), true},
		{"heap too large", strings.Replace(valid, "1526->", "99999999999999->", 1), true},
		{"clock too large", strings.Replace(valid, "+242+", "+9999999999999+", 1), true},
		{"note not closed", "gc 1 @0.124s 16% (checking: 0.040+242+0.002 ms clock", true},
		{"exponent", strings.Replace(valid, "+242+", "+2.4e+02+", 1), true},
		{"other escape", strings.Replace(valid, "1526->1526", `1526-\u003c1526`, 1), true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, _, p, ok := parseRecord([]byte(tt.line))
			if ok {
				t.Fatalf("parseRecord(%q) succeeded", tt.line)
			}
			if p.headerRead != tt.headerRead {
				t.Errorf("headerRead = %v, want %v", p.headerRead, tt.headerRead)
			}
		})
	}
}
