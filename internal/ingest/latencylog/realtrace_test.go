package latencylog

import (
	"bytes"
	"context"
	"fmt"
	"runtime/trace"
	"testing"
	"time"

	"github.com/gcwatch/gcwatch/internal/ingest/exectrace"
	"github.com/gcwatch/gcwatch/internal/model"
)

// realTolerance is how far an aligned log time may sit from the trace
// event it brackets. The mapping's own error is far smaller: the runtime
// reads the wall and trace clocks for its snapshot back to back, trace
// times are the monotonic clock cut to 64 ns, and the wall clock keeps
// step with the monotonic one (NTP slews both) unless it is set. What
// the margin covers is a thread descheduled between the snapshot's two
// readings on a busy machine. It is still well below the 3 ms sleeps, so
// an error of a request's duration, a unit or the clock origin fails.
const realTolerance = time.Millisecond

// TestAlignRealTrace records a trace in-process while fake requests
// sleep inside tasks, writes their wall-clock start and duration as a
// JSONL log, and checks that the log, lined up by the trace's clock
// snapshot, falls on the tasks.
func TestAlignRealTrace(t *testing.T) {
	var traceBuf, logBuf bytes.Buffer
	if err := trace.Start(&traceBuf); err != nil {
		t.Skipf("cannot trace (go test -trace?): %v", err)
	}
	type brackets struct{ startLo, startHi, endLo, endHi time.Time }
	var spans []brackets
	for i := range 5 {
		// The task events lie between the readings around them.
		w0 := time.Now()
		_, task := trace.NewTask(context.Background(), "fake")
		w1 := time.Now()
		time.Sleep(time.Duration(i+1) * 3 * time.Millisecond)
		e0 := time.Now()
		task.End()
		e1 := time.Now()
		spans = append(spans, brackets{w0, w1, e0, e1})
		start := w0.UTC().Format(time.RFC3339Nano)
		if i%2 == 1 {
			start = fmt.Sprint(w0.UnixNano())
		}
		fmt.Fprintf(&logBuf, `{"start":%q,"duration_ns":%d,"id":"%d"}`+"\n", start, e1.Sub(w0), 100+i)
	}
	trace.Stop()

	run, err := exectrace.Read(&traceBuf, "inproc.trace", exectrace.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if run.WallStart == nil {
		t.Fatal("exectrace set no WallStart on a Go 1.26 trace")
	}
	var tasks []model.Request
	for _, r := range run.Requests.All() {
		if r.Kind == model.RequestTask && r.Type == "fake" {
			tasks = append(tasks, r)
		}
	}
	log, err := Parse(&logBuf, "inproc.jsonl")
	if err != nil {
		t.Fatal(err)
	}
	reqs, a, err := Align(log, run, nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(tasks) != len(spans) || len(reqs) != len(spans) || a.InWindow != len(spans) || a.IDs != "log" || len(a.Warnings) != 0 {
		t.Fatalf("%d tasks, %d requests, alignment %+v", len(tasks), len(reqs), a)
	}
	for i, r := range reqs {
		task, s := tasks[i], spans[i]
		// The log's start is startLo and its end endHi, so the task began
		// within startHi−startLo after the request and ended within
		// endHi−endLo before it.
		startWin := s.startHi.Sub(s.startLo)
		endWin := s.endHi.Sub(s.endLo)
		if r.ID != uint64(100+i) || r.Open {
			t.Errorf("request %d: %+v", i, r)
		}
		if d := task.Start.Sub(r.Start); d < -realTolerance || d > startWin+realTolerance {
			t.Errorf("request %d: task begins %v after the logged start; want 0 to %v (±%v)", i, d, startWin, realTolerance)
		}
		if d := r.End.Sub(task.End); d < -realTolerance || d > endWin+realTolerance {
			t.Errorf("request %d: task ends %v before the logged end; want 0 to %v (±%v)", i, d, endWin, realTolerance)
		}
		t.Logf("request %d: start %+v, end %+v (brackets %v, %v)", i, task.Start.Sub(r.Start), r.End.Sub(task.End), startWin, endWin)
	}
}
