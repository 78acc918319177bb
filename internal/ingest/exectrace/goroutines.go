package exectrace

import (
	"time"

	exptrace "golang.org/x/exp/trace"

	"github.com/gcwatch/gcwatch/internal/model"
)

// noGoroutine marks "no goroutine" in ids (x/exp's NoGoroutine).
const noGoroutine = int64(exptrace.NoGoroutine)

// maxProcID bounds the proc table: proc ids are dense and small
// (0..GOMAXPROCS-1); a larger id is treated as an unknown proc rather than
// growing the table from a damaged trace.
const maxProcID = 1 << 16

// maxSpare bounds the goroutine records kept for reuse.
const maxSpare = 1024

// goroutine is what the state machine knows about one live goroutine.
type goroutine struct {
	id     int64
	state  exptrace.GoState
	p      int32      // proc it runs on while running, else -1
	worker workerKind // background mark worker mode of its current run
	assist bool       // inside a mark-assist range
	// assistDone and workerDone: its assist range or worker run went on
	// into mark termination (it stopped the world for it). What follows
	// is GC work (the mutator does not run) but not assist or worker time
	// in the runtime's accounting; see stopperLeavesGCWork.
	assistDone, workerDone bool
	sweep                  bool // its proc sweeps on its behalf
	// since is the time up to which its task accounting is done; markAt
	// is the mark clock at since.
	since   model.Time
	markAt  time.Duration
	work    workList     // tasks it works for right now (tasks.go)
	regions []openRegion // its open regions, innermost last
	srv     *server      // a recognised server goroutine (infer.go), else nil
	// GC stacks (stacks_gc.go): its latest stack and when it was seen,
	// the stack its assist began at, and since when it executes it.
	stack       int32
	stackAt     model.Time
	assistStack int32
	assistFrom  model.Time
}

// proc is what the state machine knows about one P.
type proc struct {
	known    bool  // the trace declared its state
	held     bool  // an M holds it (the trace's ProcRunning)
	running  int64 // goroutine running on it, or noGoroutine
	sweeping bool
	sweeper  int64 // goroutine the sweep runs for, or noGoroutine
}

func (b *builder) goroutine(id int64) *goroutine {
	slot := &b.recent[uint64(id)%uint64(len(b.recent))]
	if g := *slot; g != nil && g.id == id {
		return g
	}
	if g, ok := b.goroutines[id]; ok {
		*slot = g
		return g
	}
	var g *goroutine
	if n := len(b.spare); n > 0 {
		g = b.spare[n-1]
		b.spare = b.spare[:n-1]
		*g = goroutine{regions: g.regions[:0]}
	} else {
		g = new(goroutine)
	}
	g.id = id
	g.p = -1
	g.since = b.last
	g.markAt = b.gc.markClock(b.last)
	b.goroutines[id] = g
	*slot = g
	return g
}

func (b *builder) proc(id int32) *proc {
	if id < 0 || id >= maxProcID {
		return nil
	}
	for int(id) >= len(b.ps) {
		b.ps = append(b.ps, proc{running: noGoroutine, sweeper: noGoroutine})
	}
	return &b.ps[id]
}

// procState notes what the trace says of a proc: that it is known, and
// whether an M holds it.
func (b *builder) procState(t model.Time, id int32, held bool) {
	p := b.proc(id)
	if p == nil {
		return
	}
	if !p.known {
		p.known = true
		b.known++
	}
	if p.held != held {
		was := p.busy()
		p.held = held
		b.procBusyChanged(t, p, was)
	}
}

// busy reports whether an M holds the proc or it runs a goroutine.
func (pr *proc) busy() bool { return pr.held || pr.running != noGoroutine }

// procBusyChanged counts pr in cpuState.busy when it became busy, or no
// longer is, since was. While a GC pause holds the world, that changes
// how many procs it takes.
func (b *builder) procBusyChanged(t model.Time, pr *proc, was bool) {
	now := pr.busy()
	if was == now {
		return
	}
	delta := 1
	if !now {
		delta = -1
	}
	if b.gc.holding != nil {
		b.advanceCPU(t)
		b.cpu.busy += delta
		b.noteWorld()
		b.feedMMU(t)
		return
	}
	b.cpu.busy += delta
}

// goState moves a goroutine to state to. Transitions from the
// undetermined state (status events at a generation start) and repeats of
// the current state are "ensure" operations, so a fresh reader per
// generation and one reader for the whole stream give the same result.
func (b *builder) goState(t model.Time, id int64, p int32, to exptrace.GoState) {
	g := b.goroutine(id)
	if to == g.state && (to != exptrace.GoRunning || g.p == p) {
		return
	}
	b.flush(g, t)
	if g.srv != nil {
		b.serverMoved(t, g, to)
	}
	if g.state == exptrace.GoRunning {
		b.leaveRunning(t, g)
	}
	g.state = to
	switch to {
	case exptrace.GoRunning:
		b.enterRunning(t, g, p)
	case exptrace.GoNotExist:
		b.destroy(t, g)
	}
}

