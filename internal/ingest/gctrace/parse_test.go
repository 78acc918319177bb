package gctrace

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/gcwatch/gcwatch/internal/model"
)

// gcLine prints a Go 1.18+ record the way the runtime does, for building
// logs in tests. Its clock is 0.050+1.0+0.010 ms.
func gcLine(n int, startMS int64, procs int, forced bool) string {
	s := fmt.Sprintf("gc %d @%d.%03ds 1%%: 0.050+1.0+0.010 ms clock, 0.10+0.20/0.30/0.40+0.020 ms cpu, 4->5->2 MB, 5 MB goal, 0 MB stacks, 0 MB globals, %d P",
		n, startMS/1000, startMS%1000, procs)
	if forced {
		s += " (forced)"
	}
	return s
}

// gcLineCycle is the cycle gcLine prints.
func gcLineCycle(n int, startMS int64, procs int, forced bool) model.Cycle {
	start := at(time.Duration(startMS) * ms)
	return model.Cycle{
		N: n, Start: start, End: start.Add(50*us + 1000*us + 10*us), Forced: forced,
		SweepTermination: 50 * us, Mark: 1000 * us, MarkTermination: 10 * us,
		SweepTerminationAt: start, MarkTerminationAt: start.Add(1050 * us),
		CPU: model.CycleCPU{SweepTermination: 100 * us, Assist: 200 * us, Background: 300 * us,
			Idle: 400 * us, MarkTermination: 20 * us},
		HeapStart: 4 * mb, HeapEnd: 5 * mb, HeapLive: 2 * mb, HeapGoal: 5 * mb,
		Procs: procs, CumulativeCPUPercent: 1, From: model.FromGCTrace,
	}
}

// dockerEscape escapes a line as Docker's json-file driver does inside
// the "log" string: '>' as \u003e (nothing else in a record needs it).
func dockerEscape(line string) string { return strings.ReplaceAll(line, ">", `\u003e`) }

func parseString(t *testing.T, log string) *Result {
	t.Helper()
	res, err := Parse(strings.NewReader(log), "test.log")
	if err != nil {
		t.Fatalf("Parse: %v", err)
	}
	return res
}

