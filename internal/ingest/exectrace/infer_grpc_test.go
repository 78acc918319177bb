package exectrace

import (
	"bytes"
	"context"
	"net"
	"runtime/trace"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/health"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"

	"github.com/gcwatch/gcwatch/internal/model"
)

// These tests run a real grpc-go server (the health service that ships
// with grpc, so no generated code of our own) and a real client over one
// HTTP/2 connection in this process, and check what inference makes of the
// trace against what the test made the server do.

// grpcSleep is what the server's interceptor sleeps in unary call i:
// distinct per call, 2 ms and up.
func grpcSleep(i int) time.Duration { return time.Duration(2+i) * time.Millisecond }

// sleeper is the server's unary interceptor: in a Check whose service is
// named i, it sleeps grpcSleep(i) and notes how long the sleep really
// took (on a loaded machine, longer).
type sleeper struct {
	mu    sync.Mutex
	slept map[int]time.Duration
}

func (sl *sleeper) intercept(ctx context.Context, req any, _ *grpc.UnaryServerInfo, handler grpc.UnaryHandler) (any, error) {
	if r, ok := req.(*healthpb.HealthCheckRequest); ok {
		if i, err := strconv.Atoi(r.GetService()); err == nil {
			began := time.Now()
			time.Sleep(grpcSleep(i))
			sl.mu.Lock()
			sl.slept[i] = time.Since(began)
			sl.mu.Unlock()
		}
	}
	return handler(ctx, req)
}

// grpcRun is what the client did while the trace was recorded.
type grpcRun struct {
	data []byte
	// watchHeld: how long the Watch stream was certainly open on the
	// server, measured by the client between receiving its first status
	// and cancelling it.
	watchHeld time.Duration
	// slept[i]: how long the server's sleep in call i took.
	slept []time.Duration
}

// grpcSetup says how a run is traced.
type grpcSetup struct {
	opts []grpc.ServerOption
	// traceServer: start the trace before the server, so that its stream
	// workers are created inside it; else after a first call.
	traceServer bool
	// stopInside: stop the server gracefully before the trace ends (stream
	// workers then end inside it); else stop it after.
	stopInside bool
}

// grpcTraced runs a health server and a client over one connection: one
// Check without a sleep (service ""), n unary Checks in client tasks and
// one Watch stream, all traced. Before the trace ends it waits for the
// Watch handler to return, and then for its goroutine to finish.
func grpcTraced(t *testing.T, n int, setup grpcSetup) grpcRun {
	t.Helper()
	var buf bytes.Buffer
	var run grpcRun
	if setup.traceServer {
		if err := trace.Start(&buf); err != nil {
			t.Fatal(err)
		}
	}
	defer trace.Stop() // after a failure; a no-op after the Stop below
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	hs := health.NewServer()
	for i := range n {
		hs.SetServingStatus(strconv.Itoa(i), healthpb.HealthCheckResponse_SERVING)
	}
	hs.SetServingStatus("watch", healthpb.HealthCheckResponse_SERVING)
	watched := make(chan struct{})
	sl := &sleeper{slept: make(map[int]time.Duration)}
	srv := grpc.NewServer(append(setup.opts, grpc.UnaryInterceptor(sl.intercept),
		grpc.StreamInterceptor(func(srv any, ss grpc.ServerStream, _ *grpc.StreamServerInfo, handler grpc.StreamHandler) error {
			defer close(watched) // the only stream is the one Watch
			return handler(srv, ss)
		}))...)
	healthpb.RegisterHealthServer(srv, hs)
	served := make(chan error, 1)
	go func() { served <- srv.Serve(lis) }()
	defer func() {
		srv.Stop() // a no-op when stopped gracefully
		if err := <-served; err != nil {
			t.Errorf("serve: %v", err)
		}
	}()
	conn, err := grpc.NewClient(lis.Addr().String(), grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	client := healthpb.NewHealthClient(conn)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if _, err := client.Check(ctx, &healthpb.HealthCheckRequest{}); err != nil {
		t.Fatal(err)
	}
	if !setup.traceServer {
		if err := trace.Start(&buf); err != nil {
			t.Fatal(err)
		}
	}
	for i := range n {
		tctx, task := trace.NewTask(ctx, "client")
		resp, err := client.Check(tctx, &healthpb.HealthCheckRequest{Service: strconv.Itoa(i)})
		task.End()
		if err != nil || resp.GetStatus() != healthpb.HealthCheckResponse_SERVING {
			t.Fatalf("check %d: %v, %v", i, resp, err)
		}
	}
	run.watchHeld = watchOnce(t, ctx, client, hs)
	select {
	case <-watched:
	case <-ctx.Done():
		t.Fatal("the Watch handler did not return after its cancellation")
	}
	if setup.stopInside {
		conn.Close()
		stopGracefully(t, srv)
	}
	// The handler's goroutine still has to end, or its worker to wait for
	// the next stream: a few µs, unless the machine is busy.
	time.Sleep(20 * time.Millisecond)
	trace.Stop()
	run.data = buf.Bytes()
	sl.mu.Lock()
	defer sl.mu.Unlock()
	for i := range n {
		run.slept = append(run.slept, sl.slept[i])
	}
	return run
}

// watchOnce opens a Watch stream, receives its first status, has the
// server send a second one, holds the stream a few ms and cancels it. It
// returns the time from the first status to the cancellation.
func watchOnce(t *testing.T, ctx context.Context, client healthpb.HealthClient, hs *health.Server) time.Duration {
	t.Helper()
	wctx, cancel := context.WithCancel(ctx)
	defer cancel()
	stream, err := client.Watch(wctx, &healthpb.HealthCheckRequest{Service: "watch"})
	if err != nil {
		t.Fatal(err)
	}
	if resp, err := stream.Recv(); err != nil || resp.GetStatus() != healthpb.HealthCheckResponse_SERVING {
		t.Fatalf("watch: first status %v, %v", resp, err)
	}
	began := time.Now()
	hs.SetServingStatus("watch", healthpb.HealthCheckResponse_NOT_SERVING)
	if resp, err := stream.Recv(); err != nil || resp.GetStatus() != healthpb.HealthCheckResponse_NOT_SERVING {
		t.Fatalf("watch: second status %v, %v", resp, err)
	}
	time.Sleep(5 * time.Millisecond)
	held := time.Since(began)
	cancel()
	return held
}

// stopGracefully waits for the server's handlers to return, or stops it
// outright after a few seconds so that a stuck stream fails the test
// instead of hanging it.
func stopGracefully(t *testing.T, srv *grpc.Server) {
	t.Helper()
	done := make(chan struct{})
	go func() { srv.GracefulStop(); close(done) }()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		srv.Stop()
		<-done
		t.Error("graceful stop took over 5 s")
	}
}

