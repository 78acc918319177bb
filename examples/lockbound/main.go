// Command lockbound is an HTTP service whose tail latency has nothing to do
// with the GC: every request takes one process-wide lock around a shared
// rate table (held long enough to queue the others) and calls a slow
// dependency, a second HTTP service on loopback that now and then takes tens
// of milliseconds. It allocates little, so GC cycles are rare and short; the
// slow requests are the ones blocked on the lock or waiting on the network.
package main

import (
	"context"
	"flag"
	"fmt"
	"hash/crc32"
	"io"
	"net"
	"net/http"
	"os"
	"runtime/trace"
	"strconv"
	"sync"
	"time"

	"github.com/gcwatch/gcwatch/examples/internal/harness"
)

const program = "lockbound"

func main() {
	if err := run(os.Args[1:]); err != nil {
		fmt.Fprintf(os.Stderr, "%s: %v\n", program, err)
		os.Exit(1)
	}
}

// rateTable is shared state behind one mutex, the contended lock. Now and
// then an update also writes the table through to storage while still
// holding the lock (the classic mistake), and every request arriving then
// queues behind it.
type rateTable struct {
	mu         sync.Mutex
	rates      [4096]uint32
	work       int           // checksum rounds done while holding the lock
	flushEvery int           // every Nth update flushes (0 = never)
	flush      time.Duration // how long a flush takes
	updates    int
}

func (t *rateTable) update(key int) uint32 {
	t.mu.Lock()
	defer t.mu.Unlock()
	var sum uint32
	var buf [64]byte
	for i := range t.work {
		b := strconv.AppendInt(buf[:0], int64(key+i), 10)
		sum = crc32.Update(sum, crc32.IEEETable, b)
	}
	t.rates[key%len(t.rates)] = sum
	t.updates++
	if t.flushEvery > 0 && t.updates%t.flushEvery == 0 {
		time.Sleep(t.flush)
	}
	return sum
}

// dependency is the slow backend: most answers take a millisecond or two,
// a few take much longer.
func dependency(slowEvery int, slow time.Duration) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		n, _ := strconv.Atoi(r.URL.Query().Get("n"))
		d := time.Duration(1+n%2) * time.Millisecond
		if slowEvery > 0 && n%slowEvery == 0 {
			d = slow
		}
		time.Sleep(d)
		io.WriteString(w, "ok")
	}
}

type server struct {
	table   *rateTable
	backend string
	client  *http.Client
	lat     *harness.Latencies
}

func (s *server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	begin := time.Now()
	ctx, task := trace.NewTask(r.Context(), "request")
	defer task.End()
	n, _ := strconv.Atoi(r.URL.Query().Get("n"))
	var sum uint32
	trace.WithRegion(ctx, "rate table", func() { sum = s.table.update(n) })
	var err error
	trace.WithRegion(ctx, "dependency", func() { err = s.callBackend(ctx, n) })
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadGateway)
		return
	}
	fmt.Fprintf(w, "%d %d\n", n, sum)
	s.lat.Add(time.Since(begin))
}

func (s *server) callBackend(ctx context.Context, n int) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, s.backend+"/?n="+strconv.Itoa(n), nil)
	if err != nil {
		return err
	}
	resp, err := s.client.Do(req)
	if err != nil {
		return fmt.Errorf("call dependency: %w", err)
	}
	defer resp.Body.Close()
	_, err = io.Copy(io.Discard, resp.Body)
	return err
}

// listen serves h on a loopback port and returns its base URL.
func listen(h http.Handler) (string, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", fmt.Errorf("listen: %w", err)
	}
	go http.Serve(ln, h)
	return "http://" + ln.Addr().String(), nil
}

func run(args []string) error {
	fs := flag.NewFlagSet(program, flag.ContinueOnError)
	cfg := harness.Register(fs, harness.Config{Duration: time.Second, RPS: 400, Workers: 64})
	lockWork := fs.Int("lock-work", 2000, "checksum rounds done while holding the shared lock")
	flushEvery := fs.Int("flush-every", 50, "every Nth update flushes the table while holding the lock (0 = never)")
	flush := fs.Duration("flush", 15*time.Millisecond, "how long a flush takes")
	slowEvery := fs.Int("slow-every", 40, "every Nth dependency call is slow (0 = never)")
	slow := fs.Duration("slow", 30*time.Millisecond, "how long a slow dependency call takes")
	if err := fs.Parse(args); err != nil {
		return err
	}
	transport := &http.Transport{MaxIdleConnsPerHost: cfg.Workers}
	client := &http.Client{Transport: transport, Timeout: 5 * time.Second}
	backend, err := listen(dependency(*slowEvery, *slow))
	if err != nil {
		return err
	}
	var lat harness.Latencies
	frontend, err := listen(&server{table: &rateTable{work: *lockWork, flushEvery: *flushEvery, flush: *flush}, backend: backend, client: client, lat: &lat})
	if err != nil {
		return err
	}
	harness.Logf(program, "frontend %s, dependency %s; serving %d rps for %v", frontend, backend, cfg.RPS, cfg.Duration)

	// The load generator is an HTTP client in the same process; Workers
	// bounds its connections, as a client pool would.
	loadClient := &http.Client{Transport: &http.Transport{MaxConnsPerHost: cfg.Workers, MaxIdleConnsPerHost: cfg.Workers}}
	var failures sync.Map
	win, err := cfg.Serve(func(ctx context.Context, id int) {
		if err := get(ctx, loadClient, frontend+"/?n="+strconv.Itoa(id)); err != nil {
			failures.Store(id, err.Error())
		}
	})
	if err != nil {
		return err
	}
	nfail := 0
	failures.Range(func(_, v any) bool {
		if nfail == 0 {
			harness.Logf(program, "request failed: %v", v)
		}
		nfail++
		return true
	})
	s := harness.Summary{Program: program, Extra: map[string]any{"lock_work": *lockWork, "flush_every": *flushEvery, "flush_ms": flush.Milliseconds(),
		"slow_every": *slowEvery, "slow_ms": slow.Milliseconds(), "failures": nfail}}
	lat.Summarize(&s)
	harness.Logf(program, "served %d requests, p99 %.2f ms", s.Requests, s.P99ms)
	return s.Print(win)
}

func get(ctx context.Context, c *http.Client, url string) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return err
	}
	resp, err := c.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("status %s", resp.Status)
	}
	_, err = io.Copy(io.Discard, resp.Body)
	return err
}
