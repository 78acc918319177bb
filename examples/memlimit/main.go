// Command memlimit is a session service run with a memory limit just above
// its live heap (for example GOMEMLIMIT=110MiB over ~100 MB of sessions).
// The heap goal is then set by the limit rather than by GOGC: the headroom
// for new allocation is a few MB, the GC runs back to back, and the GC CPU
// limiter caps the collector's share of CPU, which lets the heap overshoot
// the limit instead of collecting even more often.
package main

import (
	"context"
	"flag"
	"fmt"
	"hash/fnv"
	"math/rand/v2"
	"os"
	"runtime/trace"
	"strconv"
	"sync"
	"time"

	"github.com/gcwatch/gcwatch/examples/internal/harness"
)

const program = "memlimit"

func main() {
	if err := run(os.Args[1:]); err != nil {
		fmt.Fprintf(os.Stderr, "%s: %v\n", program, err)
		os.Exit(1)
	}
}

type session struct {
	user    string
	state   []byte // serialized client state
	recent  []*view
	touched time.Time
}

type view struct {
	path string
	at   time.Time
}

// store is the live heap: sessions kept until they expire (they do not
// during a recording).
type store struct {
	mu       sync.RWMutex
	sessions map[int]*session
}

// Each session keeps its serialized state and its recent page views, many
// small objects full of pointers, so marking the live heap is real work.
const (
	stateBytes  = 1 << 10
	recentViews = 64
	// sessionBytes is a rough size of one session, to turn -live-mb into a
	// number of sessions.
	sessionBytes = stateBytes + recentViews*(48+16+8) + 128
)

func newStore(liveMB int) *store {
	n := liveMB << 20 / sessionBytes
	s := &store{sessions: make(map[int]*session, n)}
	for i := range n {
		sess := &session{user: "user-" + strconv.Itoa(i), state: make([]byte, stateBytes)}
		for j := range recentViews {
			sess.recent = append(sess.recent, &view{path: "/page/" + strconv.Itoa(j)})
		}
		s.sessions[i] = sess
	}
	return s
}

// handle loads a session, renders a page from its state (garbage), and
// records the view, replacing the oldest one so the live heap stays flat.
func (s *store) handle(ctx context.Context, id int, rng *rand.Rand, pageBytes int) uint64 {
	var sess *session
	trace.WithRegion(ctx, "load session", func() {
		s.mu.RLock()
		sess = s.sessions[rng.IntN(len(s.sessions))]
		s.mu.RUnlock()
	})
	var sum uint64
	trace.WithRegion(ctx, "render", func() {
		page := make([]byte, 0, pageBytes)
		for len(page) < pageBytes {
			page = append(page, sess.user...)
			page = strconv.AppendInt(page, int64(id), 10)
			page = append(page, sess.state[:256]...)
		}
		h := fnv.New64a()
		h.Write(page)
		sum = h.Sum64()
	})
	trace.WithRegion(ctx, "record view", func() {
		s.mu.Lock()
		sess.recent = append(sess.recent[1:], &view{path: "/page/" + strconv.Itoa(id), at: time.Now()})
		sess.touched = time.Now()
		s.mu.Unlock()
	})
	return sum
}

func run(args []string) error {
	fs := flag.NewFlagSet(program, flag.ContinueOnError)
	cfg := harness.Register(fs, harness.Config{Duration: 1500 * time.Millisecond, RPS: 1500, Workers: 8})
	liveMB := fs.Int("live-mb", 100, "approximate live heap of sessions, in MB")
	pageKB := fs.Int("page-kb", 48, "garbage rendered per request, in KB")
	if err := fs.Parse(args); err != nil {
		return err
	}
	st := newStore(*liveMB)
	harness.Logf(program, "%d sessions loaded; serving %d rps for %v", len(st.sessions), cfg.RPS, cfg.Duration)

	var lat harness.Latencies
	pool := harness.NewPool(cfg.Workers, &lat)
	win, err := cfg.Serve(func(ctx context.Context, id int) {
		rng := rand.New(rand.NewPCG(uint64(id), 11))
		pool.Serve(ctx, func(ctx context.Context) { st.handle(ctx, id, rng, *pageKB<<10) })
	})
	if err != nil {
		return err
	}
	s := harness.Summary{Program: program, Extra: map[string]any{"sessions": len(st.sessions), "live_mb_target": *liveMB}}
	if v := limiterLastEnabled(); v > 0 {
		s.Extra["gc_limiter_last_enabled_cycle"] = v
	}
	lat.Summarize(&s)
	harness.Logf(program, "served %d requests, p99 %.2f ms", s.Requests, s.P99ms)
	return s.Print(win)
}
