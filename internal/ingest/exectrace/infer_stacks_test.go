package exectrace

import (
	"testing"

	"github.com/google/go-cmp/cmp"
	exptrace "golang.org/x/exp/trace"
)

// The stacks below are written after net/http's and grpc-go's sources
// (innermost first); the grpc-go frames of "grpc unary" and "grpc worker
// serving" are those of v1.85.0 in infer_grpc_test.go's traces of a real
// server.
func TestClassifyStack(t *testing.T) {
	pollRead := []string{"internal/poll.(*FD).Read", "net.(*netFD).Read", "net.(*conn).Read", "net/http.(*connReader).Read", "bufio.(*Reader).fill"}
	cases := []struct {
		name   string
		frames []string
		want   stackInfo
	}{
		{"peek", append(pollRead, "bufio.(*Reader).Peek", "net/http.(*conn).serve"), stackInfo{role: roleConn, phase: phaseRead}},
		{"readRequest", append(pollRead, "bufio.(*Reader).ReadSlice", "net/http.readRequest", "net/http.(*conn).readRequest", "net/http.(*conn).serve"),
			stackInfo{role: roleConn, phase: phaseRead}},
		{"handler", []string{"time.Sleep", "main.handler", "net/http.HandlerFunc.ServeHTTP", "net/http.serverHandler.ServeHTTP", "net/http.(*conn).serve"},
			stackInfo{role: roleConn, phase: phaseServe}},
		{"handler's own Peek", []string{"bufio.(*Reader).Peek", "main.handler", "net/http.serverHandler.ServeHTTP", "net/http.(*conn).serve"},
			stackInfo{role: roleConn, phase: phaseServe}},
		{"finish", []string{"syscall.write", "bufio.(*Writer).Flush", "net/http.(*response).finishRequest", "net/http.(*conn).serve"},
			stackInfo{role: roleConn, phase: phaseServe}},
		{"tls handshake", []string{"crypto/tls.(*Conn).HandshakeContext", "net/http.(*conn).serve"}, stackInfo{role: roleConn}},
		{"background read", append(pollRead[:3], "net/http.(*connReader).backgroundRead"), stackInfo{}},
		{"h2 handler", []string{"time.Sleep", "main.handler", "net/http.(*http2serverConn).runHandler"}, stackInfo{role: roleStream, phase: phaseServe}},
		{"x/net h2 handler", []string{"runtime.chanrecv1", "golang.org/x/net/http2.(*serverConn).runHandler"}, stackInfo{role: roleStream, phase: phaseServe}},
		{"grpc unary", []string{"time.Sleep", "main.(*server).SayHello", "example.com/helloworld._Greeter_SayHello_Handler",
			"google.golang.org/grpc.(*Server).register.(*Server).wrapUnaryHandler.func1", "google.golang.org/grpc.(*Server).processRPC",
			"google.golang.org/grpc.(*Server).handleStream", "google.golang.org/grpc.(*Server).serveStreams.func2.1"},
			stackInfo{role: roleStream, phase: phaseServe, method: "Greeter.SayHello"}},
		{"grpc worker serving", []string{"time.Sleep", "main.interceptor", "google.golang.org/grpc/health/grpc_health_v1._Health_Check_Handler",
			"google.golang.org/grpc.(*Server).register.(*Server).wrapUnaryHandler.func1", "google.golang.org/grpc.(*Server).processRPC",
			"google.golang.org/grpc.(*Server).handleStream", "google.golang.org/grpc.(*Server).serveStreams.func2.1", "google.golang.org/grpc.(*Server).serverWorker"},
			stackInfo{role: roleWorker, phase: phaseServe, method: "Health.Check"}},
		{"grpc worker writing", []string{"syscall.write", "google.golang.org/grpc.(*Server).handleStream", "google.golang.org/grpc.(*Server).serverWorker"},
			stackInfo{role: roleWorker, phase: phaseServe}},
		{"grpc worker idle", []string{"runtime.chanrecv2", "google.golang.org/grpc.(*Server).serverWorker"}, stackInfo{role: roleWorker, phase: phaseRead}},
		{"not a server", []string{"time.Sleep", "main._Foo_Bar_Handler", "main.main"}, stackInfo{}},
	}
	for _, c := range cases {
		if got := classifyStack(c.frames); got != c.want {
			t.Errorf("%s: got %+v, want %+v", c.name, got, c.want)
		}
	}
}

func TestClassifyCreation(t *testing.T) {
	type result struct {
		Role serverRole
		Typ  string
	}
	cases := []struct{ start, creator string }{
		{"net/http.(*conn).serve", "net/http.(*Server).Serve"},
		{"net/http.(*Server).Serve.gowrap3", "net/http.(*Server).Serve"},
		{"net/http.(*http2serverConn).runHandler", "net/http.(*http2serverConn).scheduleHandler"},
		{"net/http.(*http2serverConn).scheduleHandler.gowrap1", "net/http.(*http2serverConn).scheduleHandler"},
		{"golang.org/x/net/http2.(*serverConn).runHandler", "golang.org/x/net/http2.(*serverConn).processHeaders"},
		{"net/http.(*http2serverConn).readFrames", "net/http.(*http2serverConn).serve"},
		{"google.golang.org/grpc.(*Server).serveStreams.func2.1", "google.golang.org/grpc.(*Server).serveStreams.func2"},
		{"google.golang.org/grpc.(*Server).serverWorker", "google.golang.org/grpc.(*Server).initServerWorkers"},
		{"net/http.(*connReader).backgroundRead", "net/http.(*connReader).startBackgroundRead"},
	}
	want := []result{{roleConn, "http"}, {roleConn, "http"}, {roleStream, "http2"}, {roleStream, "http2"}, {roleStream, "http2"},
		{}, {roleStream, "grpc"}, {roleWorker, "grpc"}, {}}
	var got []result
	for _, c := range cases {
		role, typ := classifyCreation(c.start, c.creator)
		got = append(got, result{role, typ})
	}
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("(-want +got):\n%s", d)
	}
}

