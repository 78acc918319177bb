// Command httpsvc is a small catalogue service to profile live: a JSON API
// (product search, product pages, shopping carts) that allocates on every
// request and keeps a moderate live heap (the catalogue, ~40 MB live with the
// default -items, plus the carts), with the usual debug endpoints:
//
//	/debug/pprof/...          net/http/pprof (gcwatch capture reads trace, heap, allocs)
//	/debug/vars               expvar (memstats, cmdline)
//	/metrics                  Prometheus text: Go runtime settings, GC pauses, request latency
//	/debug/gcwatch/snapshots/ flight-recorder snapshots of slow requests (with -flightrec-slow)
//
// It prints "listening on ADDR" as its first line on stdout, so scripts can
// find a port chosen with -addr 127.0.0.1:0. With -load it offers itself
// open-loop load over loopback. It stops after -duration, or on SIGINT or
// SIGTERM, and then prints a one-line JSON summary on stdout.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
	"time"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := run(ctx, os.Stdout, os.Stderr, os.Args[1:])
	stop()
	if err != nil {
		fmt.Fprintf(os.Stderr, "httpsvc: %v\n", err)
		os.Exit(1)
	}
}

// options are the command's flags.
type options struct {
	addr        string
	load        int
	concurrency int
	duration    time.Duration
	items       int
	sessions    int
	slow        time.Duration
	cooldown    time.Duration
	keep        int
}

func parseFlags(args []string, stderr io.Writer) (options, error) {
	var o options
	fs := flag.NewFlagSet("httpsvc", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.StringVar(&o.addr, "addr", "127.0.0.1:0", "address to listen on (port 0: any free port)")
	fs.IntVar(&o.load, "load", 0, "offer this many requests per second to itself (0: none)")
	fs.IntVar(&o.concurrency, "concurrency", 64, "most -load requests in flight")
	fs.DurationVar(&o.duration, "duration", 0, "exit after this long (0: run until interrupted)")
	fs.IntVar(&o.items, "items", 50000, "products in the catalogue")
	fs.IntVar(&o.sessions, "sessions", 20000, "most shopping carts kept")
	fs.DurationVar(&o.slow, "flightrec-slow", 0, "run the flight recorder and snapshot it when a request takes this long (0: off)")
	fs.DurationVar(&o.cooldown, "flightrec-cooldown", 10*time.Second, "least time between two flight-recorder snapshots")
	fs.IntVar(&o.keep, "flightrec-keep", 4, "flight-recorder snapshots kept")
	if err := fs.Parse(args); err != nil {
		return o, err
	}
	switch {
	case fs.NArg() > 0:
		return o, fmt.Errorf("unexpected argument %q", fs.Arg(0))
	case o.load < 0 || o.concurrency < 1 || o.duration < 0:
		return o, errors.New("-load and -duration must not be negative, -concurrency must be positive")
	case o.items < 1 || o.sessions < 1:
		return o, errors.New("-items and -sessions must be positive")
	case o.slow < 0 || o.cooldown <= 0 || o.keep < 1:
		return o, errors.New("-flightrec-slow must not be negative, -flightrec-cooldown and -flightrec-keep must be positive")
	}
	return o, nil
}

func run(ctx context.Context, stdout, stderr io.Writer, args []string) error {
	o, err := parseFlags(args, stderr)
	if err != nil {
		return err
	}
	if o.duration > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, o.duration)
		defer cancel()
	}
	svc, err := start(o)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "listening on %s\n", svc.addr)
	return svc.serve(ctx, stdout, stderr)
}
