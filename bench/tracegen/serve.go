package main

import (
	"context"
	"math/rand/v2"
	"os"
	"runtime"
	"runtime/trace"
	"strconv"
	"sync"
	"sync/atomic"
	"time"
)

// session is a pointer-rich cached object, so that the GC has real marking
// to do.
type session struct {
	id      int
	user    string
	history []*event
	attrs   map[string]string
}

type event struct {
	at   time.Time
	kind string
	next *event
	data []byte
}

// cache is the live heap: sessions replaced at random.
type cache struct {
	mu       sync.Mutex
	sessions []*session
}

func newCache(n int) *cache {
	c := &cache{sessions: make([]*session, n)}
	for i := range c.sessions {
		c.sessions[i] = newSession(i)
	}
	return c
}

func newSession(id int) *session {
	s := &session{id: id, user: "user-" + strconv.Itoa(id), attrs: map[string]string{}}
	var prev *event
	for i := range 8 {
		e := &event{at: time.Now(), kind: "k" + strconv.Itoa(i%3), next: prev, data: make([]byte, 64)}
		s.history = append(s.history, e)
		prev = e
	}
	s.attrs["region"] = "eu"
	return s
}

func (c *cache) touch(r *rand.Rand) int {
	i := r.IntN(len(c.sessions))
	c.mu.Lock()
	defer c.mu.Unlock()
	if r.IntN(4) == 0 {
		c.sessions[i] = newSession(i)
	}
	return len(c.sessions[i].history)
}

// query is one round trip to the "database" goroutines.
type query struct {
	key   int
	reply chan int
}

// serve runs handlers fed by a load generator until stop closes; the
// returned function waits for them and says how many requests were served.
func serve(stop <-chan struct{}, annotate bool, w workload) func() int64 {
	c := newCache(200_000)
	requests := make(chan int, 256)
	queries := make(chan query, 64)
	devnull, err := os.OpenFile(os.DevNull, os.O_WRONLY, 0)
	if err != nil {
		panic(err)
	}
	for d := range 2 * runtime.GOMAXPROCS(0) {
		go database(c, queries, uint64(d))
	}
	var served atomic.Int64
	var wg sync.WaitGroup
	for h := range 4 * runtime.GOMAXPROCS(0) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			s := &server{queries: queries, log: devnull, annotate: annotate, workload: w,
				rand: rand.New(rand.NewPCG(uint64(h), 1)), reply: make(chan int, 1)}
			for id := range requests {
				s.handle(id)
				served.Add(1)
			}
		}()
	}
	go func() {
		defer close(requests)
		for id := 0; ; id++ {
			select {
			case <-stop:
				return
			case requests <- id:
			}
		}
	}()
	return func() int64 {
		wg.Wait()
		devnull.Close()
		return served.Load()
	}
}

// database answers queries by touching the cache.
func database(c *cache, queries <-chan query, seed uint64) {
	r := rand.New(rand.NewPCG(seed, 2))
	for q := range queries {
		n := c.touch(r)
		rows := make([]*event, 0, 4)
		for i := range 4 {
			rows = append(rows, &event{kind: "row", data: make([]byte, 32+q.key%64+i)})
		}
		q.reply <- n + len(rows)
	}
}

// workload is how much a request does besides its task and regions; it
// sets how many bytes of trace a request makes.
type workload struct {
	queries int // database round trips, each a few goroutine switches
	writes  int // log writes (system calls)
	logEach int // a request logs when its id is a multiple of this
}

var workloads = map[string]workload{
	// A service request: dozens of round trips to other goroutines and
	// a few system calls, a few KB of trace per request.
	"realistic": {queries: 96, writes: 6, logEach: 1},
	// As many requests as possible: a task and its regions every few
	// hundred bytes of trace, the worst case for what ingest keeps.
	"dense": {queries: 6, writes: 1, logEach: 4},
}

type server struct {
	workload
	queries  chan<- query
	log      *os.File
	annotate bool
	rand     *rand.Rand
	reply    chan int
}

// region runs f inside a trace region when annotating.
func (s *server) region(ctx context.Context, name string, f func()) {
	if s.annotate {
		trace.WithRegion(ctx, name, f)
		return
	}
	f()
}

// handle serves one request: decode, query, fan out, render, log.
func (s *server) handle(id int) {
	ctx := context.Background()
	if s.annotate {
		var task *trace.Task
		ctx, task = trace.NewTask(ctx, "request")
		defer task.End()
	}
	var fields map[string]string
	s.region(ctx, "decode", func() {
		fields = make(map[string]string, 8)
		for i := range 8 {
			fields["f"+strconv.Itoa(i)] = strconv.Itoa(id * i)
		}
	})
	total := 0
	s.region(ctx, "query", func() {
		for range s.workload.queries {
			s.queries <- query{key: s.rand.IntN(1 << 20), reply: s.reply}
			total += <-s.reply
		}
	})
	if id%8 == 0 {
		var wg sync.WaitGroup
		results := make([][]byte, 2)
		for i := range results {
			size := 2048 + s.rand.IntN(2048)
			wg.Add(1)
			go func() {
				defer wg.Done()
				s.region(ctx, "fanout", func() { results[i] = make([]byte, size) })
			}()
		}
		wg.Wait()
	}
	var page []byte
	s.region(ctx, "render", func() {
		page = make([]byte, 0, 512)
		for k, v := range fields {
			page = append(page, k...)
			page = append(page, '=')
			page = append(page, v...)
		}
		page = strconv.AppendInt(page, int64(total), 10)
	})
	if id%s.logEach == 0 {
		for range s.writes {
			s.log.Write(page) // a real system call, as logging would make
		}
	}
}
