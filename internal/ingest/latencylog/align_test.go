package latencylog

import (
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/gcwatch/gcwatch/internal/ingest/gctrace"
	"github.com/gcwatch/gcwatch/internal/model"
)

func ptr[T any](v T) *T { return &v }

// traceRun is a run on a trace clock: its window is trace time 5 s to 7 s,
// which was 10:00:00 to 10:00:02 on the wall clock.
func traceRun() *model.Run {
	return &model.Run{
		Inputs:    []model.Input{{Path: "app.trace", Kind: model.KindTrace}},
		Start:     5e9,
		End:       7e9,
		WallStart: ptr(at(10, 0, 0, 0)),
		Fidelity:  model.Fidelity{Trace: true, WallClock: true},
	}
}

func entries(es ...Entry) *Log {
	for i := range es {
		es[i].Line = i + 1
	}
	return &Log{Name: "lat.jsonl", Requests: es}
}

func TestAlignTraceClock(t *testing.T) {
	log := entries(
		Entry{Start: at(10, 0, 0, 5e8), Duration: 100 * time.Millisecond, Type: "GET /a"}, // inside
		Entry{Start: at(9, 59, 59, 9e8), Duration: 200 * time.Millisecond},                // cut by the start
		Entry{Start: at(9, 59, 58, 0), Duration: time.Second},                             // before
		Entry{Start: at(10, 0, 2, 5e8), Duration: time.Millisecond},                       // after
		Entry{Start: at(10, 0, 1, 9e8), Duration: 200 * time.Millisecond},                 // cut by the end
		Entry{Start: at(10, 0, 2, 0), Duration: 0},                                        // at the end: inside
		Entry{Start: at(9, 59, 59, 0), Duration: time.Second},                             // ends at the start: before
		Entry{Start: time.Date(1970, 1, 1, 0, 0, 1, 0, time.UTC), Duration: 1},            // far before
		Entry{Start: time.Date(2261, 1, 1, 0, 0, 1, 0, time.UTC), Duration: time.Hour},    // far after
	)
	reqs, a, err := Align(log, traceRun(), nil)
	if err != nil {
		t.Fatal(err)
	}
	// Trace time = 5 s + (wall − 10:00:00), by hand.
	want := []model.Request{
		{ID: 1, Type: "GET /a", Kind: model.RequestLog, Start: 5_500_000_000, End: 5_600_000_000},
		{ID: 2, Kind: model.RequestLog, Start: 4_900_000_000, End: 5_100_000_000, Open: true},
		{ID: 5, Kind: model.RequestLog, Start: 6_900_000_000, End: 7_100_000_000, Open: true},
		{ID: 6, Kind: model.RequestLog, Start: 7_000_000_000, End: 7_000_000_000},
	}
	if diff := cmp.Diff(want, reqs); diff != "" {
		t.Errorf("requests (-want +got):\n%s", diff)
	}
	if a.InWindow != 2 || a.Open != 2 || a.Before != 3 || a.After != 2 || a.Anchor != AnchorClockSnapshot || a.IDs != "line" {
		t.Errorf("alignment %+v", a)
	}
	if !a.WallZero.Equal(at(9, 59, 55, 0)) {
		t.Errorf("wall zero %v", a.WallZero)
	}
	if len(a.Warnings) != 0 {
		t.Errorf("warnings %q", a.Warnings)
	}
	if got := a.String(); got != "lat.jsonl lined up with app.trace by its clock snapshot: 2 requests in the window, 2 cut by its edges, 3 before it, 2 after it" {
		t.Errorf("String() = %q", got)
	}
}

func TestAlignIDs(t *testing.T) {
	log := entries(
		Entry{Start: at(10, 0, 0, 0), Duration: 1, ID: "41"},
		Entry{Start: at(10, 0, 1, 0), Duration: 1, ID: "7"},
	)
	reqs, a, err := Align(log, traceRun(), nil)
	if err != nil || a.IDs != "log" || reqs[0].ID != 41 || reqs[1].ID != 7 {
		t.Errorf("ids %+v, %+v, %v", reqs, a, err)
	}
	for _, second := range []string{"41", "x7", "", "0"} {
		log.Requests[1].ID = second
		reqs, a, _ = Align(log, traceRun(), nil)
		if a.IDs != "line" || reqs[0].ID != 1 || reqs[1].ID != 2 {
			t.Errorf("second id %q: %+v, %+v", second, reqs, a)
		}
	}
}

