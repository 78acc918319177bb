package exectrace

import (
	"strings"

	exptrace "golang.org/x/exp/trace"
)

// This file is the reader side of request inference (infer.go has the
// state machine): it recognises server goroutines by the functions on
// their stacks and emits a recServe record after each goroutine transition
// that says something about a request. Only transitions that carry a
// stack can: creation, blocking, syscalls, preemption and the status of a
// goroutine blocked at a generation's start; and a blocked goroutine's
// status without a stack, which the next stack of that goroutine settles
// (phaseUnseen, phaseOther).

// serverRole says how a server goroutine maps onto requests.
type serverRole uint8

const (
	roleNone serverRole = iota
	// roleConn is net/http's HTTP/1 connection goroutine, (*conn).serve:
	// it reads a request, runs the handler and writes the response, then
	// waits on the network for the next request on the connection.
	roleConn
	// roleStream is a goroutine started for one request and ending with
	// it: net/http's HTTP/2 runHandler, gRPC's per-stream goroutine.
	roleStream
	// roleWorker is a reused gRPC stream worker ((*Server).serverWorker):
	// it waits for a stream, serves it, and waits again.
	roleWorker
)

// servePhase says where on its request cycle a server goroutine is.
type servePhase uint8

const (
	phaseNone servePhase = iota
	phaseBorn            // created (the creation record)
	// phaseWait: blocked waiting for the next request (HTTP/1: on the
	// network in readRequest or the Peek before it; worker: for a stream).
	phaseWait
	phaseRead  // in readRequest or Peek, not blocked on the network
	phaseServe // in the handler or writing the response
	// phaseUnseen: waiting at a generation's start, where unknown. The
	// runtime gives no stack with the status of a goroutine it wakes
	// before its status sweep reaches it (emitUnblockStatus), so an idle
	// stream worker woken then is first seen in its handler, mid-request.
	phaseUnseen
	// phaseOther: the first stack after phaseUnseen is on no server's
	// request cycle: the goroutine is not, or not yet, known as a server.
	phaseOther
)

// A recServe record's flag packs the phase (low 3 bits), the role (next 2)
// and whether it came from a goroutine's status at a generation start.
const (
	servePhaseMask = 7
	serveRoleShift = 3
	serveStatus    = 1 << 5
)

// Functions that place a stack on a server's request cycle.
const (
	fnConnServe     = "net/http.(*conn).serve"
	fnServerServe   = "net/http.(*Server).Serve"
	fnReadRequest   = "net/http.(*conn).readRequest"
	fnPeek          = "bufio.(*Reader).Peek"
	fnServeHTTP     = "net/http.serverHandler.ServeHTTP"
	fnFinishRequest = "net/http.(*response).finishRequest"
	fnGRPCHandle    = "google.golang.org/grpc.(*Server).handleStream"
	fnGRPCWorker    = "google.golang.org/grpc.(*Server).serverWorker"
	fnGRPCStreams   = "google.golang.org/grpc.(*Server).serveStreams.func"
)

// h2Spawners are the functions of net/http's bundled HTTP/2 server (and
// golang.org/x/net/http2's) whose go statements start runHandler.
var h2Spawners = []string{"scheduleHandler", "handlerDone", "upgradeRequest", "processHeaders"}

func isH2ServerConn(fn string) (method string, ok bool) {
	for _, recv := range []string{"net/http.(*http2serverConn).", "golang.org/x/net/http2.(*serverConn)."} {
		if m, found := strings.CutPrefix(fn, recv); found {
			return m, true
		}
	}
	return "", false
}

// stackInfo is what a stack says about a server goroutine.
type stackInfo struct {
	role   serverRole
	phase  servePhase // phaseRead also stands for "waiting" when blocked on the network
	method string     // gRPC method, "Service.Method", when a generated handler is on the stack
}

// classifyStack reads frames, innermost first.
func classifyStack(frames []string) stackInfo {
	var si stackInfo
	grpcStream, grpcWorker := false, false
	for i, fn := range frames {
		switch fn {
		case fnConnServe:
			si.role = roleConn
			si.method = ""
			if i > 0 {
				switch frames[i-1] {
				case fnReadRequest, fnPeek:
					si.phase = phaseRead
				case fnServeHTTP, fnFinishRequest:
					si.phase = phaseServe
				}
			}
			return si
		case fnGRPCHandle:
			grpcStream = true
			continue
		case fnGRPCWorker:
			grpcWorker = true
			continue
		}
		if m, ok := isH2ServerConn(fn); ok && m == "runHandler" {
			return stackInfo{role: roleStream, phase: phaseServe}
		}
		if si.method == "" {
			si.method = grpcMethod(fn)
		}
	}
	switch {
	case grpcStream:
		si.role, si.phase = roleStream, phaseServe
		if grpcWorker {
			si.role = roleWorker
		}
	case grpcWorker:
		// A worker outside handleStream is between streams.
		si.role, si.phase = roleWorker, phaseRead
		si.method = ""
	default:
		si.method = ""
	}
	return si
}

