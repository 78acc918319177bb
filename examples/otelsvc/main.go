// Command otelsvc is a small HTTP service instrumented with the
// OpenTelemetry Go SDK, recorded with a runtime/trace execution trace, to
// show that gcwatch reads the spans a service already exports as its
// request latency (gcwatch analyze --latency FILE).
//
// Every request is a server span (SPAN_KIND_SERVER, named "GET /work") of
// the service "otelsvc", with a child span "render". While an execution
// trace runs, the SDK makes every span a runtime/trace task of the span's
// name as well, begun and ended with it, so that span-based and task-based
// figures can be compared on the same requests (gcwatch analyze --task
// "GET /work"). The load generator is a second service, "loadgen", whose
// client spans ("call /work") are the server spans' remote parents (W3C
// traceparent over loopback HTTP). Each
// request allocates garbage over a live heap, so the GC runs many times a
// second and its pauses fall inside requests.
//
// Spans leave through the SDK's own exporters: OTLP over HTTP to -otlp
// (a collector, or the loopback receiver of package otlpfile) and the
// stdout exporter to -stdout. -sdk-spans writes what the SDK itself
// recorded of each ended span (ids, kind, service, start, end, and its
// duration as the SDK computes it), the reference the tests compare
// gcwatch with.
//
// It prints a one-line JSON summary on stdout when it ends.
package main

// Re-record testdata/ (run from this folder):
//go:generate go run ./record -out testdata

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"runtime/trace"
	"sync"
	"sync/atomic"
	"time"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/exporters/otlp/otlptrace/otlptracehttp"
	"go.opentelemetry.io/otel/exporters/stdout/stdouttrace"
	"go.opentelemetry.io/otel/propagation"
	"go.opentelemetry.io/otel/sdk/resource"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	oteltrace "go.opentelemetry.io/otel/trace"

	"github.com/gcwatch/gcwatch/examples/internal/harness"
)

func main() {
	if err := run(context.Background(), os.Args[1:], os.Stdout); err != nil {
		fmt.Fprintf(os.Stderr, "otelsvc: %v\n", err)
		os.Exit(1)
	}
}

type options struct {
	duration, warmup time.Duration
	rps              int
	tracePath        string
	otlp             string
	stdout           string
	sdkSpans         string
	liveMB           int
	garbageKB        int
}

func run(ctx context.Context, args []string, stdout io.Writer) error {
	var o options
	fs := flag.NewFlagSet("otelsvc", flag.ContinueOnError)
	fs.DurationVar(&o.duration, "duration", time.Second, "how long to serve load (the trace records this long)")
	fs.DurationVar(&o.warmup, "warmup", 300*time.Millisecond, "serve load this long before the trace starts")
	fs.IntVar(&o.rps, "rps", 300, "requests per second to offer")
	fs.StringVar(&o.tracePath, "trace", "", "write a runtime/trace execution trace to `FILE`")
	fs.StringVar(&o.otlp, "otlp", "", "export spans with OTLP over HTTP to this `URL` (…/v1/traces)")
	fs.StringVar(&o.stdout, "stdout", "", "export spans with the stdout exporter to `FILE`")
	fs.StringVar(&o.sdkSpans, "sdk-spans", "", "write the SDK's own record of every ended span to `FILE` (JSON lines)")
	fs.IntVar(&o.liveMB, "live-mb", 16, "live heap to keep, in MB")
	fs.IntVar(&o.garbageKB, "garbage-kb", 256, "garbage each request allocates, in KB")
	if err := fs.Parse(args); err != nil {
		return err
	}
	// Each provider has exporters of its own: shutting one down shuts its
	// exporters down.
	var stdoutFile *os.File
	if o.stdout != "" {
		f, err := os.Create(o.stdout)
		if err != nil {
			return err
		}
		defer f.Close()
		stdoutFile = f
	}
	var lockedStdout = &lockedWriter{w: stdoutFile}
	newExporters := func() ([]sdktrace.SpanExporter, error) {
		var exporters []sdktrace.SpanExporter
		if o.otlp != "" {
			e, err := otlptracehttp.New(ctx, otlptracehttp.WithEndpointURL(o.otlp))
			if err != nil {
				return nil, err
			}
			exporters = append(exporters, e)
		}
		if stdoutFile != nil {
			e, err := stdouttrace.New(stdouttrace.WithWriter(lockedStdout))
			if err != nil {
				return nil, err
			}
			exporters = append(exporters, e)
		}
		return exporters, nil
	}
	var rec *recorder
	if o.sdkSpans != "" {
		f, err := os.Create(o.sdkSpans)
		if err != nil {
			return err
		}
		defer f.Close()
		rec = &recorder{enc: json.NewEncoder(f)}
	}
	provider := func(service string) (*sdktrace.TracerProvider, error) {
		exporters, err := newExporters()
		if err != nil {
			return nil, err
		}
		opts := []sdktrace.TracerProviderOption{
			sdktrace.WithResource(resource.NewSchemaless(attribute.String("service.name", service))),
			sdktrace.WithSampler(sdktrace.AlwaysSample()),
		}
		for _, e := range exporters {
			opts = append(opts, sdktrace.WithBatcher(e))
		}
		if rec != nil {
			opts = append(opts, sdktrace.WithSpanProcessor(rec))
		}
		return sdktrace.NewTracerProvider(opts...), nil
	}
	serverTP, err := provider("otelsvc")
	if err != nil {
		return err
	}
	clientTP, err := provider("loadgen")
	if err != nil {
		return err
	}
	s := newService(serverTP.Tracer("otelsvc"), o)

	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return err
	}
	srv := &http.Server{Handler: s}
	go srv.Serve(ln)
	client := &loadgen{
		tracer: clientTP.Tracer("loadgen"),
		url:    "http://" + ln.Addr().String() + "/work",
		http:   &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 256}},
	}

	harness.Drive(ctx, o.warmup, o.rps, client.issue)
	var stopTrace func() error = func() error { return nil }
	if o.tracePath != "" {
		f, err := os.Create(o.tracePath)
		if err != nil {
			return err
		}
		if err := trace.Start(f); err != nil {
			f.Close()
			return err
		}
		stopTrace = func() error {
			trace.Stop()
			return f.Close()
		}
	}
	s.recording.Store(true)
	harness.Drive(ctx, o.duration, o.rps, client.issue)
	s.recording.Store(false)
	if err := stopTrace(); err != nil {
		return err
	}
	srv.Close()
	err = errors.Join(serverTP.Shutdown(ctx), clientTP.Shutdown(ctx))
	if rec != nil {
		err = errors.Join(err, rec.err)
	}
	if err != nil {
		return err
	}
	return json.NewEncoder(stdout).Encode(map[string]any{
		"program": "otelsvc", "requests": s.served.Load(), "requests_traced": s.traced.Load(),
		"errors": client.errors.Load(),
	})
}

