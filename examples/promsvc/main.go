// Command promsvc is a service that exports its Go runtime metrics and a
// request-latency histogram for Prometheus to scrape, as most Go services
// in a fleet do; gcwatch report --prometheus reads such services. It
// serves /metrics (client_golang's default registry, with the Go collector
// exporting every runtime/metrics series) and /work (one request), and
// offers itself open-loop load so that the histogram fills without a load
// generator.
//
// -behaviour picks how it treats its heap:
//
//	gc-heavy  a ~32 MiB pointer-rich live heap, ~400 KB of garbage per
//	          request, 200 requests a second and GOGC=5: a GC cycle every
//	          four requests, each marking the whole live heap, so GC takes
//	          a large share of CPU: 23 % without idle marking on an idle
//	          2-core machine, 30 % with two busy loops beside it, measured
//	          with GOMAXPROCS=1 over 10 s from go_cpu_classes_*. (With
//	          16 MiB and 200 KB it was 6-7 %: the idle mark worker did
//	          most of the marking, and that CPU is free.)
//	quiet     a ~1 MiB live heap, ~20 KB of garbage per request, 100
//	          requests a second, GOGC=100: a cycle every second or two
//	          that costs almost nothing
//
// It prints "listening on http://ADDR" on stdout once it serves, so that a
// test can start it on port 0 and learn the port.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/signal"
	"runtime"
	"runtime/debug"
	"syscall"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

const program = "promsvc"

func main() {
	if err := run(os.Args[1:]); err != nil {
		fmt.Fprintf(os.Stderr, "%s: %v\n", program, err)
		os.Exit(1)
	}
}

// profile is how one behaviour uses memory.
type profile struct {
	liveBytes    int // kept reachable for the whole run
	garbageBytes int // allocated and dropped by each request
	gogc         int
	rps          float64 // requests a second offered by default
}

var profiles = map[string]profile{
	"gc-heavy": {liveBytes: 32 << 20, garbageBytes: 400 << 10, gogc: 5, rps: 200},
	"quiet":    {liveBytes: 1 << 20, garbageBytes: 20 << 10, gogc: 100, rps: 100},
}

func run(args []string) error {
	fs := flag.NewFlagSet(program, flag.ContinueOnError)
	addr := fs.String("addr", "127.0.0.1:0", "listen on `HOST:PORT` (port 0: any free port)")
	behaviour := fs.String("behaviour", "quiet", "gc-heavy or quiet")
	rps := fs.Float64("rps", -1, "requests a second offered to itself (0: none; default: 200 gc-heavy, 100 quiet)")
	procs := fs.Int("procs", 1, "GOMAXPROCS")
	duration := fs.Duration("duration", 0, "stop after this long (0: at SIGINT or SIGTERM)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	p, ok := profiles[*behaviour]
	if !ok {
		return fmt.Errorf("-behaviour must be gc-heavy or quiet, not %q", *behaviour)
	}
	if *rps < 0 {
		*rps = p.rps
	}
	if *procs < 1 {
		return errors.New("-procs must be 1 or more")
	}
	runtime.GOMAXPROCS(*procs)
	debug.SetGCPercent(p.gogc)

	svc := newService(p)
	mux := http.NewServeMux()
	mux.Handle("/metrics", promhttp.Handler())
	mux.HandleFunc("/work", func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		fmt.Fprintln(w, svc.handle())
		svc.latency.Observe(time.Since(start).Seconds())
	})
	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		return fmt.Errorf("cannot listen: %w", err)
	}
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 5 * time.Second}
	fmt.Printf("listening on http://%s\n", ln.Addr())

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if *duration > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, *duration)
		defer cancel()
	}
	go svc.offerLoad(ctx, *rps)
	go func() {
		<-ctx.Done()
		shutdown, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer cancel()
		srv.Shutdown(shutdown)
	}()
	if err := srv.Serve(ln); !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}

// registerMetrics swaps the default registry's Go collector for one that
// also exports every runtime/metrics series (pause histograms, CPU
// classes, GOGC, GOMEMLIMIT), and registers the latency histogram.
func registerMetrics() prometheus.Histogram {
	prometheus.Unregister(collectors.NewGoCollector())
	prometheus.MustRegister(collectors.NewGoCollector(collectors.WithGoCollectorRuntimeMetrics(collectors.MetricsAll)))
	latency := prometheus.NewHistogram(prometheus.HistogramOpts{
		Name:    "promsvc_request_duration_seconds",
		Help:    "Time from a request's due time to its end.",
		Buckets: prometheus.ExponentialBuckets(50e-6, 2, 16), // 50 µs to 1.6 s
	})
	prometheus.MustRegister(latency)
	return latency
}
