package exectrace

import (
	"cmp"
	"fmt"
	"slices"

	exptrace "golang.org/x/exp/trace"

	"github.com/gcwatch/gcwatch/internal/model"
)

// Inferred requests: services without runtime/trace tasks still show
// their requests in the scheduling of their server goroutines
// (infer_stacks.go recognises them). What a span measures:
//
//   - HTTP/1 (net/http's (*conn).serve): from the moment the netpoller
//     makes the connection's goroutine runnable after it waited for the
//     next request (in readRequest, or the Peek before it on a kept-alive
//     connection) until its first read for the next request after writing
//     the response (the read syscall that then finds nothing and waits, a
//     few µs before the wait itself). The first request of a new
//     connection starts when the accept loop starts the goroutine, unless
//     it then waits for the request's bytes, in which case it starts at
//     their arrival; a connection already waiting when the trace began
//     (its status carries no stack) starts its first request at its first
//     read instead of its wake. When the next request's bytes are already
//     there (pipelining, or a client faster than the server's return to
//     Peek), that read is the boundary; requests already in the read
//     buffer merge into one span. A span counts only if the handler or
//     the response writing was seen on its goroutine's stack (a block,
//     syscall or preemption there, which writing a response always
//     makes): a woken connection that then closes, an error reply to an
//     unreadable request, or a request that never got that far are not
//     requests.
//   - HTTP/2 (net/http's bundled server or x/net/http2) and gRPC: a
//     per-stream handler goroutine, from its creation to its end. With
//     gRPC's NumStreamWorkers, a worker from its wake for a stream to its
//     wait for the next one; a wake counts once the worker reaches the
//     stream's handling or waits again, so the wake by the server's stop
//     (the workers' channel closed), after which it ends, is none. The
//     type is "grpc Service.Method" once a protoc-gen-go-grpc handler
//     (_Service_Method_Handler) is on a stack of the span, else "grpc".
//
// Goroutines waiting when a generation begins get a status without a
// stack if they are woken before the generation's end writes it (most
// are): the wake is followed, and the first stack settles what they are.
// A stream worker's span then runs from that wake; HTTP/1 connections and
// per-stream goroutines are handled as when their status has a stack.
//
// Measured (infer_test.go, infer_real_test.go, infer_grpc_test.go): HTTP/1
// spans against handler sleeps and the tasks a frontend began inside its
// handlers (offsets median under 100 µs); gRPC against a real grpc-go
// v1.85.0 server and client over loopback, on a goroutine per stream and
// on stream workers (created in the trace, idle at its start, ending in
// it): each unary call's span holds its interceptor's sleep, all of it
// blocked, and starts inside the client's call; beside its time runnable
// it exceeds the sleep by a median 50-75 µs per setup, at most 0.9 ms in
// 400 calls (the test allows 20 ms). A server-streaming Watch's span
// holds the time the client held the stream open, plus 0.2-0.3 ms (at
// most 0.45 ms in 50 runs): the stream's setup and the cancellation's
// trip over loopback.
//
// Not measured: time in the kernel's socket queue before the wake, the
// network and the client; the response bytes still in flight when the
// goroutine waits again; for HTTP/2 and gRPC, the reading of the
// request's headers before the handler goroutine starts or the worker
// wakes and the writing done by the connection's own goroutines after it
// ends. Only the server goroutine is accounted: work the handler hands to
// other goroutines shows only as the server goroutine's blocked time.
// Requests in progress when the trace began are not reported, but for one
// case: a stream worker woken from a wait that began before the trace is
// taken as woken for a stream; if it was blocked inside a handler, its
// span holds only the rest of that request. Requests still open when the
// trace ended are reported as open, but for a worker's stream that has
// not blocked in the handler yet. gRPC is recognised by grpc-go's
// function names ((*Server).handleStream, serverWorker, serveStreams):
// another version that renames them is not.

// InferMode says when Read infers requests from server goroutines.
type InferMode uint8

const (
	// InferAuto infers requests when the trace has no tasks.
	InferAuto InferMode = iota
	// InferAlways infers them even when there are tasks; the inferred
	// requests come after the tasks.
	InferAlways
	// InferNever does not infer requests.
	InferNever
)

var inferModeNames = [...]string{InferAuto: "auto", InferAlways: "always", InferNever: "never"}

func (m InferMode) String() string {
	if int(m) < len(inferModeNames) {
		return inferModeNames[m]
	}
	return fmt.Sprintf("InferMode(%d)", m)
}

// ParseInferMode parses "auto", "always" or "never".
func ParseInferMode(s string) (InferMode, error) {
	for m, name := range inferModeNames {
		if s == name {
			return InferMode(m), nil
		}
	}
	return InferAuto, fmt.Errorf("infer mode %q: want auto, always or never", s)
}