// TestInferGRPCServer: n unary calls with distinct server-side sleeps and
// one Watch stream, on a goroutine per stream (grpc's default) and on
// stream workers; each run is read with inference always on (the client's
// tasks stay beside the inferred spans).
func TestInferGRPCServer(t *testing.T) {
	workers := []grpc.ServerOption{grpc.NumStreamWorkers(2)}
	for _, c := range []struct {
		name  string
		setup grpcSetup
	}{
		{"goroutine per stream", grpcSetup{}},
		{"goroutine per stream, server inside the trace", grpcSetup{traceServer: true, stopInside: true}},
		{"stream workers created in the trace", grpcSetup{opts: workers, traceServer: true}},
		// The workers' statuses at the trace's start often have no stack
		// (they are woken before the runtime's status sweep reaches them),
		// so a worker is first seen in its handler, mid-stream.
		{"stream workers idle when the trace starts", grpcSetup{opts: workers}},
		// The server's stop wakes each worker (its channel closed) and it
		// ends: no request.
		{"stream workers ending in the trace", grpcSetup{opts: workers, traceServer: true, stopInside: true}},
	} {
		t.Run(c.name, func(t *testing.T) {
			const n = 8
			got := grpcTraced(t, n, c.setup)
			run := readInfer(t, got.data, InferAlways)
			tasks, spans := splitRequests(run)
			if len(tasks) != n {
				t.Fatalf("%d tasks, want %d", len(tasks), n)
			}
			slices.SortFunc(tasks, func(x, y model.Request) int { return int(x.Start - y.Start) })
			calls, watches, others := grpcSpans(t, spans, tasks)
			for i, s := range calls {
				if s.Type == "" {
					t.Errorf("call %d: no inferred span starts inside its client task %+v", i, tasks[i])
					continue
				}
				checkGRPCCall(t, i, s, tasks[i], got.slept[i])
			}
			if len(watches) != 1 {
				t.Fatalf("%d Watch spans, want 1: %+v", len(watches), watches)
			}
			checkGRPCWatch(t, watches[0], got.watchHeld)
			checkGRPCOthers(t, others, c.setup.traceServer)
			if !slices.Contains(run.Warnings, InferredLimits) {
				t.Errorf("warnings %q lack the limits of inferred requests", run.Warnings)
			}
		})
	}
}

// grpcSpans sorts the inferred spans: calls[i] is the one that starts
// inside the client task of call i, watches are typed Health.Watch, the
// others are the rest.
func grpcSpans(t *testing.T, spans, tasks []model.Request) (calls []model.Request, watches, others []model.Request) {
	t.Helper()
	calls = make([]model.Request, len(tasks))
	for _, s := range spans {
		if s.Type == "grpc Health.Watch" {
			watches = append(watches, s)
			continue
		}
		i := slices.IndexFunc(tasks, func(tk model.Request) bool { return tk.Start <= s.Start && s.Start <= tk.End })
		switch {
		case i < 0:
			others = append(others, s)
		case calls[i].Type != "":
			t.Errorf("call %d: spans %d and %d start inside its client task", i, calls[i].ID, s.ID)
		default:
			calls[i] = s
		}
	}
	return calls, watches, others
}