// gctraceRun is a gctrace run: its clock is time since process start;
// cycles from 1 s to 3 s. processWall is the wall time of process start
// its line timestamps give, or nil; Run.WallStart is that of Run.Start.
func gctraceRun(processWall *time.Time) *model.Run {
	run := &model.Run{
		Inputs:   []model.Input{{Path: "gc.log", Kind: model.KindGCTrace}},
		Start:    1e9,
		End:      3e9,
		Fidelity: model.Fidelity{GCTrace: true, WallClock: processWall != nil},
	}
	if processWall != nil {
		w := processWall.Add(time.Duration(run.Start))
		run.WallStart = &w
	}
	return run
}

func TestAlignProcessStart(t *testing.T) {
	log := entries(Entry{Start: at(10, 0, 1, 250), Duration: time.Millisecond})
	start := at(9, 59, 59, 0)
	reqs, a, err := Align(log, gctraceRun(nil), &start)
	if err != nil {
		t.Fatal(err)
	}
	// 10:00:01.000000250 is 2 s 250 ns after process start.
	if len(reqs) != 1 || reqs[0].Start != 2_000_000_250 || reqs[0].End != 2_001_000_250 || a.Anchor != AnchorProcessStart || len(a.Warnings) != 0 {
		t.Fatalf("requests %+v, alignment %+v", reqs, a)
	}

	// Line timestamps alone serve, with a note on their precision...
	reqs, a, err = Align(log, gctraceRun(ptr(at(9, 59, 59, 5e6))), nil)
	if err != nil || reqs[0].Start != 1_995_000_250 || a.Anchor != AnchorLineStamps {
		t.Fatalf("requests %+v, alignment %+v, %v", reqs, a, err)
	}
	checkWarnings(t, a.Warnings, []string{"estimated from its line timestamps as 2026-11-26T09:59:59.005Z"})

	// ...and --process-start wins over them, with a note when they differ.
	reqs, a, err = Align(log, gctraceRun(ptr(at(9, 59, 57, 0))), &start)
	if err != nil || reqs[0].Start != 2_000_000_250 || a.Anchor != AnchorProcessStart {
		t.Fatalf("requests %+v, alignment %+v, %v", reqs, a, err)
	}
	checkWarnings(t, a.Warnings, []string{"put process start at 2026-11-26T09:59:57.000Z, -2s from --process-start"})

	// A trace with its own clock does not use --process-start.
	_, a, err = Align(log, traceRun(), &start)
	if err != nil || a.Anchor != AnchorClockSnapshot {
		t.Fatalf("alignment %+v, %v", a, err)
	}
	checkWarnings(t, a.Warnings, []string{"app.trace carries its own wall clock; --process-start is not used"})
}

func TestAlignNoAnchor(t *testing.T) {
	log := entries(Entry{Start: at(10, 0, 1, 0), Duration: time.Millisecond})
	noWall := traceRun()
	noWall.WallStart = nil
	start := at(9, 0, 0, 0)
	for _, tc := range []struct {
		run   *model.Run
		start *time.Time
		want  string
	}{
		{noWall, nil, "cannot line up lat.jsonl with app.trace: no common clock: the trace carries no wall clock (Go 1.25+ traces do) and no --process-start was given"},
		{noWall, &start, "cannot line up lat.jsonl with app.trace: no common clock: the trace carries no wall clock (Go 1.25+ traces do), and --process-start lines up only a gctrace log, whose clock counts from process start"},
		{gctraceRun(nil), nil, "cannot line up lat.jsonl with gc.log: no common clock: a gctrace log counts time from process start, and no --process-start was given nor do its lines carry timestamps"},
	} {
		reqs, _, err := Align(log, tc.run, tc.start)
		if err == nil || err.Error() != tc.want || !errors.Is(err, ErrNoAnchor) || reqs != nil {
			t.Errorf("got %v, %v\nwant %s", reqs, err, tc.want)
		}
	}
}

