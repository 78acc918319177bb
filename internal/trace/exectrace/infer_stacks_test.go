package exectrace

import (
	"testing"

	"github.com/google/go-cmp/cmp"
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
