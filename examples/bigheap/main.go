// Command bigheap is a ledger service that keeps every account and its
// recent history in memory: a large, pointer-rich live heap (a search tree
// of accounts, each with a linked list of events) and a moderate allocation
// rate. Each GC cycle must trace hundreds of MB of pointers, so mark phases
// are long and cost a lot of CPU whatever GOGC is; raising GOGC only trades
// memory for fewer such cycles.
//
// Nearly all of its allocation is one hot path: every request renders the
// account's statement into a new buffer of -render-kb. -reuse-buffers N
// fixes that path in part or whole, as a code review would: the statement
// is rendered into a reused buffer (a free list as large as the worker
// pool) on every request but one in N, so N=4 allocates a quarter of what
// it did and N=0 allocates a buffer only when the free list is empty. The
// work per request stays the same.
package main

import (
	"context"
	"flag"
	"fmt"
	"math/rand/v2"
	"os"
	"runtime/debug"
	"runtime/trace"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/gcwatch/gcwatch/examples/internal/harness"
)

const program = "bigheap"

func main() {
	if err := run(os.Args[1:]); err != nil {
		fmt.Fprintf(os.Stderr, "%s: %v\n", program, err)
		os.Exit(1)
	}
}

type event struct {
	amount int64
	at     int64
	memo   string
	next   *event
}

type account struct {
	mu      sync.Mutex
	id      int64
	name    string
	balance int64
	history *event // newest first
	length  int
}

type treeNode struct {
	key         int64
	left, right *treeNode
	acct        *account
}

// ledger is the live heap: a balanced search tree over the accounts.
type ledger struct {
	root     *treeNode
	accounts int
	keep     int // events kept per account
}

// bytesPerAccount is a rough size of one account with its history, used only
// to turn -live-mb into a number of accounts.
func bytesPerAccount(history int) int { return 48 + 96 + history*64 }

func newLedger(accounts, history int) *ledger {
	l := &ledger{accounts: accounts, keep: history}
	l.root = build(0, int64(accounts), history)
	return l
}

func build(lo, hi int64, history int) *treeNode {
	if lo >= hi {
		return nil
	}
	mid := lo + (hi-lo)/2
	a := &account{id: mid, name: "acct-" + strconv.FormatInt(mid, 10)}
	for i := range history {
		a.history = &event{amount: int64(i), at: int64(i), memo: "opening " + strconv.Itoa(i), next: a.history}
		a.balance += int64(i)
	}
	a.length = history
	return &treeNode{key: mid, acct: a, left: build(lo, mid, history), right: build(mid+1, hi, history)}
}

func (l *ledger) find(key int64) *account {
	n := l.root
	for n != nil {
		switch {
		case key < n.key:
			n = n.left
		case key > n.key:
			n = n.right
		default:
			return n.acct
		}
	}
	return nil
}

// post adds an event and drops the oldest, so the live heap stays the same
// size while the dropped events become garbage.
func (a *account) post(amount int64, memo string) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.history = &event{amount: amount, at: time.Now().UnixNano(), memo: memo, next: a.history}
	a.balance += amount
	a.length++
	if a.length > 1 {
		e := a.history
		for i := 1; i < a.length-1; i++ {
			e = e.next
		}
		if a.length > 2 {
			e.next = nil
			a.length--
		}
	}
}

// statement renders the account's history into a new buffer, as an export
// endpoint would.
func (a *account) statement(renderBytes int) []byte {
	return a.statementInto(make([]byte, 0, renderBytes), renderBytes)
}

// statementInto renders the account's history into out, which has room for
// renderBytes.
func (a *account) statementInto(out []byte, renderBytes int) []byte {
	a.mu.Lock()
	var b strings.Builder
	fmt.Fprintf(&b, "%s balance %d\n", a.name, a.balance)
	for e := a.history; e != nil; e = e.next {
		fmt.Fprintf(&b, "%d %d %s\n", e.at, e.amount, e.memo)
	}
	a.mu.Unlock()
	out = out[:0]
	for len(out)+b.Len() <= renderBytes {
		out = append(out, b.String()...)
	}
	return out
}

// buffers is the fixed hot path's free list of statement buffers.
type buffers struct {
	free  chan []byte
	size  int
	every int // a new buffer on one request in every; 0: only when none is free
}

// render renders a's statement for request id, into a buffer from the free
// list unless this request is one that allocates.
func (b *buffers) render(a *account, id int) {
	if b.every == 1 {
		_ = a.statement(b.size)
		return
	}
	var buf []byte
	if b.every == 0 || id%b.every != 0 {
		select {
		case buf = <-b.free:
		default:
		}
	}
	if buf == nil {
		buf = make([]byte, 0, b.size)
	}
	buf = a.statementInto(buf, b.size)
	select {
	case b.free <- buf:
	default:
	}
}

func run(args []string) error {
	fs := flag.NewFlagSet(program, flag.ContinueOnError)
	cfg := harness.Register(fs, harness.Config{Duration: 3 * time.Second, RPS: 800, Workers: 8})
	liveMB := fs.Int("live-mb", 320, "approximate live heap to build, in MB")
	history := fs.Int("history", 24, "events kept per account")
	renderKB := fs.Int("render-kb", 128, "size of each rendered statement, in KB")
	reuse := fs.Int("reuse-buffers", 1, "allocate a new statement buffer on one request in `N` and reuse one otherwise (1: a new buffer every request, the unfixed code; 0: reuse whenever one is free)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	accounts := *liveMB << 20 / bytesPerAccount(*history)
	// Loading runs with the collector off, as a service might while it
	// restores a snapshot; the setting in force (GOGC) comes back after.
	gogc := debug.SetGCPercent(-1)
	start := time.Now()
	led := newLedger(accounts, *history)
	debug.SetGCPercent(gogc)
	harness.Logf(program, "loaded %d accounts in %v; serving %d rps for %v", accounts, time.Since(start).Round(time.Millisecond), cfg.RPS, cfg.Duration)

	if *reuse < 0 {
		return fmt.Errorf("-reuse-buffers %d: want 0 or more", *reuse)
	}
	bufs := &buffers{free: make(chan []byte, cfg.Workers), size: *renderKB << 10, every: *reuse}
	var lat harness.Latencies
	pool := harness.NewPool(cfg.Workers, &lat)
	win, err := cfg.Serve(func(ctx context.Context, id int) {
		rng := rand.New(rand.NewPCG(uint64(id), 7))
		pool.Serve(ctx, func(ctx context.Context) {
			var a *account
			trace.WithRegion(ctx, "lookup", func() { a = led.find(rng.Int64N(int64(led.accounts))) })
			trace.WithRegion(ctx, "post", func() { a.post(rng.Int64N(1000)-500, "payment "+strconv.Itoa(id)) })
			trace.WithRegion(ctx, "render", func() { bufs.render(a, id) })
		})
	})
	if err != nil {
		return err
	}
	s := harness.Summary{Program: program, Extra: map[string]any{"accounts": accounts, "history": *history, "live_mb_target": *liveMB, "reuse_buffers": *reuse}}
	lat.Summarize(&s)
	harness.Logf(program, "served %d requests, p99 %.2f ms", s.Requests, s.P99ms)
	return s.Print(win)
}