func TestAlignNothingInWindow(t *testing.T) {
	// A log written in local time (+01:00) without a zone, read as UTC:
	// every request is an hour late.
	var es []Entry
	for i := range 100 {
		es = append(es, Entry{Start: at(11, 0, 0, i*2e7), Duration: time.Millisecond})
	}
	_, a, err := Align(entries(es...), traceRun(), nil)
	if err != nil {
		t.Fatal(err)
	}
	if a.After != 100 {
		t.Errorf("alignment %+v", a)
	}
	checkWarnings(t, a.Warnings, []string{"none of the 100 requests of lat.jsonl falls in the window of app.trace: the log runs from 2026-11-26T11:00:00.000Z to 2026-11-26T11:00:01.981Z, the window from 2026-11-26T10:00:00.000Z to 2026-11-26T10:00:02.000Z (by its clock snapshot); they are 1h0m0s apart, close to a whole number of half hours"})

	// Seven minutes off is no time zone.
	for i := range es {
		es[i].Start = es[i].Start.Add(-53 * time.Minute)
	}
	_, a, _ = Align(entries(es...), traceRun(), nil)
	if len(a.Warnings) != 1 || strings.Contains(a.Warnings[0], "half hours") {
		t.Errorf("warnings %q", a.Warnings)
	}
}

func TestAlignSparseWindow(t *testing.T) {
	// 1000 requests a second for 100 s around the window, but only 3 of
	// them in its 2 s: about 2000 were due.
	var es []Entry
	for i := range 100000 {
		s := at(9, 59, 0, 0).Add(time.Duration(i) * time.Millisecond)
		if !s.Before(at(10, 0, 0, 0)) && s.Before(at(10, 0, 2, 0)) && i%700 != 0 {
			continue
		}
		es = append(es, Entry{Start: s, Duration: time.Microsecond})
	}
	_, a, err := Align(entries(es...), traceRun(), nil)
	if err != nil {
		t.Fatal(err)
	}
	wantDue := float64(len(es)) * 2 / 99.999001
	checkWarnings(t, a.Warnings, []string{fmt.Sprintf("only 3 of the %d requests of lat.jsonl fall in the window of app.trace, where the log's average rate would put about %.0f", len(es), wantDue)})

	// With every request there, no warning.
	es = es[:0]
	for i := range 100000 {
		es = append(es, Entry{Start: at(9, 59, 0, 0).Add(time.Duration(i) * time.Millisecond), Duration: time.Microsecond})
	}
	_, a, _ = Align(entries(es...), traceRun(), nil)
	if len(a.Warnings) != 0 || a.InWindow != 2000 || a.Open != 0 {
		t.Errorf("alignment %+v", a)
	}
}

// TestAlignRealGCTrace pins the meaning of WallStart for a gctrace run as
// package gctrace makes it (the wall time of Run.Start, which is process
// start for a log that begins with gc 1), from a log with timestamped lines.
func TestAlignRealGCTrace(t *testing.T) {
	var text strings.Builder
	for i, at := range []float64{1, 2, 3} {
		// Each line is stamped 20 ms after process start + @T.
		stamp := time.Date(2026, 11, 26, 10, 0, int(at), 20e6, time.UTC)
		fmt.Fprintf(&text, "%s gc %d @%.3fs 0%%: 0.010+1.0+0.010 ms clock, 0.020+0.5/1.0/0+0.020 ms cpu, 4->4->2 MB, 5 MB goal, 0 MB stacks, 0 MB globals, 2 P\n",
			stamp.Format(time.RFC3339Nano), i+1, at)
	}
	res, err := gctrace.Parse(strings.NewReader(text.String()), "gc.log")
	if err != nil || len(res.Processes) != 1 {
		t.Fatalf("gctrace: %v, %+v", err, res)
	}
	run := res.Processes[0].Run(model.Input{Path: "gc.log"}, res.Stats)
	if run.Start != 0 || run.WallStart == nil {
		t.Fatalf("run start %d, wall start %v", run.Start, run.WallStart)
	}
	log := entries(Entry{Start: at(10, 0, 2, 20e6), Duration: time.Millisecond})
	reqs, a, err := Align(log, run, nil)
	if err != nil || len(reqs) != 1 || a.Anchor != AnchorLineStamps {
		t.Fatalf("requests %+v, %+v, %v", reqs, a, err)
	}
	// Process start is 10:00:00.020, so 10:00:02.020 is 2 s after it.
	if reqs[0].Start != 2e9 {
		t.Errorf("request at %d ns since process start, want 2e9", reqs[0].Start)
	}
}
