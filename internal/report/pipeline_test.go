package report_test

import (
	"context"
	"os"
	"path/filepath"
	"runtime"
	rtrace "runtime/trace"
	"testing"
	"time"

	"github.com/gcwatch/gcwatch/internal/advice"
	"github.com/gcwatch/gcwatch/internal/analyze"
	"github.com/gcwatch/gcwatch/internal/ingest"
	"github.com/gcwatch/gcwatch/internal/report"
)

// hostileTask is a task type an attacker could choose: a report that
// shows it must show it as text.
const hostileTask = "<script>alert(1)</script>"

// sink keeps the test's allocations alive long enough to need collecting.
var sink [][]byte

// writeHostileTrace records a short execution trace of this process in
// which requests are tasks of type hostileTask, with forced and
// allocation-driven GC cycles among them.
func writeHostileTrace(t *testing.T) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "hostile.trace")
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if err := rtrace.Start(f); err != nil {
		t.Skipf("cannot trace this test binary (run with -trace?): %v", err)
	}
	for i := range 60 {
		ctx, task := rtrace.NewTask(context.Background(), hostileTask)
		rtrace.WithRegion(ctx, "work", func() {
			for range 200 {
				sink = append(sink, make([]byte, 4096))
			}
			time.Sleep(200 * time.Microsecond)
		})
		if i%15 == 0 {
			runtime.GC()
		}
		if len(sink) > 2000 {
			sink = nil
		}
		task.End()
	}
	rtrace.Stop()
	sink = nil
	return path
}

// hostileDocument runs the real pipeline — load, analyse, advise, build
// the document — on the hostile trace.
func hostileDocument(t *testing.T) *report.Document {
	t.Helper()
	loaded, err := ingest.Load([]string{writeHostileTrace(t)}, ingest.Options{})
	if err != nil {
		t.Fatal(err)
	}
	var in []report.Input
	for _, run := range loaded.Runs {
		res := analyze.Analyze(run, analyze.DefaultOptions())
		out := advice.Decide(advice.Case{Run: run, Analysis: res, Rules: advice.DefaultThresholds(), Budget: 256 << 20})
		in = append(in, report.Input{Result: res, Outcome: &out, Budget: 256 << 20})
	}
	doc := report.Build(in, "test", loaded.Notes)
	if len(doc.Processes) != 1 || doc.Processes[0].Attribution == nil || len(doc.Processes[0].Attribution.Worst) == 0 {
		t.Fatalf("the hostile trace gave no attributed requests: %+v", doc.Processes)
	}
	if got := doc.Processes[0].Attribution.Worst[0].Type; got != hostileTask {
		t.Fatalf("worst request's type %q, want %q", got, hostileTask)
	}
	return doc
}