func TestGRPCMethod(t *testing.T) {
	for fn, want := range map[string]string{
		"example.com/pb._Greeter_SayHello_Handler":        "Greeter.SayHello",
		"example.com/pb._Greeter_SayHello_Stream_Handler": "Greeter.SayHello_Stream",
		"example.com/pb._Greeter_Handler":                 "",
		"example.com/pb.Greeter_SayHello_Handler":         "",
		"example.com/pb._Greeter_SayHello":                "",
		"main.handler":                                    "",
	} {
		if got := grpcMethod(fn); got != want {
			t.Errorf("grpcMethod(%q) = %q, want %q", fn, got, want)
		}
	}
}

// goEvent makes goroutine g's transition from → to at µs t, with a stack
// of frames (innermost first) when there are any.
func goEvent(t *testing.T, at int64, g int64, from, to exptrace.GoState, reason string, frames ...string) exptrace.Event {
	t.Helper()
	st := exptrace.MakeGoStateTransition(exptrace.GoID(g), from, to)
	st.Reason = reason
	var stk exptrace.Stack
	if len(frames) > 0 {
		sf := make([]exptrace.StackFrame, len(frames))
		for i, fn := range frames {
			sf[i] = exptrace.StackFrame{PC: uint64(0x1000 + i), Func: fn}
		}
		stk = exptrace.MakeStack(sf)
		st.Stack = stk
	}
	ev, err := exptrace.MakeEvent(exptrace.EventConfig[exptrace.StateTransition]{
		Time: exptrace.Time(at * 1000), Kind: exptrace.EventStateTransition, Goroutine: exptrace.GoID(g), Stack: stk, Details: st})
	if err != nil {
		t.Fatal(err)
	}
	return ev
}

// TestClassifyUnseen: a status without a stack marks a goroutine unseen
// (phaseUnseen when waiting); its next stack settles it, as a server's
// place or phaseOther when on no request cycle (an HTTP/1 connection
// outside its reads and its handler included); later stacks of no server
// say nothing. The next generation's status resets it (G15), as a reader
// of that generation alone knows nothing before it.
func TestClassifyUnseen(t *testing.T) {
	worker := []string{"time.Sleep", "google.golang.org/grpc/health/grpc_health_v1._Health_Check_Handler",
		"google.golang.org/grpc.(*Server).handleStream", "google.golang.org/grpc.(*Server).serverWorker"}
	other := []string{"time.Sleep", "main.main"}
	tls := []string{"crypto/tls.(*Conn).HandshakeContext", "net/http.(*conn).serve"}
	u, r, w, n := exptrace.GoUndetermined, exptrace.GoRunning, exptrace.GoWaiting, exptrace.GoNotExist
	events := []exptrace.Event{
		goEvent(t, 1, 9, u, w, ""),
		goEvent(t, 1, 10, u, w, ""),
		goEvent(t, 1, 11, u, w, ""),
		goEvent(t, 1, 12, u, w, ""),
		goEvent(t, 1, 13, u, w, "", other...), // a status with a stack
		goEvent(t, 2, 9, r, w, "sleep", worker...),
		goEvent(t, 3, 10, r, w, "sleep", other...),
		goEvent(t, 4, 10, r, w, "sleep", other...),
		goEvent(t, 5, 11, r, n, ""),
		goEvent(t, 6, 12, r, w, "sync", tls...),
		goEvent(t, 7, 14, u, r, ""), // running at a generation's start
		goEvent(t, 7, 15, u, w, ""),
		goEvent(t, 8, 14, r, w, "sleep", other...),
		goEvent(t, 9, 15, u, w, "", other...), // the next generation's status
		goEvent(t, 10, 15, r, w, "sleep", other...),
	}
	cls := newStackClassifier()
	var got []record
	for i := range events {
		from, _ := events[i].StateTransition().Goroutine()
		state := record{t: µs(int64(i)), g: int64(events[i].StateTransition().Resource.Goroutine()), from: from}
		var out record
		st := events[i].StateTransition()
		if cls.classify(&events[i], &st, &state, &out) {
			got = append(got, out)
		}
	}
	want := []record{
		statusRec(0, 9, roleNone, phaseUnseen),
		statusRec(1, 10, roleNone, phaseUnseen),
		statusRec(2, 11, roleNone, phaseUnseen),
		statusRec(3, 12, roleNone, phaseUnseen),
		serveRec(5, 9, roleWorker, phaseServe, "Health.Check"),
		serveRec(6, 10, roleNone, phaseOther, ""),
		serveRec(9, 12, roleNone, phaseOther, ""),
		statusRec(11, 15, roleNone, phaseUnseen),
		serveRec(12, 14, roleNone, phaseOther, ""),
	}
	if d := cmp.Diff(want, got, cmp.AllowUnexported(record{})); d != "" {
		t.Errorf("records (-want +got):\n%s", d)
	}
	if len(cls.unseen) != 0 {
		t.Errorf("still unseen: %v", cls.unseen)
	}
}
