package main

import (
	"context"
	"encoding/json"
	"errors"
	"expvar"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/pprof"
	"runtime"
	"runtime/metrics"
	"time"

	"github.com/gcwatch/gcwatch/examples/httpload/load"
	"github.com/gcwatch/gcwatch/flightrec"
)

// service is the running program: its listener, handlers and recorder.
type service struct {
	opts    options
	addr    string
	ln      net.Listener
	srv     *http.Server
	api     *api
	rec     *flightrec.Recorder // nil without -flightrec-slow
	started time.Time
	cpu0    time.Duration
}

// start builds the catalogue, opens the listener and, if asked, starts the
// flight recorder; serve does the rest.
func start(o options) (*service, error) {
	s := &service{opts: o, started: now()}
	s.cpu0, _ = processCPU()
	s.api = &api{cat: newCatalogue(o.items), carts: newCarts(o.sessions), lat: &latencyMetrics{}}

	mux := http.NewServeMux()
	var apiHandler http.Handler = s.api.routes()
	if o.slow > 0 {
		rec, err := flightrec.New(flightrec.Config{SlowThreshold: o.slow, Cooldown: o.cooldown, Keep: o.keep})
		if err != nil {
			return nil, err
		}
		s.rec = rec
		// Only the API is timed: the debug endpoints are slow on purpose.
		apiHandler = rec.Middleware(apiHandler)
		mux.Handle("/debug/gcwatch/snapshots/", http.StripPrefix("/debug/gcwatch/snapshots", rec.Handler()))
	}
	mux.Handle("/api/", apiHandler)
	mux.HandleFunc("/debug/pprof/", pprof.Index) // and the named profiles: heap, allocs, goroutine, …
	mux.HandleFunc("/debug/pprof/cmdline", pprof.Cmdline)
	mux.HandleFunc("/debug/pprof/profile", pprof.Profile)
	mux.HandleFunc("/debug/pprof/symbol", pprof.Symbol)
	mux.HandleFunc("/debug/pprof/trace", pprof.Trace)
	mux.Handle("/debug/vars", expvar.Handler())
	mux.HandleFunc("/metrics", s.api.lat.serveMetrics)
	mux.HandleFunc("/healthz", func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "ok\n") })

	ln, err := net.Listen("tcp", o.addr)
	if err != nil {
		return nil, fmt.Errorf("cannot listen on %s: %w", o.addr, err)
	}
	s.ln, s.addr = ln, ln.Addr().String()
	s.srv = &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	if s.rec != nil {
		if err := s.rec.Start(); err != nil {
			ln.Close()
			return nil, err
		}
	}
	return s, nil
}

// serve answers requests, and offers -load, until ctx ends; then it shuts
// down (letting requests in flight finish) and prints the summary.
func (s *service) serve(ctx context.Context, stdout, stderr io.Writer) error {
	served := make(chan error, 1)
	go func() { served <- s.srv.Serve(s.ln) }()

	var loadRes *load.Result
	if s.opts.load > 0 {
		res, err := load.Run(ctx, load.Config{
			RPS: s.opts.load, Concurrency: s.opts.concurrency,
			Client:  loadClient(s.opts.concurrency),
			Request: newMix("http://"+s.addr, len(s.api.cat.products), s.opts.sessions).request,
		})
		if err != nil {
			return err
		}
		loadRes = res
	}
	var serveErr error
	select {
	case <-ctx.Done():
	case serveErr = <-served:
	}
	shutdownCtx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := s.srv.Shutdown(shutdownCtx); err != nil {
		fmt.Fprintf(stderr, "httpsvc: shutdown: %v\n", err)
	}
	if s.rec != nil {
		s.rec.Stop()
	}
	if serveErr != nil && !errors.Is(serveErr, http.ErrServerClosed) {
		return fmt.Errorf("serving on %s: %w", s.addr, serveErr)
	}
	return s.writeSummary(stdout, loadRes)
}

func loadClient(concurrency int) *http.Client {
	t := http.DefaultTransport.(*http.Transport).Clone()
	t.MaxIdleConnsPerHost = concurrency
	return &http.Client{Timeout: 10 * time.Second, Transport: t}
}

// summary is the line printed at exit.
type summary struct {
	Program    string           `json:"program"`
	GoVersion  string           `json:"go_version"`
	GOMAXPROCS int              `json:"gomaxprocs"`
	WallS      float64          `json:"wall_s"`
	CPUS       float64          `json:"cpu_s,omitempty"` // user+system, over the run
	Requests   uint64           `json:"requests"`        // API requests served
	GCCycles   uint64           `json:"gc_cycles"`
	Carts      int              `json:"carts"`
	Load       map[string]any   `json:"load,omitempty"`
	Flightrec  *flightrec.Stats `json:"flightrec,omitempty"`
}

func (s *service) writeSummary(w io.Writer, res *load.Result) error {
	gc := []metrics.Sample{{Name: "/gc/cycles/total:gc-cycles"}}
	metrics.Read(gc)
	sum := summary{
		Program: "httpsvc", GoVersion: runtime.Version(), GOMAXPROCS: runtime.GOMAXPROCS(0),
		WallS: now().Sub(s.started).Seconds(), Requests: s.api.lat.total(), GCCycles: gc[0].Value.Uint64(),
		Carts: s.api.carts.len(),
	}
	if cpu, ok := processCPU(); ok {
		sum.CPUS = (cpu - s.cpu0).Seconds()
	}
	if res != nil {
		ms := func(q float64) float64 { return float64(res.Quantile(q)) / 1e6 }
		sum.Load = map[string]any{"due": res.Due, "ok": res.OK, "failed": res.Failed, "first_error": res.FirstErr,
			"p50_ms": ms(0.5), "p99_ms": ms(0.99), "max_ms": ms(1)}
	}
	if s.rec != nil {
		st := s.rec.Stats()
		sum.Flightrec = &st
	}
	return json.NewEncoder(w).Encode(sum)
}