// grpcMethod recognises protoc-gen-go-grpc's generated handlers,
// "pkg._Service_Method_Handler", and returns "Service.Method". A service
// or method name with an underscore is split at the first one.
func grpcMethod(fn string) string {
	name := fn[strings.LastIndexByte(fn, '.')+1:]
	name, ok := strings.CutSuffix(name, "_Handler")
	if !ok || !strings.HasPrefix(name, "_") {
		return ""
	}
	svc, method, ok := strings.Cut(name[1:], "_")
	if !ok || svc == "" || method == "" {
		return ""
	}
	return svc + "." + method
}

// classifyCreation recognises a server goroutine from the function it
// starts in and the function that ran the go statement.
func classifyCreation(start, creator string) (serverRole, string) {
	switch {
	case start == fnConnServe || creator == fnServerServe:
		return roleConn, "http"
	case start == fnGRPCWorker:
		return roleWorker, "grpc"
	case strings.HasPrefix(start, fnGRPCStreams) || strings.HasPrefix(creator, fnGRPCStreams):
		return roleStream, "grpc"
	}
	if m, ok := isH2ServerConn(start); ok && m == "runHandler" {
		return roleStream, "http2"
	}
	if m, ok := isH2ServerConn(creator); ok {
		for _, s := range h2Spawners {
			if m == s {
				return roleStream, "http2"
			}
		}
	}
	return roleNone, ""
}

// stackClassifier classifies the stacks of one reader's events. Stacks
// repeat: their classification is cached by x/exp's Stack value, which is
// comparable and stands for one stack of this reader's tables.
type stackClassifier struct {
	cache  map[exptrace.Stack]stackInfo
	frames []string
	// unseen holds the goroutines given phaseUnseen whose next stack is
	// still to come: that stack settles what they are, server or not.
	unseen map[int64]struct{}
}

func newStackClassifier() *stackClassifier {
	return &stackClassifier{cache: make(map[exptrace.Stack]stackInfo), unseen: make(map[int64]struct{})}
}

func (c *stackClassifier) info(stk exptrace.Stack) stackInfo {
	if si, ok := c.cache[stk]; ok {
		return si
	}
	c.frames = c.frames[:0]
	for f := range stk.Frames() {
		c.frames = append(c.frames, f.Func)
	}
	si := classifyStack(c.frames)
	c.cache[stk] = si
	return si
}

func topFrame(stk exptrace.Stack) string {
	for f := range stk.Frames() {
		return f.Func
	}
	return ""
}

// classify turns the goroutine transition ev (already distilled into
// state; st is its ev.StateTransition()) into a recServe record in out
// when it says something about a server goroutine.
func (c *stackClassifier) classify(ev *exptrace.Event, st *exptrace.StateTransition, state *record, out *record) bool {
	from, to := st.Goroutine()
	var si stackInfo
	var flag uint8
	switch {
	case from == exptrace.GoNotExist:
		si.role, si.method = classifyCreation(topFrame(st.Stack), topFrame(ev.Stack()))
		si.phase = phaseBorn
	case from == exptrace.GoRunning || from == exptrace.GoUndetermined:
		if from == exptrace.GoUndetermined {
			flag |= serveStatus
		}
		si = c.place(state.g, *st, from, to)
	default:
		return false
	}
	if si.phase == phaseNone || si.role == roleNone && si.phase < phaseUnseen {
		return false
	}
	*out = record{t: state.t, g: state.g, kind: recServe, str: si.method,
		flag: uint8(si.phase) | uint8(si.role)<<serveRoleShift | flag}
	return true
}

// place says where goroutine g is on a server's request cycle after st,
// a transition from running or a generation's status.
//
// A goroutine's first event in a generation is its status, which resets
// what the classifier knows of it: unseen then depends on this generation
// alone, as with a reader per generation. Every status without a stack
// marks it unseen (the runtime gives none to a running goroutine either),
// but only a waiting one is followed (phaseUnseen): the others are so
// marked so that a goroutine followed since an earlier generation gets its
// phaseOther from either reader.
func (c *stackClassifier) place(g int64, st exptrace.StateTransition, from, to exptrace.GoState) stackInfo {
	if from == exptrace.GoUndetermined {
		delete(c.unseen, g)
	}
	if st.Stack == (exptrace.Stack{}) {
		switch {
		case from == exptrace.GoUndetermined:
			c.unseen[g] = struct{}{}
			if to == exptrace.GoWaiting {
				return stackInfo{phase: phaseUnseen}
			}
		case to == exptrace.GoNotExist:
			delete(c.unseen, g)
		}
		return stackInfo{}
	}
	si := c.info(st.Stack)
	if _, ok := c.unseen[g]; ok {
		delete(c.unseen, g)
		if si.role == roleNone || si.phase == phaseNone {
			return stackInfo{phase: phaseOther}
		}
	}
	if si.phase == phaseRead && to == exptrace.GoWaiting {
		// A connection waits for the next request on the network; a
		// worker for a stream on a channel. A status event carries no
		// reason; its stack alone says where the goroutine waits.
		if si.role == roleWorker || st.Reason == "network" || from == exptrace.GoUndetermined {
			si.phase = phaseWait
		}
	}
	return si
}
