package exectrace

import (
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	exptrace "golang.org/x/exp/trace"

	"github.com/gcwatch/gcwatch/internal/mmu"
	"github.com/gcwatch/gcwatch/internal/model"
)

func serveRec(t, g int64, role serverRole, phase servePhase, str string) record {
	return record{kind: recServe, t: µs(t), g: g, str: str, flag: uint8(phase) | uint8(role)<<serveRoleShift}
}

// span is an inferred request's times in µs and its state totals.
type span struct {
	typ                                 string
	start, end                          int64
	open                                bool
	running, runnable, blocked, syscall time.Duration
}

func inferredSpans(t *testing.T, recs []record, mode InferMode) []span {
	t.Helper()
	run := &model.Run{}
	b := newBuilder(run, mmu.Options{})
	b.infer.mode = mode
	for i := range recs {
		b.apply(&recs[i])
	}
	b.finish()
	var out []span
	for _, r := range run.Requests.All() {
		if r.Kind == model.RequestInferred {
			out = append(out, span{r.Type, int64(r.Start) / 1000, int64(r.End) / 1000, r.Open,
				r.Running, r.Runnable, r.Blocked, r.Syscall})
		}
	}
	return out
}

const us = time.Microsecond

// TestInferConnCycle: a connection goroutine through the cases of
// infer.go. Times in µs; G5 is the connection, created at 10.
//
//	10 born (accept)  20 read waits (no bytes yet: dropped)
//	30 wake           40 run, read   50 handler blocks  60 wakes 70 runs
//	80 write (serve)  90 read after the response (span 1 ends)
//	95 waits (pending dropped)     100 wake: closes the connection, ends 110
func TestInferConnCycle(t *testing.T) {
	recs := []record{
		rec(recSync, 0, nil),
		goState(10, 5, -1, exptrace.GoRunnable),
		serveRec(10, 5, roleConn, phaseBorn, "http"),
		goState(15, 5, 0, exptrace.GoRunning),
		goState(20, 5, -1, exptrace.GoWaiting),
		serveRec(20, 5, roleConn, phaseWait, ""),
		goState(30, 5, -1, exptrace.GoRunnable),
		goState(40, 5, 0, exptrace.GoRunning),
		goState(40, 5, -1, exptrace.GoSyscall),
		serveRec(40, 5, roleConn, phaseRead, ""),
		goState(45, 5, 0, exptrace.GoRunning),
		goState(50, 5, -1, exptrace.GoWaiting),
		serveRec(50, 5, roleConn, phaseServe, ""),
		goState(60, 5, -1, exptrace.GoRunnable),
		goState(70, 5, 0, exptrace.GoRunning),
		goState(80, 5, -1, exptrace.GoSyscall),
		serveRec(80, 5, roleConn, phaseServe, ""),
		goState(85, 5, 0, exptrace.GoRunning),
		goState(90, 5, -1, exptrace.GoSyscall),
		serveRec(90, 5, roleConn, phaseRead, ""),
		goState(92, 5, 0, exptrace.GoRunning),
		goState(95, 5, -1, exptrace.GoWaiting),
		serveRec(95, 5, roleConn, phaseWait, ""),
		goState(100, 5, -1, exptrace.GoRunnable),
		goState(105, 5, 0, exptrace.GoRunning),
		goState(110, 5, -1, exptrace.GoNotExist),
		goState(120, 1, 0, exptrace.GoRunning),
	}
	got := inferredSpans(t, recs, InferAuto)
	want := []span{{typ: "http", start: 30, end: 90, running: 20 * us, runnable: 20 * us, blocked: 10 * us, syscall: 10 * us}}
	if d := cmp.Diff(want, got, cmp.AllowUnexported(span{})); d != "" {
		t.Errorf("spans (-want +got):\n%s", d)
	}
	if got := inferredSpans(t, recs, InferNever); len(got) != 0 {
		t.Errorf("never: %v", got)
	}
}

// TestInferBackToBack: the next request's bytes are there when the
// server reads after a response: the read at 30 ends one request and
// begins the next, served at 40 without a wait; the trace ends with it
// open. A goroutine first seen serving (G6, mid-request at the trace's
// start) is not reported until it waits for a request.
func TestInferBackToBack(t *testing.T) {
	recs := []record{
		rec(recSync, 0, nil),
		goState(0, 5, -1, exptrace.GoWaiting),
		goState(0, 6, 1, exptrace.GoRunning),
		goState(5, 6, -1, exptrace.GoSyscall),
		serveRec(5, 6, roleConn, phaseServe, ""),
		goState(8, 6, 1, exptrace.GoRunning),
		goState(10, 5, -1, exptrace.GoRunnable),
		goState(12, 5, 0, exptrace.GoRunning),
		goState(20, 5, -1, exptrace.GoSyscall), // the first read we see: it opens a span
		serveRec(20, 5, roleConn, phaseRead, ""),
		goState(22, 5, 0, exptrace.GoRunning),
		goState(25, 5, -1, exptrace.GoSyscall),
		serveRec(25, 5, roleConn, phaseServe, ""),
		goState(27, 5, 0, exptrace.GoRunning),
		goState(30, 5, -1, exptrace.GoSyscall),
		serveRec(30, 5, roleConn, phaseRead, ""),
		goState(32, 5, 0, exptrace.GoRunning),
		goState(40, 5, -1, exptrace.GoSyscall),
		serveRec(40, 5, roleConn, phaseServe, ""),
		goState(42, 5, 0, exptrace.GoRunning),
		goState(50, 6, -1, exptrace.GoWaiting),
		serveRec(50, 6, roleConn, phaseWait, ""),
		goState(60, 1, 1, exptrace.GoRunning),
	}
	got := inferredSpans(t, recs, InferAuto)
	want := []span{
		{typ: "http", start: 20, end: 30, running: 6 * us, syscall: 4 * us},
		{typ: "http", start: 30, end: 60, open: true, running: 26 * us, syscall: 4 * us},
	}
	if d := cmp.Diff(want, got, cmp.AllowUnexported(span{})); d != "" {
		t.Errorf("spans (-want +got):\n%s", d)
	}
}