// InferredLimits is the warning a run with inferred requests carries.
const InferredLimits = "requests are inferred from net/http and gRPC server goroutines (no runtime/trace tasks): " +
	"each spans its goroutine's work from the request's arrival (HTTP/1: the wake by its bytes; HTTP/2 and gRPC: " +
	"the handler goroutine's start or the stream worker's wake, after the request's headers were read) " +
	"to the wait for the next one or the goroutine's end; not seen: kernel and network time, " +
	"response bytes in flight or written by the connection's goroutines, work handed to other goroutines " +
	"(only as waiting), requests pipelined into one read; a stream worker blocked in a handler when the trace " +
	"began may report the rest of that request as one"

// server is what the state machine knows about one server goroutine.
type server struct {
	// role is roleNone for a goroutine woken from an unknown wait at a
	// generation's start (phaseUnseen) until its next stack says what it
	// is: its span from the wake is kept only if it is a stream worker.
	role serverRole
	typ  string // request type before a method is seen: "http", "http2" or "grpc"
	span *task  // the open span, nil between requests
	// served: the span reached the handler or the response.
	served bool
	// woken: the span began with a wake from a wait for a request, so the
	// request's bytes were arriving; a wait in readRequest is then for
	// the rest of them.
	woken bool
	// waiting: blocked waiting for the next request.
	waiting bool
	// lost: first seen mid-request (the trace began there); ignored until
	// it waits for a request.
	lost bool
}

var defaultType = [...]string{roleConn: "http", roleStream: "", roleWorker: "grpc"}

// notServer marks a goroutine whose first stack after a status without
// one showed no server: its later such statuses (one a generation) are
// not followed. Any server record about it treats it as unknown (a stack
// cut short at its depth limit can lack the frames that place it). It is
// shared and never written.
var notServer = &server{}

type inferState struct {
	mode  InferMode
	last  uint64 // id of the last inferred request: ids count them as they end
	spans requestStore
}

// serve applies a recServe record: rec.g's latest transition put it at a
// known place on a server's request cycle.
func (b *builder) serve(t model.Time, rec *record) {
	if b.infer.mode == InferNever {
		return
	}
	g := b.goroutine(rec.g)
	phase := servePhase(rec.flag & servePhaseMask)
	role := serverRole(rec.flag>>serveRoleShift) & 3
	s := g.srv
	if s == notServer {
		s = nil
	}
	switch {
	case phase == phaseUnseen || phase == phaseOther:
		b.unseen(t, g, phase)
		return
	case s == nil || s.role == roleNone:
		if s != nil {
			s = b.settle(t, g, role)
		}
		if s == nil {
			s = b.newServer(g, phase, role, rec.str)
			if phase == phaseRead && role == roleConn {
				b.openSpan(t, g, s, false)
				return
			}
		}
	case rec.flag&serveStatus != 0:
		return // a generation's status only confirms what is known
	}
	if s.lost && phase != phaseWait {
		return
	}
	switch phase {
	case phaseBorn:
		if role != roleWorker {
			b.openSpan(t, g, s, role == roleStream)
		}
	case phaseWait:
		s.lost = false
		b.serverWaits(t, g, s)
	case phaseRead:
		if s.span != nil && s.served && s.role == roleConn {
			// The first read after the response: the request is over. The
			// next one may already be there; if the read finds nothing,
			// the goroutine waits and this pending span is dropped.
			b.closeSpan(t, g, s)
			b.openSpan(t, g, s, false)
		}
	case phaseServe:
		b.serverServes(t, g, s, rec.str)
	}
}

// newServer starts following a server goroutine at its first record.
// First seen reading, an HTTP/1 connection was waiting for a request when
// the trace began (a status event has no stack to tell), and its read is
// the first we know of the request. First seen serving, a goroutine's
// request began before the trace.
func (b *builder) newServer(g *goroutine, phase servePhase, role serverRole, str string) *server {
	typ := str // a creation's record names the type, others a method
	if phase != phaseBorn || role == roleConn {
		typ = defaultType[role]
	}
	g.srv = &server{role: role, typ: typ, lost: phase == phaseServe}
	return g.srv
}

// unseen applies phaseUnseen, a goroutine waiting at a generation's start
// in an unknown place, and phaseOther, its next stack on no server's
// request cycle. An unknown goroutine is followed from the wake that
// follows: it may be a stream worker woken for a stream.
func (b *builder) unseen(t model.Time, g *goroutine, phase servePhase) {
	s := g.srv
	switch {
	case phase == phaseUnseen && s == nil:
		// Typed as the only server that keeps this span.
		g.srv = &server{role: roleNone, typ: defaultType[roleWorker], waiting: true}
	case phase == phaseOther && s != nil && s != notServer && s.role == roleNone:
		b.settle(t, g, roleNone)
	}
}