func (b *builder) enterRunning(t model.Time, g *goroutine, p int32) {
	g.p = p
	g.worker = workerNone // a mark worker is labelled right after it starts
	if pr := b.proc(p); pr != nil {
		was := pr.busy()
		pr.running = g.id
		b.procBusyChanged(t, pr, was)
		if !pr.known {
			pr.known = true
			b.known++
		}
	}
	if g.assist {
		b.advanceCPU(t)
		b.cpu.assist++
		if g.assistDone {
			b.cpu.assistDone++
		}
		b.feedMMU(t)
		g.assistFrom = t
	}
}

func (b *builder) leaveRunning(t model.Time, g *goroutine) {
	if g.assist || g.worker != workerNone {
		b.advanceCPU(t)
		if g.assist {
			b.cpu.assist--
			if g.assistDone {
				b.cpu.assistDone--
			}
			b.assistExecuted(t, g)
		}
		if g.worker != workerNone {
			b.cpu.workers[g.worker]--
			if g.workerDone {
				b.cpu.workersDone[g.worker]--
			}
		}
		g.worker = workerNone
		g.workerDone = false
		b.feedMMU(t)
	}
	if pr := b.proc(g.p); pr != nil && pr.running == g.id {
		was := pr.busy()
		pr.running = noGoroutine
		b.procBusyChanged(t, pr, was)
	}
	g.p = -1
	b.stoppedRunning(t, g.id)
	if len(b.stk.pending) > 0 {
		b.stoppedWithStack(g)
	}
}

// label records a background mark worker's mode for its current run.
func (b *builder) label(t model.Time, id int64, kind workerKind) {
	g := b.goroutine(id)
	if g.worker == kind {
		return
	}
	if g.state == exptrace.GoRunning {
		b.advanceCPU(t)
		if g.worker != workerNone {
			b.cpu.workers[g.worker]--
			if g.workerDone {
				b.cpu.workersDone[g.worker]--
			}
		}
		b.cpu.workers[kind]++
		if g.workerDone {
			b.cpu.workersDone[kind]++
		}
		b.feedMMU(t)
	}
	g.worker = kind
}

func (b *builder) assist(t model.Time, id int64, on bool) {
	g := b.goroutine(id)
	if g.assist == on {
		return
	}
	b.flush(g, t)
	g.assist = on
	if b.stk.on {
		b.assistSwitched(t, g)
	}
	if g.state == exptrace.GoRunning {
		b.advanceCPU(t)
		if on {
			b.cpu.assist++
		} else {
			b.cpu.assist--
			if g.assistDone {
				b.cpu.assistDone--
			}
		}
		b.feedMMU(t)
	}
	g.assistDone = false
}

// sweep opens or closes an incremental sweep on proc p, done on behalf of
// goroutine gid (noGoroutine when none or unknown).
func (b *builder) sweep(t model.Time, p int32, gid int64, on bool) {
	pr := b.proc(p)
	if pr == nil || pr.sweeping == on {
		return
	}
	b.advanceCPU(t)
	if sweeper := pr.sweeper; sweeper != noGoroutine {
		if g, ok := b.goroutines[sweeper]; ok {
			b.flush(g, t)
			g.sweep = false
		}
		pr.sweeper = noGoroutine
	}
	pr.sweeping = on
	if on {
		b.cpu.sweep++
		if gid != noGoroutine {
			g := b.goroutine(gid)
			b.flush(g, t)
			g.sweep = true
			pr.sweeper = gid
		}
	} else {
		b.cpu.sweep--
	}
	b.feedMMU(t)
}

// destroy forgets a goroutine that ended: it stops working for its tasks
// and its open regions end with it.
func (b *builder) destroy(t model.Time, g *goroutine) {
	b.leaveAllTasks(t, g)
	for i := len(g.regions) - 1; i >= 0; i-- {
		b.closeRegion(g, g.regions[i], t, true)
	}
	g.regions = g.regions[:0]
	delete(b.goroutines, g.id)
	if slot := &b.recent[uint64(g.id)%uint64(len(b.recent))]; *slot == g {
		*slot = nil
	}
	if len(b.spare) < maxSpare {
		b.spare = append(b.spare, g)
	}
}

// finishGoroutines closes the regions still open at the end of the window.
func (b *builder) finishGoroutines(end model.Time) {
	for _, g := range b.goroutines {
		for i := len(g.regions) - 1; i >= 0; i-- {
			b.closeRegion(g, g.regions[i], end, true)
		}
		g.regions = g.regions[:0]
	}
}