// TestInferStreams: a gRPC stream goroutine is a request from creation to
// end and takes the method its stack shows; an HTTP/2 handler likewise;
// a worker from its wake to its next wait. Auto drops them all when a
// task appears, even at the end.
func TestInferStreams(t *testing.T) {
	recs := []record{
		rec(recSync, 0, nil),
		goState(10, 7, -1, exptrace.GoRunnable),
		serveRec(10, 7, roleStream, phaseBorn, "grpc"),
		goState(12, 7, 0, exptrace.GoRunning),
		goState(15, 8, -1, exptrace.GoRunnable),
		serveRec(15, 8, roleStream, phaseBorn, "http2"),
		goState(20, 7, -1, exptrace.GoWaiting),
		serveRec(20, 7, roleStream, phaseServe, "Greeter.SayHello"),
		goState(30, 7, -1, exptrace.GoRunnable),
		goState(32, 7, 0, exptrace.GoRunning),
		goState(40, 7, -1, exptrace.GoNotExist),
		goState(41, 8, 0, exptrace.GoRunning),
		goState(45, 8, -1, exptrace.GoNotExist),
		goState(45, 9, -1, exptrace.GoRunnable),
		serveRec(45, 9, roleWorker, phaseBorn, "grpc"),
		goState(46, 9, 1, exptrace.GoRunning),
		goState(47, 9, -1, exptrace.GoWaiting),
		serveRec(47, 9, roleWorker, phaseWait, ""),
		goState(50, 9, -1, exptrace.GoRunnable),
		goState(52, 9, 1, exptrace.GoRunning),
		goState(58, 9, -1, exptrace.GoWaiting),
		serveRec(58, 9, roleWorker, phaseWait, ""),
	}
	got := inferredSpans(t, recs, InferAuto)
	want := []span{
		{typ: "grpc Greeter.SayHello", start: 10, end: 40, running: 16 * us, runnable: 4 * us, blocked: 10 * us},
		{typ: "http2", start: 15, end: 45, running: 4 * us, runnable: 26 * us},
		{typ: "grpc", start: 50, end: 58, running: 6 * us, runnable: 2 * us},
	}
	if d := cmp.Diff(want, got, cmp.AllowUnexported(span{})); d != "" {
		t.Errorf("spans (-want +got):\n%s", d)
	}
	withTask := append(recs, rec(recTaskBegin, 60, func(r *record) { r.arg, r.str, r.g = 1, "req", 1 }))
	if got := inferredSpans(t, withTask, InferAuto); len(got) != 0 {
		t.Errorf("auto with a task: %v", got)
	}
	if got := inferredSpans(t, withTask, InferAlways); len(got) != 3 {
		t.Errorf("always with a task: %d spans, want 3", len(got))
	}
}

// statusRec is serveRec for a generation's status event.
func statusRec(t, g int64, role serverRole, phase servePhase) record {
	r := serveRec(t, g, role, phase, "")
	r.flag |= serveStatus
	return r
}