// checkGRPCOthers: besides the calls and the Watch, the only request is
// the first Check (no sleep) when the trace holds it, typed with its
// method when its goroutine was seen in the handler and plain "grpc" when
// not (it does too little to block there). No goroutine of the client or
// of the connections may pass for a request.
func checkGRPCOthers(t *testing.T, others []model.Request, firstCheckTraced bool) {
	t.Helper()
	want := 0
	if firstCheckTraced {
		want = 1
	}
	if len(others) != want {
		t.Errorf("%d inferred spans outside the client's calls and the Watch, want %d: %+v", len(others), want, others)
	}
	for _, s := range others {
		if (s.Type != "grpc" && s.Type != "grpc Health.Check") || s.Open {
			t.Errorf("span %d outside the calls: type %q open %v", s.ID, s.Type, s.Open)
		}
		checkSpanAccounting(t, s)
	}
}

// grpcSlack bounds what a span holds beyond the interceptor's sleep,
// less its time runnable and running (a thread the OS deschedules while
// its goroutine runs stretches running time by milliseconds on a loaded
// machine: that is the machine's load too): the handler goroutine's waits
// beyond the sleep, and its own µs of work (reading
// and decoding the request, encoding the response and queueing it for the
// connection's writer) and its waits for the connection's reader to hand
// it the request message. Median 50-75 µs here, at most 0.9 ms in 400
// calls (the Watch: 0.2-0.3 ms, at most 0.45 ms); 20 ms allows for a
// machine shared with other tests. Time runnable is the machine's load,
// not the request's: it is bounded only by maxRunnable.
const (
	grpcSlack   = 20 * time.Millisecond
	maxRunnable = 100 * time.Millisecond
)

// checkGRPCCall checks the span of unary call i against the sleep its
// interceptor measured (at least grpcSleep(i), all of it blocked) and its
// client task. The server's goroutine cannot see the request before the
// client sent it, so the span starts inside the task; it may end after
// the task, by the few instructions the goroutine runs after queueing the
// response, which the client can receive first (within grpcSlack).
func checkGRPCCall(t *testing.T, i int, s, tk model.Request, sleep time.Duration) {
	t.Helper()
	if sleep < grpcSleep(i) {
		t.Fatalf("call %d: the server slept %v, asked for %v", i, sleep, grpcSleep(i))
	}
	t.Logf("call %d: slept %v, span %v (+%v): running %v, runnable %v, blocked %v, syscall %v",
		i, sleep, s.Duration(), s.Duration()-sleep, s.Running, s.Runnable, s.Blocked, s.Syscall)
	if d := s.Duration(); d < sleep || d-s.Runnable-s.Running > sleep+grpcSlack || s.Runnable > maxRunnable {
		t.Errorf("call %d: span %v (runnable %v), slept %v", i, d, s.Runnable, sleep)
	}
	if s.Blocked < grpcSleep(i) {
		t.Errorf("call %d: blocked %v, slept %v", i, s.Blocked, grpcSleep(i))
	}
	if s.Start < tk.Start || s.End.Sub(tk.End) > grpcSlack {
		t.Errorf("call %d: span [%d, %d], client task [%d, %d]", i, s.Start, s.End, tk.Start, tk.End)
	}
	if s.Type != "grpc Health.Check" || s.Open || s.Kind != model.RequestInferred || len(s.Goroutines) != 1 {
		t.Errorf("call %d: %+v", i, s)
	}
	checkSpanAccounting(t, s)
}

// checkGRPCWatch: the Watch handler's goroutine lives from before the
// first status is sent to after the cancellation arrives, so its span
// holds the client's hold time; beyond it, the stream's setup and the
// cancellation's trip over loopback, within the same slack.
func checkGRPCWatch(t *testing.T, s model.Request, held time.Duration) {
	t.Helper()
	t.Logf("watch: held %v, span %v (+%v): running %v, runnable %v, blocked %v, syscall %v",
		held, s.Duration(), s.Duration()-held, s.Running, s.Runnable, s.Blocked, s.Syscall)
	if d := s.Duration(); d < held || d-s.Runnable-s.Running > held+grpcSlack || s.Runnable > maxRunnable {
		t.Errorf("watch: span %v (runnable %v), held %v", d, s.Runnable, held)
	}
	if s.Open || !strings.HasPrefix(s.Type, "grpc ") {
		t.Errorf("watch: %+v", s)
	}
	checkSpanAccounting(t, s)
}