// TestPrefixStyles wraps the same two records in each log shipper's
// prefix and checks the cycles, and the wall-clock start where the prefix
// carries a usable time.
func TestPrefixStyles(t *testing.T) {
	l1, l2 := gcLine(1, 12, 4, false), gcLine(2, 1500, 4, true)
	wantCycles := []model.Cycle{gcLineCycle(1, 12, 4, false), gcLineCycle(2, 1500, 4, true)}
	// Both lines are stamped so that line time − @T = 10:00:00.100 UTC.
	wall := time.Date(2026, 11, 26, 10, 0, 0, 100e6, time.UTC)
	tests := []struct {
		name     string
		log      string
		wall     *time.Time
		warnings []string
	}{
		{"bare", l1 + "\n" + l2 + "\n", nil, nil},
		{"crlf", l1 + "\r\n" + l2 + "\r\n", nil, nil},
		{"no final newline", l1 + "\n" + l2, nil, nil},
		{"docker json-file",
			`{"log":"` + dockerEscape(l1) + `\n","stream":"stderr","time":"2026-11-26T10:00:00.112Z"}` + "\n" +
				`{"log":"` + dockerEscape(l2) + `\n","stream":"stderr","time":"2026-11-26T10:00:01.6Z"}` + "\n", &wall, nil},
		{"json without escaping",
			`{"log":"` + l1 + `\n","stream":"stderr","time":"2026-11-26T10:00:00.112Z"}` + "\n" +
				`{"log":"` + l2 + `\n","stream":"stderr","time":"2026-11-26T10:00:01.6Z"}` + "\n", &wall, nil},
		{"json epoch seconds",
			`{"date":1795687200.112,"log":"` + l1 + `\n"}` + "\n" + `{"date":1795687201.6,"log":"` + l2 + `\n"}` + "\n", &wall, nil},
		{"kubectl --timestamps",
			"2026-11-26T10:00:00.112000000Z " + l1 + "\n2026-11-26T10:00:01.600000000Z " + l2 + "\n", &wall, nil},
		{"cri",
			"2026-11-26T10:00:00.112Z stderr F " + l1 + "\n2026-11-26T10:00:01.6Z stderr F " + l2 + "\n", &wall, nil},
		{"journalctl short-iso-precise, other zone",
			"2026-11-26T11:00:00.112000+0100 host app[7]: " + l1 + "\n2026-11-26T11:00:01.600000+01:00 host app[7]: " + l2 + "\n", &wall, nil},
		{"syslog rfc5424",
			"<165>1 2026-11-26T10:00:00.112Z host app 7 - - " + l1 + "\n<165>1 2026-11-26T10:00:01.600Z host app 7 - - " + l2 + "\n", &wall, nil},
		{"go log, no zone",
			"2026/11/26 10:00:00.112000 " + l1 + "\n2026/11/26 10:00:01.600000 " + l2 + "\n", &wall,
			[]string{"test.log:1: line timestamps carry no time zone; read as UTC"}},
		{"syslog rfc3164, no year",
			"<34>Nov 26 10:00:00 host app[7]: " + l1 + "\nNov 26 10:00:01 host app[7]: " + l2 + "\n", nil,
			[]string{"test.log:1: line timestamps carry no year; wall-clock start not estimated"}},
		{"kubectl --prefix", "[pod/web-1/app] " + l1 + "\n[pod/web-1/app] " + l2 + "\n", nil, nil},
		{"mid application line", "serving request 42..." + l1 + "\nlisten tcp: ok " + l2 + " trailing\n", nil, nil},
		{"nul and invalid utf-8", "\x00\x00\xff\xfe" + l1 + "\x00\n\xc3\x28 " + l2 + "\n", nil, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res := parseString(t, tt.log)
			if len(res.Processes) != 1 {
				t.Fatalf("got %d processes, want 1; warnings %q", len(res.Processes), res.Warnings)
			}
			p := res.Processes[0]
			if diff := cmp.Diff(wantCycles, p.Cycles); diff != "" {
				t.Errorf("cycles (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(tt.wall, p.WallStart); diff != "" {
				t.Errorf("WallStart (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(tt.warnings, p.Warnings); diff != "" {
				t.Errorf("process warnings (-want +got):\n%s", diff)
			}
			if res.Stats.GCLines != 2 || res.Stats.Lines != 2 || res.Stats.BadLines != 0 {
				t.Errorf("stats = %+v, want 2 lines, both gc", res.Stats)
			}
		})
	}
}

// TestWallStartMedian: one line stamped late (a shipper's backlog) does not
// move the estimate.
func TestWallStartMedian(t *testing.T) {
	log := "2026-11-26T10:00:00.112Z " + gcLine(1, 12, 1, false) + "\n" +
		"2026-11-26T10:00:05.000Z " + gcLine(2, 20, 1, false) + "\n" + // 4.88 s late
		"2026-11-26T10:00:00.130Z " + gcLine(3, 30, 1, false) + "\n"
	p := parseString(t, log).Processes[0]
	want := time.Date(2026, 11, 26, 10, 0, 0, 100e6, time.UTC)
	if p.WallStart == nil || !p.WallStart.Equal(want) {
		t.Errorf("WallStart = %v, want %v", p.WallStart, want)
	}
}

// TestOtherLines checks line classification and that Stats add up.
func TestOtherLines(t *testing.T) {
	log := strings.Join([]string{
		"app: starting",
		"",
		"   ",
		gcLine(1, 10, 2, false),
		"scvg0: inuse: 3, idle: 60, sys: 63, released: 0, consumed: 63 (MB)",
		"scvg1: 7 MB released",
		"scav 12 KiB work (bg), 0 KiB work (eager), 3908 KiB now, 99% util",
		"scav 0 12 KiB work, 0 KiB total, 100% util",
		"pacer: assist ratio=+1.3e+000 (scan 0 MB in 4->4 MB) workers=1++0.000000e+000",
		"SCHED 0ms: gomaxprocs=2 idleprocs=0 threads=5 spinningthreads=0 needspinning=0 idlethreads=1 runqueue=0 [0 0]",
		"GC forced",
		"scan: total 1234 objs",
		"gc12(2): 0+1+2+3 us, 4 -> 5 MB, 100 (200-100) objects, 3/4/0 sweeps, 0(0) handoff, 0(0) steal, 0/0/0 yields",
		gcLine(2, 20, 2, false),
		"our gc 5 retries took 3 ms", // prose mentioning gc: other
		"the GC forced a pause",      // "GC forced" not at the end: other
		"pacing: fine",
	}, "\n") + "\n"
	res := parseString(t, log)
	want := model.IngestStats{Bytes: int64(len(log)), Lines: 17, GCLines: 2, SkippedLines: 9, OtherLines: 4}
	if diff := cmp.Diff(want, res.Stats); diff != "" {
		t.Errorf("stats (-want +got):\n%s", diff)
	}
	wantWarn := []string{"test.log: 1 lines in the Go 1.4 gctrace format (gcN(M): ...) were skipped; it is not supported"}
	if diff := cmp.Diff(wantWarn, res.Warnings); diff != "" {
		t.Errorf("warnings (-want +got):\n%s", diff)
	}
}

// TestDamagedLines: records cut by application output, as recorded in
// testdata/real-go126.log, and garbled ones. Each is a warning with its
// line number; the process goes on without a gap when the header survived.
func TestDamagedLines(t *testing.T) {
	full := gcLine(2, 20, 2, false)
	cut := strings.Index(full, "0.30/")
	log := strings.Join([]string{
		gcLine(1, 10, 2, false),
		full[:cut] + "app: request 30 handled in 80us", // cut by another writer
		full[cut:], // the rest: a fragment
		gcLine(3, 30, 2, false),
		"gc 4 @0.04", // cut inside the header: the number is lost
		gcLine(5, 50, 2, false),
		"gc 6 @0.060s 1%: 0.050+1.0+0.010 ms clock, 0.10+0.20/0.30/0.40+0.020 ms cpu, 4->5->2 MB, 5 MB goal, 0 MB stacks, 0 MB globals, 2 P" +
			gcLine(7, 70, 2, false), // newline lost between two records: both good
		"gc 8 @0.080s 1%: 0.050+1.0+0.010 ms clock, 0.10+0.20/0.30/0.40+0.020 ms cpu, 4->5->2 MB, 5 MB goal, 0 MB stacks, 0 MB globals, 2 P" +
			"gc 9 @0.090s 1%: 0.050+", // one good, one cut: the line is bad
		gcLine(10, 100, 2, false),
	}, "\n") + "\n"
	res := parseString(t, log)
	if len(res.Processes) != 1 {
		t.Fatalf("got %d processes, want 1; warnings %q", len(res.Processes), res.Warnings)
	}
	var ns []int
	for _, c := range res.Processes[0].Cycles {
		ns = append(ns, c.N)
	}
	if diff := cmp.Diff([]int{1, 3, 5, 6, 7, 8, 10}, ns); diff != "" {
		t.Errorf("cycle numbers (-want +got):\n%s", diff)
	}
	wantWarn := []string{
		`test.log:2: gc line cut short after "gc 2 @0.020s 1%: 0.050+1.0+0.010 ms clock, 0.10+0.20/", followed by "app: request 30 handled in 80us"`,
		`test.log:3: part of a gc line without its start: "0.30/0.40+0.020 ms cpu, 4->5->2 MB, 5 MB goal, 0 MB stacks, 0 MB globals, 2 P"`,
		`test.log:5: gc line cut short after "gc 4 @0.04"`,
		`test.log:6: gc 4 missing between lines 4 and 6`,
		`test.log:8: gc line cut short after "gc 9 @0.090s 1%: 0.050+"`,
	}
	if diff := cmp.Diff(wantWarn, res.Warnings); diff != "" {
		t.Errorf("warnings (-want +got):\n%s", diff)
	}
	want := model.IngestStats{Bytes: int64(len(log)), Lines: 9, GCLines: 5, BadLines: 4}
	if diff := cmp.Diff(want, res.Stats); diff != "" {
		t.Errorf("stats (-want +got):\n%s", diff)
	}
}

func TestWarningsCapped(t *testing.T) {
	var b strings.Builder
	for i := 0; i < maxWarnings+30; i++ {
		b.WriteString("gc 1 @0.0\n")
	}
	res := parseString(t, b.String())
	if len(res.Warnings) != maxWarnings+1 {
		t.Fatalf("got %d warnings, want %d", len(res.Warnings), maxWarnings+1)
	}
	if last := res.Warnings[maxWarnings]; last != "test.log: 30 more warnings not shown" {
		t.Errorf("last warning = %q", last)
	}
	if res.Stats.BadLines != maxWarnings+30 {
		t.Errorf("BadLines = %d, want %d", res.Stats.BadLines, maxWarnings+30)
	}
}

func TestEmptyAndBlank(t *testing.T) {
	for _, log := range []string{"", "\n", "\r\n\n  \t\n"} {
		res := parseString(t, log)
		if len(res.Processes) != 0 || len(res.Warnings) != 0 {
			t.Errorf("%q: got %d processes, warnings %q", log, len(res.Processes), res.Warnings)
		}
		if res.Stats.GCLines+res.Stats.OtherLines+res.Stats.SkippedLines+res.Stats.BadLines != 0 {
			t.Errorf("%q: stats %+v count blank lines", log, res.Stats)
		}
	}
}

func TestLooksLike(t *testing.T) {
	tests := []struct {
		prefix string
		want   bool
	}{
		{lineGo118Forced, true},
		{"app log\n" + `{"log":"` + lineGo16 + `\n"}`, true},
		{lineGo15 + "\n", true},
		{"hello\nworld\n", false},
		{"gc 1 @0.124s 16%: 0.040+242+0.002 ms clock, 0.32", false}, // cut by the end of the prefix
		{"scvg0: inuse: 3\nGC forced\n", false},
		{"", false},
	}
	for _, tt := range tests {
		if got := LooksLike([]byte(tt.prefix)); got != tt.want {
			t.Errorf("LooksLike(%.40q) = %v, want %v", tt.prefix, got, tt.want)
		}
	}
}
