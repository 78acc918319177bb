// Package load is an open-loop HTTP load generator: requests leave on a
// fixed schedule whether or not earlier ones have finished, and each
// latency is counted from the moment its request was due, so a stalled
// service shows up as latency rather than as a quietly lower rate.
//
// It drives examples/httpsvc (its -load flag) and is the engine of the
// httpload command. Like the examples it serves, it is not a step of
// gcwatch's pipeline.
package load

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"net/http"
	"slices"
	"sync"
	"time"
)

// Config says what load to offer.
type Config struct {
	// RPS is the rate requests are due at.
	RPS int
	// Duration bounds the run; 0 runs until the context ends.
	Duration time.Duration
	// Concurrency bounds the requests in flight; a request that is due
	// while all are busy waits for one (its wait counts as latency).
	Concurrency int
	// Client sends the requests; nil means a client with a 10 s timeout.
	Client *http.Client
	// Request makes request number i (from 0).
	Request func(ctx context.Context, i int) (*http.Request, error)
}

// Result is what a run measured.
type Result struct {
	Due       int             // requests that fell due
	Sent      int             // requests sent (Due less those left waiting for a slot at the end)
	OK        int             // answers with a 2xx status
	Failed    int             // transport errors and non-2xx answers
	Status    map[int]int     // answers by status code
	FirstErr  string          // the first failure, for the summary
	Latencies []time.Duration // of every answer (OK or not), from when it was due; sorted
	Elapsed   time.Duration   // from the first due time to the last answer
}

// Run offers the load until cfg.Duration has passed or ctx ends, then
// waits for the requests in flight. It fails only on a bad Config.
func Run(ctx context.Context, cfg Config) (*Result, error) {
	if cfg.RPS <= 0 || cfg.Concurrency <= 0 || cfg.Request == nil || cfg.Duration < 0 {
		return nil, errors.New("load: RPS and Concurrency must be positive, Duration not negative, and Request set")
	}
	client := cfg.Client
	if client == nil {
		client = &http.Client{Timeout: 10 * time.Second}
	}
	if cfg.Duration > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, cfg.Duration)
		defer cancel()
	}

	res := &Result{Status: map[int]int{}}
	var mu sync.Mutex // guards res while requests are in flight
	var wg sync.WaitGroup
	slots := make(chan struct{}, cfg.Concurrency)
	interval := time.Second / time.Duration(cfg.RPS)
	begin := time.Now()
	timer := time.NewTimer(0)
	defer timer.Stop()

dispatch:
	for i := 0; ; i++ {
		due := begin.Add(time.Duration(i) * interval)
		timer.Reset(time.Until(due))
		select {
		case <-ctx.Done():
			break dispatch
		case <-timer.C:
		}
		if ctx.Err() != nil { // the end and the due time came together
			break dispatch
		}
		res.Due++
		if !acquire(ctx, slots) {
			break dispatch
		}
		res.Sent++
		wg.Go(func() {
			defer func() { <-slots }()
			status, err := send(client, cfg.Request, i)
			lat := time.Since(due)
			mu.Lock()
			defer mu.Unlock()
			res.Latencies = append(res.Latencies, lat)
			if status != 0 {
				res.Status[status]++
			}
			if err == nil && status/100 == 2 {
				res.OK++
				return
			}
			res.Failed++
			if res.FirstErr == "" {
				if err == nil {
					err = fmt.Errorf("request %d: status %d", i, status)
				}
				res.FirstErr = err.Error()
			}
		})
	}
	wg.Wait()
	res.Elapsed = time.Since(begin)
	slices.Sort(res.Latencies)
	return res, nil
}

// acquire takes a slot, waiting for one unless ctx ends first; a free
// slot is taken even if ctx has just ended (select would pick at random).
func acquire(ctx context.Context, slots chan struct{}) bool {
	select {
	case slots <- struct{}{}:
		return true
	default:
	}
	select {
	case <-ctx.Done():
		return false
	case slots <- struct{}{}:
		return true
	}
}

// send makes and sends request i, reading the whole answer. The request is
// not tied to the run's context, so requests in flight when the run ends
// are finished and counted, not cut off.
func send(client *http.Client, newRequest func(context.Context, int) (*http.Request, error), i int) (int, error) {
	req, err := newRequest(context.Background(), i)
	if err != nil {
		return 0, fmt.Errorf("request %d: %w", i, err)
	}
	resp, err := client.Do(req)
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	if _, err := io.Copy(io.Discard, resp.Body); err != nil {
		return resp.StatusCode, fmt.Errorf("request %d: reading the answer: %w", i, err)
	}
	return resp.StatusCode, nil
}

// Quantile is the q-quantile (0..1) of the latencies by nearest rank: the
// smallest latency that at least q of them do not exceed; 0 when empty.
func (r *Result) Quantile(q float64) time.Duration {
	n := len(r.Latencies)
	if n == 0 {
		return 0
	}
	// Shrink q×n a hair so that 0.07×100 = 7.000000000000001 ranks 7th.
	rank := int(math.Ceil(q * float64(n) * (1 - 1e-12)))
	rank = min(max(rank, 1), n)
	return r.Latencies[rank-1]
}

// Rate is the answers per second over the run.
func (r *Result) Rate() float64 {
	if r.Elapsed <= 0 {
		return 0
	}
	return float64(len(r.Latencies)) / r.Elapsed.Seconds()
}

// WriteSummary prints the run in a few lines.
func (r *Result) WriteSummary(w io.Writer) error {
	ms := func(d time.Duration) string { return fmt.Sprintf("%.2fms", float64(d)/1e6) }
	_, err := fmt.Fprintf(w, "requests: %d due, %d sent, %d ok, %d failed in %.1fs (%.0f/s)\nlatency:  p50 %s  p90 %s  p99 %s  p99.9 %s  max %s\n",
		r.Due, r.Sent, r.OK, r.Failed, r.Elapsed.Seconds(), r.Rate(),
		ms(r.Quantile(0.5)), ms(r.Quantile(0.9)), ms(r.Quantile(0.99)), ms(r.Quantile(0.999)), ms(r.Quantile(1)))
	if err == nil && r.FirstErr != "" {
		_, err = fmt.Fprintf(w, "first failure: %s\n", r.FirstErr)
	}
	return err
}