// TestInferUnseen: goroutines waiting at the trace's start whose statuses
// have no stack (phaseUnseen), each woken at 5 or later; their first
// stack settles what they were. Times in µs.
//
//	G9, a stream worker: woken at 10, blocks in a handler at 20, waits
//	    for its next stream at 40 (span 10-40, typed by the handler);
//	    woken at 50 for a stream whose stacks show no method (span 50-65,
//	    plain "grpc"); woken at 70 by the server's stop, ends at 75 (none).
//	G10 blocks outside any server at 8: not a server, its wakes no spans,
//	    its next stackless status (26) not followed (the wake at 27 is no
//	    span, though it ends in a worker's wait); but a server's stack
//	    is believed (a stack cut at its depth limit may lack the frames
//	    that place it): a worker waiting at 29, span 31-38.
//	G11, an HTTP/1 connection: first read at 7, as when its status has a
//	    stack (span 7-12); its next read finds nothing, it waits at 14.
//	G12, a per-stream goroutine: first seen in the handler, mid-request.
//	G13 ends without a stack.
func TestInferUnseen(t *testing.T) {
	var recs []record
	for g := int64(9); g <= 13; g++ {
		recs = append(recs, goState(0, g, -1, exptrace.GoWaiting), statusRec(0, g, roleNone, phaseUnseen))
	}
	recs = append(recs,
		goState(5, 10, -1, exptrace.GoRunnable),
		goState(5, 11, -1, exptrace.GoRunnable),
		goState(5, 12, -1, exptrace.GoRunnable),
		goState(6, 10, 1, exptrace.GoRunning),
		goState(6, 11, 2, exptrace.GoRunning),
		goState(6, 12, 3, exptrace.GoRunning),
		goState(7, 11, -1, exptrace.GoSyscall),
		serveRec(7, 11, roleConn, phaseRead, ""),
		goState(8, 10, -1, exptrace.GoWaiting),
		serveRec(8, 10, roleNone, phaseOther, ""),
		goState(8, 11, 2, exptrace.GoRunning),
		goState(8, 12, -1, exptrace.GoWaiting),
		serveRec(8, 12, roleStream, phaseServe, "Health.Watch"),
		goState(9, 11, -1, exptrace.GoSyscall),
		serveRec(9, 11, roleConn, phaseServe, ""),
		goState(10, 9, -1, exptrace.GoRunnable),
		goState(10, 11, 2, exptrace.GoRunning),
		goState(10, 12, -1, exptrace.GoRunnable),
		goState(11, 12, 3, exptrace.GoRunning),
		goState(12, 9, 0, exptrace.GoRunning),
		goState(12, 11, -1, exptrace.GoSyscall),
		serveRec(12, 11, roleConn, phaseRead, ""),
		goState(13, 11, 2, exptrace.GoRunning),
		goState(14, 11, -1, exptrace.GoWaiting),
		serveRec(14, 11, roleConn, phaseWait, ""),
		goState(15, 12, -1, exptrace.GoNotExist),
		goState(16, 13, -1, exptrace.GoRunnable),
		goState(17, 13, 3, exptrace.GoRunning),
		goState(18, 13, -1, exptrace.GoNotExist),
		goState(20, 9, -1, exptrace.GoWaiting),
		serveRec(20, 9, roleWorker, phaseServe, "Health.Check"),
		goState(20, 10, -1, exptrace.GoRunnable),
		goState(21, 10, 1, exptrace.GoRunning),
		goState(25, 10, -1, exptrace.GoWaiting),
		statusRec(26, 10, roleNone, phaseUnseen),
		goState(27, 10, -1, exptrace.GoRunnable),
		goState(28, 10, 1, exptrace.GoRunning),
		goState(29, 10, -1, exptrace.GoWaiting),
		serveRec(29, 10, roleWorker, phaseWait, ""),
		goState(31, 10, -1, exptrace.GoRunnable),
		goState(32, 10, 1, exptrace.GoRunning),
		goState(34, 10, -1, exptrace.GoWaiting),
		serveRec(34, 10, roleWorker, phaseServe, "Health.Check"),
		goState(36, 10, -1, exptrace.GoRunnable),
		goState(37, 10, 1, exptrace.GoRunning),
		goState(38, 10, -1, exptrace.GoWaiting),
		serveRec(38, 10, roleWorker, phaseWait, ""),
		goState(30, 9, -1, exptrace.GoRunnable),
		goState(32, 9, 0, exptrace.GoRunning),
		goState(40, 9, -1, exptrace.GoWaiting),
		serveRec(40, 9, roleWorker, phaseWait, ""),
		goState(50, 9, -1, exptrace.GoRunnable),
		goState(52, 9, 0, exptrace.GoRunning),
		goState(55, 9, -1, exptrace.GoWaiting),
		serveRec(55, 9, roleWorker, phaseServe, ""),
		goState(60, 9, -1, exptrace.GoRunnable),
		goState(61, 9, 0, exptrace.GoRunning),
		goState(65, 9, -1, exptrace.GoWaiting),
		serveRec(65, 9, roleWorker, phaseWait, ""),
		goState(70, 9, -1, exptrace.GoRunnable),
		goState(72, 9, 0, exptrace.GoRunning),
		goState(75, 9, -1, exptrace.GoNotExist),
		goState(100, 1, 0, exptrace.GoRunning),
	)
	got := inferredSpans(t, append([]record{rec(recSync, 0, nil)}, recs...), InferAuto)
	want := []span{
		{typ: "http", start: 7, end: 12, running: 3 * us, syscall: 2 * us},
		{typ: "grpc Health.Check", start: 31, end: 38, running: 3 * us, runnable: 2 * us, blocked: 2 * us},
		{typ: "grpc Health.Check", start: 10, end: 40, running: 16 * us, runnable: 4 * us, blocked: 10 * us},
		{typ: "grpc", start: 50, end: 65, running: 7 * us, runnable: 3 * us, blocked: 5 * us},
	}
	if d := cmp.Diff(want, got, cmp.AllowUnexported(span{})); d != "" {
		t.Errorf("spans (-want +got):\n%s", d)
	}
}