// settle decides what a goroutine followed since an unknown wait is, now
// that a stack shows role. A stream worker keeps the span begun at its
// wake: a worker waits only for its next stream, outside the handlers,
// unless it was blocked inside one when the trace began (then the span
// holds the rest of that request). Anything else has its span dropped:
// a goroutine of no server becomes notServer; a server is followed afresh
// (nil): an HTTP/1 connection starts at its first read, as when its status
// has a stack; a per-stream goroutine only waits mid-request.
func (b *builder) settle(t model.Time, g *goroutine, role serverRole) *server {
	s := g.srv
	if role == roleWorker {
		s.role = roleWorker
		return s
	}
	if s.span != nil {
		b.dropSpan(t, g, s)
	}
	g.srv = nil
	if role == roleNone {
		g.srv = notServer
	}
	return nil
}

func (b *builder) serverWaits(t model.Time, g *goroutine, s *server) {
	s.waiting = true
	switch {
	case s.span == nil:
	case s.served || s.role == roleWorker:
		b.closeSpan(t, g, s)
	case s.woken && s.role == roleConn:
		// The rest of the request is still to arrive.
		s.waiting = false
	default:
		// Woken but no request came (the connection closed), or a new
		// connection waits for its first request: the span begins when
		// it arrives.
		b.dropSpan(t, g, s)
	}
}

func (b *builder) serverServes(t model.Time, g *goroutine, s *server, method string) {
	if s.span == nil {
		b.openSpan(t, g, s, true)
	}
	s.served = true
	if method != "" && s.role != roleConn {
		// The span's type only: a worker's next stream may be another
		// method, or show none.
		s.span.rec.typ = b.typeIndex("grpc " + method)
	}
}

// serverMoved hooks goroutine transitions of a known server goroutine: a
// wake after a wait for a request opens a span, the end closes it.
func (b *builder) serverMoved(t model.Time, g *goroutine, to exptrace.GoState) {
	s := g.srv
	switch {
	case to == exptrace.GoNotExist:
		if s.span != nil && (s.served || s.role == roleStream) {
			b.closeSpan(t, g, s)
		} else if s.span != nil {
			b.dropSpan(t, g, s)
		}
		g.srv = nil
	case g.state == exptrace.GoWaiting && to == exptrace.GoRunnable && s.waiting:
		s.waiting = false
		if s.span == nil && !s.lost {
			// A worker is woken for a stream or by the server's stop (its
			// channel closed, it then ends): its span counts once it
			// reaches a handler or waits for the next stream.
			b.openSpan(t, g, s, false)
			s.woken = true
		}
	}
}

func (b *builder) openSpan(t model.Time, g *goroutine, s *server, served bool) {
	tk := &task{inferred: true, rec: requestRec{typ: b.typeIndex(s.typ), start: t}}
	s.span, s.served, s.woken = tk, served, false
	b.join(g, tk, t)
}

func (b *builder) closeSpan(t model.Time, g *goroutine, s *server) {
	tk := s.span
	s.span = nil
	b.infer.last++
	tk.rec.id = b.infer.last
	b.closeTask(tk, t)
}

// dropSpan forgets a span that turned out not to be a request.
func (b *builder) dropSpan(t model.Time, g *goroutine, s *server) {
	tk := s.span
	s.span = nil
	b.leaveAllOf(t, g, tk)
}

// leaveAllOf makes g stop working for tk whatever its reasons.
func (b *builder) leaveAllOf(t model.Time, g *goroutine, tk *task) {
	if m := memberOf(g, tk); m != nil {
		m.reasons = 1
		b.leave(g, tk, t)
	}
}

// finishInferred closes the spans still open at the end of the window and
// decides whether inferred requests are kept.
func (b *builder) finishInferred(end model.Time) {
	var open []*goroutine
	for _, g := range b.goroutines {
		if g.srv != nil && g.srv.span != nil {
			open = append(open, g)
		}
	}
	slices.SortFunc(open, func(x, y *goroutine) int { return cmp.Compare(x.id, y.id) })
	for _, g := range open {
		s := g.srv
		if s.served || s.role == roleStream {
			s.span.rec.open = true
			b.closeSpan(end, g, s)
		} else {
			b.dropSpan(end, g, s)
		}
	}
	if b.infer.mode == InferAuto && b.results.requests.n > 0 {
		b.infer.spans = requestStore{}
	}
}

// appendInferred adds the inferred requests to reqs, in the order they
// ended (those open at the end of the window by goroutine id).
func (b *builder) appendInferred(reqs *model.Requests) {
	n := 0
	b.infer.spans.drain(func(r *requestRec, gors []uint64) {
		reqs.Append(b.request(r, gors, model.RequestInferred))
		n++
	})
	if n > 0 {
		b.run.Warnings = append(b.run.Warnings, InferredLimits)
	}
}
