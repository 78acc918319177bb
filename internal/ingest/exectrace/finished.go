package exectrace

import (
	"time"

	"github.com/gcwatch/gcwatch/internal/model"
)

// A request-heavy trace ends up with millions of requests and regions.
// Kept as model values while streaming, each carries pointers (type
// strings, goroutine lists) that the GC would scan on every cycle, and each
// goroutine list is an allocation. So finished requests wait encoded
// (reqstore.go) and go into the run's compact model.Requests once, at the
// end; regions go straight into the compact model.Regions.

const storeChunk = 4096

// chunked is an append-only sequence in fixed-size chunks: growing it
// never copies what is already there.
type chunked[T any] struct {
	chunks [][]T
	n      int
}

func (c *chunked[T]) add(v T) {
	k := len(c.chunks)
	if k == 0 || len(c.chunks[k-1]) == cap(c.chunks[k-1]) {
		c.chunks = append(c.chunks, make([]T, 0, storeChunk))
		k++
	}
	c.chunks[k-1] = append(c.chunks[k-1], v)
	c.n++
}

// drain calls f on every element in order, dropping each chunk once done.
func (c *chunked[T]) drain(f func(*T)) {
	for i, chunk := range c.chunks {
		for j := range chunk {
			f(&chunk[j])
		}
		c.chunks[i] = nil
	}
	c.chunks, c.n = nil, 0
}

// requestRec is a finished request without pointers: its type is an index
// into builder.typeNames; its goroutines are stored beside it
// (requestStore).
type requestRec struct {
	id, parent         uint64
	start, end         model.Time
	running, runnable  time.Duration
	runnableDuringMark time.Duration
	blocked, syscall   time.Duration
	assist, sweep      time.Duration
	listed             int // goroutines listed
	total              int // goroutines that worked for it
	pauses             int // offset in builder.stk.all
	pauseN             uint32
	typ                uint32
	open               bool
}

// regionRec is a finished region without pointers.
type regionRec struct {
	task, goroutine uint64
	start, end      model.Time
	typ             uint32
	open            bool
}

type results struct {
	requests requestStore
}

// typeSlot is an entry of builder.typeCache.
type typeSlot struct {
	name string
	idx  uint32
	ok   bool
}

// typeIndex interns a task or region type. A few types recur on every
// task and region record, and hashing the whole string for the map was
// a tenth of a request-dense trace's state machine: a small cache keyed
// by length and first byte answers first.
func (b *builder) typeIndex(s string) uint32 {
	h := len(s)
	if h > 0 {
		h += int(s[0])
	}
	slot := &b.typeCache[h%len(b.typeCache)]
	if slot.ok && slot.name == s {
		return slot.idx
	}
	i, ok := b.typeIdx[s]
	if !ok {
		i = uint32(len(b.typeNames))
		b.typeNames = append(b.typeNames, s)
		b.typeIdx[b.typeNames[i]] = i
	}
	*slot = typeSlot{name: b.typeNames[i], idx: i, ok: true}
	return i
}

// request turns a stored request, whose goroutines are gors, into the
// run's. Its Goroutines share gors' memory: model.Requests.Append copies
// them.
func (b *builder) request(r *requestRec, gors []uint64, kind model.RequestKind) model.Request {
	req := model.Request{
		ID: r.id, Parent: r.parent, Type: b.typeNames[r.typ], Kind: kind,
		Start: r.start, End: r.end, Open: r.open, GoroutinesTotal: r.total,
		Running: r.running, Runnable: r.runnable, RunnableDuringMark: r.runnableDuringMark,
		Blocked: r.blocked, Syscall: r.syscall, Assist: r.assist, Sweep: r.sweep,
		Accounted: true, PauseStacks: b.requestPauseStacks(r),
	}
	if len(gors) > 0 {
		req.Goroutines = gors
	}
	return req
}

// materialise turns the stored requests into the run's.
func (b *builder) materialise() {
	b.drainPauseStacks()
	reqs := &model.Requests{}
	b.results.requests.drain(func(r *requestRec, gors []uint64) {
		reqs.Append(b.request(r, gors, model.RequestTask))
	})
	b.appendInferred(reqs)
	if reqs.Len() > 0 {
		b.run.Requests = reqs
	}
}
