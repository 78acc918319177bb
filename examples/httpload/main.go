// Command httpload offers open-loop HTTP load to a service and prints a
// latency summary: requests leave on schedule at -rps whatever the service
// does, and latency counts from when each was due.
//
//	httpload -url 'http://127.0.0.1:8080/api/products/{i}' -url http://127.0.0.1:8080/api/search?q=blue -rps 500 -duration 10s
//
// Every {i} in a URL becomes the request's number; several -url flags
// are used in turn. It stops after -duration, or on SIGINT or SIGTERM
// (finishing the requests in flight), and prints the summary either way.
package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"os/signal"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/gcwatch/gcwatch/examples/httpload/load"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := run(ctx, os.Stdout, os.Args[1:])
	stop()
	if err != nil {
		fmt.Fprintf(os.Stderr, "httpload: %v\n", err)
		os.Exit(1)
	}
}

// urls collects repeated -url flags.
type urls []string

func (u *urls) String() string { return strings.Join(*u, " ") }
func (u *urls) Set(s string) error {
	p, err := url.Parse(strings.ReplaceAll(s, "{i}", "0"))
	if err != nil || (p.Scheme != "http" && p.Scheme != "https") || p.Host == "" {
		return fmt.Errorf("%q is not an http(s) URL", s)
	}
	*u = append(*u, s)
	return nil
}

func run(ctx context.Context, stdout io.Writer, args []string) error {
	fs := flag.NewFlagSet("httpload", flag.ContinueOnError)
	var targets urls
	fs.Var(&targets, "url", "URL to GET (repeatable, used in turn; {i} becomes the request number)")
	rps := fs.Int("rps", 100, "requests per second")
	duration := fs.Duration("duration", 10*time.Second, "how long to offer load (0: until interrupted)")
	concurrency := fs.Int("concurrency", 64, "most requests in flight")
	timeout := fs.Duration("timeout", 10*time.Second, "time limit of each request")
	asJSON := fs.Bool("json", false, "print the summary as one JSON object")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if len(targets) == 0 {
		return errors.New("no -url given")
	}
	if *rps <= 0 || *concurrency <= 0 || *duration < 0 {
		return errors.New("-rps and -concurrency must be positive, -duration not negative")
	}
	transport := http.DefaultTransport.(*http.Transport).Clone()
	transport.MaxIdleConnsPerHost = *concurrency // reuse connections instead of churning ports
	res, err := load.Run(ctx, load.Config{
		RPS: *rps, Duration: *duration, Concurrency: *concurrency,
		Client: &http.Client{Timeout: *timeout, Transport: transport},
		Request: func(ctx context.Context, i int) (*http.Request, error) {
			u := strings.ReplaceAll(targets[i%len(targets)], "{i}", strconv.Itoa(i))
			return http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
		},
	})
	if err != nil {
		return err
	}
	if *asJSON {
		return writeJSON(stdout, res)
	}
	return res.WriteSummary(stdout)
}

func writeJSON(w io.Writer, r *load.Result) error {
	ms := func(q float64) float64 { return float64(r.Quantile(q)) / 1e6 }
	return json.NewEncoder(w).Encode(map[string]any{
		"due": r.Due, "sent": r.Sent, "ok": r.OK, "failed": r.Failed, "first_error": r.FirstErr,
		"elapsed_ms": float64(r.Elapsed) / 1e6, "rate_per_s": r.Rate(),
		"p50_ms": ms(0.5), "p90_ms": ms(0.9), "p99_ms": ms(0.99), "p999_ms": ms(0.999), "max_ms": ms(1),
	})
}