// lockedWriter lets the two providers' stdout exporters share a file, a
// whole span at a time.
type lockedWriter struct {
	mu sync.Mutex
	w  io.Writer
}

func (l *lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}

// service is the HTTP service.
type service struct {
	tracer    oteltrace.Tracer
	o         options
	live      [][]byte
	mu        sync.Mutex
	next      int
	served    atomic.Int64
	traced    atomic.Int64
	recording atomic.Bool
	sink      atomic.Int64
}

func newService(t oteltrace.Tracer, o options) *service {
	s := &service{tracer: t, o: o}
	// A live heap of pointer-free chunks, some replaced by each request so
	// that it stays live and the GC has marking to do.
	for range o.liveMB * 16 {
		s.live = append(s.live, make([]byte, 64<<10))
	}
	return s
}

var propagator = propagation.TraceContext{}

func (s *service) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	ctx := propagator.Extract(r.Context(), propagation.HeaderCarrier(r.Header))
	ctx, span := s.tracer.Start(ctx, "GET /work", oteltrace.WithSpanKind(oteltrace.SpanKindServer))
	n := s.work(ctx)
	span.End()
	s.served.Add(1)
	if s.recording.Load() {
		s.traced.Add(1)
	}
	fmt.Fprintf(w, "%d\n", n)
}

// work allocates garbage in small pieces (so that the GC's pacer makes it
// assist), replaces one chunk of the live heap, and waits a little, as a
// request that calls a dependency does.
func (s *service) work(ctx context.Context) int {
	_, span := s.tracer.Start(ctx, "render")
	defer span.End()
	var keep [][]byte
	total := 0
	for range s.o.garbageKB {
		b := make([]byte, 1024)
		b[0] = byte(total)
		total += int(b[0]) + len(b)
		if len(keep) < 16 {
			keep = append(keep, b)
		}
	}
	s.mu.Lock()
	s.live[s.next%len(s.live)] = make([]byte, 64<<10)
	s.next++
	s.mu.Unlock()
	time.Sleep(time.Millisecond)
	s.sink.Add(int64(len(keep)))
	return total
}

// loadgen issues requests as client spans of the service "loadgen".
type loadgen struct {
	tracer oteltrace.Tracer
	url    string
	http   *http.Client
	errors atomic.Int64
}

func (l *loadgen) issue(ctx context.Context, id int) {
	ctx, span := l.tracer.Start(ctx, "call /work", oteltrace.WithSpanKind(oteltrace.SpanKindClient))
	defer span.End()
	req, err := http.NewRequestWithContext(ctx, "GET", l.url, nil)
	if err != nil {
		l.errors.Add(1)
		return
	}
	propagator.Inject(ctx, propagation.HeaderCarrier(req.Header))
	resp, err := l.http.Do(req)
	if err != nil {
		l.errors.Add(1)
		return
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
}

// recorder is a span processor that writes, for every span as it ends,
// what the SDK recorded: the reference durations of the tests.
type recorder struct {
	mu  sync.Mutex
	enc *json.Encoder
	err error
}

// SDKSpan is one line of -sdk-spans.
type SDKSpan struct {
	Service  string `json:"service"`
	Name     string `json:"name"`
	Kind     string `json:"kind"`
	TraceID  string `json:"trace_id"`
	SpanID   string `json:"span_id"`
	Parent   string `json:"parent_span_id,omitempty"`
	StartNs  int64  `json:"start_unix_ns"`
	EndNs    int64  `json:"end_unix_ns"`
	Duration int64  `json:"duration_ns"` // EndTime().Sub(StartTime()), as the SDK has them
}

func (r *recorder) OnStart(context.Context, sdktrace.ReadWriteSpan) {}

func (r *recorder) OnEnd(s sdktrace.ReadOnlySpan) {
	var svc string
	if v, ok := s.Resource().Set().Value("service.name"); ok {
		svc = v.AsString()
	}
	line := SDKSpan{
		Service: svc, Name: s.Name(), Kind: s.SpanKind().String(),
		TraceID: s.SpanContext().TraceID().String(), SpanID: s.SpanContext().SpanID().String(),
		StartNs: s.StartTime().UnixNano(), EndNs: s.EndTime().UnixNano(),
		Duration: int64(s.EndTime().Sub(s.StartTime())),
	}
	if s.Parent().IsValid() {
		line.Parent = s.Parent().SpanID().String()
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if err := r.enc.Encode(line); err != nil && r.err == nil {
		r.err = err
	}
}

func (r *recorder) Shutdown(context.Context) error   { return nil }
func (r *recorder) ForceFlush(context.Context) error { return nil }
