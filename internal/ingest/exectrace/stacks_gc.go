package exectrace

import (
	"cmp"
	"slices"
	"time"

	exptrace "golang.org/x/exp/trace"

	"github.com/gcwatch/gcwatch/internal/model"
)

// The builder's side of GC stacks (Options.Stacks):
//
//   - Mark assists: the time a goroutine executes inside an assist goes to
//     the stack the assist began at, and to the type of the request it
//     works for, by the same rule as GCCPU.Assist and Request.Assist
//     (hooks where those counts change), so the split sums to the total.
//   - GC pauses: when a GC stop-the-world pause begins, every open request
//     notes one of its goroutines and where it was. The pause's range
//     begins before every proc has stopped: a goroutine running then (or
//     scheduled before the world is stopped) is stopped by the pause, and
//     the transition that stops it carries its stack, which replaces the
//     one noted (real traces show a "preempted" stop, with a stack, for
//     every goroutine running when the world stops). A goroutine that does
//     not run during the pause is where its latest stack put it: blocked
//     or preempted there. A request begun inside a pause notes the
//     goroutine that began it, by the same rule.

// stackState is what the builder keeps for GC stacks.
type stackState struct {
	on     bool
	table  stackTable
	assist map[assistKey]time.Duration
	// pending are the pause stacks of the pauses in progress: the stack
	// their goroutine stops with before the pause ends replaces the one
	// noted.
	pending []pendingStack
	picks   map[*task]*goroutine
	// all holds every finished request's pause stacks; requestRec.pauses
	// indexes it.
	all      chunked[pauseStackRec]
	drained  []model.PauseStack
	noneType uint32
}

type assistKey struct {
	stack int32
	typ   uint32 // index in builder.typeNames
}

// pauseStackRec is a pause stack without pointers, kept per request.
type pauseStackRec struct {
	pauseStart model.Time
	goroutine  int64
	stack      int32
}

type pendingStack struct {
	g     int64
	tk    *task
	i     int // in tk.pauseStacks
	pause int // index in Run.Pauses
}

func (b *builder) enableStacks() {
	b.stk.on = true
	b.stk.assist = make(map[assistKey]time.Duration)
	b.stk.picks = make(map[*task]*goroutine)
	b.stk.noneType = b.typeIndex("")
}

// stackSeen applies a recStack record.
func (b *builder) stackSeen(rec *record) {
	if !b.stk.on {
		return
	}
	id := b.stk.table.global(rec.arg)
	g := b.goroutine(rec.g)
	if rec.flag&flagAssistStack != 0 && !g.assist {
		g.assistStack = id
	}
	if id == 0 {
		return
	}
	g.stack, g.stackAt = id, model.Time(rec.t)
}

// stoppedWithStack resolves the pause stacks waiting for g to stop: the
// stack of the transition that stopped it came just before (or, when the
// same as its previous one, was not repeated).
func (b *builder) stoppedWithStack(g *goroutine) {
	b.stk.pending = slices.DeleteFunc(b.stk.pending, func(p pendingStack) bool {
		if p.g == g.id {
			if g.stack != 0 {
				p.tk.pauseStacks[p.i].stack = g.stack
			}
			return true
		}
		return false
	})
}

// assistSwitched follows g's assist flag, just changed (stacks on).
func (b *builder) assistSwitched(t model.Time, g *goroutine) {
	if g.state == exptrace.GoRunning {
		if g.assist {
			g.assistFrom = t
		} else {
			b.assistExecuted(t, g)
		}
	}
	if !g.assist {
		g.assistStack = 0
	}
}

// assistExecuted credits g's assist stack with its executing time up to
// t. g is running inside an assist until t.
func (b *builder) assistExecuted(t model.Time, g *goroutine) {
	if !b.stk.on {
		return
	}
	if g.assistDone {
		g.assistFrom = t // past mark termination: not assist CPU
		return
	}
	if d := t.Sub(g.assistFrom); d > 0 {
		typ := b.stk.noneType
		if last := g.work.last; last != nil {
			typ = last.task.rec.typ // the request it joined last
		}
		b.stk.assist[assistKey{g.assistStack, typ}] += d
	}
	g.assistFrom = t
}

// pauseBegan notes, for every open request, the goroutine working for it
// and its stack when GC pause pause began; stopper stopped the world.
func (b *builder) pauseBegan(t model.Time, pause int, stopper int64) {
	if !b.stk.on {
		return
	}
	picks := b.stk.picks
	clear(picks)
	for _, g := range b.goroutines {
		for m := g.work.first; m != nil; m = m.next {
			if cur, ok := picks[m.task]; !ok || rankBefore(g, cur) {
				picks[m.task] = g
			}
		}
	}
	for tk, g := range picks {
		tk.pauseStacks = append(tk.pauseStacks, pauseStackRec{pauseStart: t, goroutine: g.id, stack: g.stack})
		if g.id != stopper {
			b.stk.pending = append(b.stk.pending, pendingStack{g: g.id, tk: tk, i: len(tk.pauseStacks) - 1, pause: pause})
		}
	}
}

// joinedDuringPause notes g's stack for the GC pauses in progress when g
// joins tk, if tk has none for them yet: a request can begin inside a
// pause, on a goroutine the pause has not stopped yet. Stacks are on.
func (b *builder) joinedDuringPause(g *goroutine, tk *task) {
	if b.gc.gcSTW == 0 {
		return
	}
	for _, stw := range b.gc.stws {
		if !stw.gc || stw.released > 0 {
			continue // not a pause any more: the world is restarting
		}
		start := b.run.Pauses[stw.pause].Start
		if slices.ContainsFunc(tk.pauseStacks, func(p pauseStackRec) bool { return p.pauseStart == start }) {
			continue
		}
		tk.pauseStacks = append(tk.pauseStacks, pauseStackRec{pauseStart: start, goroutine: g.id, stack: g.stack})
		if g.id != stw.g {
			b.stk.pending = append(b.stk.pending, pendingStack{g: g.id, tk: tk, i: len(tk.pauseStacks) - 1, pause: stw.pause})
		}
	}
}

// rankBefore orders a request's goroutines at a pause: the one running
// (the pause interrupts it), else the one whose stack is the most recent,
// then the lowest id, so that the choice does not depend on map order.
func rankBefore(x, y *goroutine) bool {
	xr, yr := x.state == exptrace.GoRunning, y.state == exptrace.GoRunning
	if xr != yr {
		return xr
	}
	if x.stackAt != y.stackAt {
		return x.stackAt > y.stackAt
	}
	return x.id < y.id
}

// pauseEnded drops what still waited for pause's goroutines to stop.
func (b *builder) pauseEnded(pause int) {
	if len(b.stk.pending) > 0 {
		b.stk.pending = slices.DeleteFunc(b.stk.pending, func(p pendingStack) bool { return p.pause == pause })
	}
}

// keepPauseStacks stores tk's pause stacks with its finished record.
func (b *builder) keepPauseStacks(tk *task) {
	if !b.stk.on {
		return
	}
	if len(b.stk.pending) > 0 {
		b.stk.pending = slices.DeleteFunc(b.stk.pending, func(p pendingStack) bool { return p.tk == tk })
	}
	tk.rec.pauses = b.stk.all.n
	tk.rec.pauseN = uint32(len(tk.pauseStacks))
	for _, p := range tk.pauseStacks {
		b.stk.all.add(p)
	}
	tk.pauseStacks = nil
}

// requestPauseStacks returns r's pause stacks once drainPauseStacks ran.
func (b *builder) requestPauseStacks(r *requestRec) []model.PauseStack {
	if r.pauseN == 0 {
		return nil
	}
	end := r.pauses + int(r.pauseN)
	return b.stk.drained[r.pauses:end:end]
}

func (b *builder) drainPauseStacks() {
	if !b.stk.on {
		return
	}
	out := make([]model.PauseStack, 0, b.stk.all.n)
	b.stk.all.drain(func(p *pauseStackRec) {
		out = append(out, model.PauseStack{PauseStart: p.pauseStart, Goroutine: uint64(p.goroutine), Stack: modelIndex(p.stack)})
	})
	b.stk.drained = out
}

// finishAssists credits the assists still executing at the end of the
// window; it runs before the open requests are closed.
func (b *builder) finishAssists(end model.Time) {
	if !b.stk.on {
		return
	}
	for _, g := range b.goroutines {
		if g.assist && g.state == exptrace.GoRunning {
			b.assistExecuted(end, g)
		}
	}
}

// finishStacks puts the stack table and the assist split in the run.
func (b *builder) finishStacks() {
	if !b.stk.on {
		return
	}
	run := b.run
	run.Fidelity.Stacks = true
	run.Stacks = b.stk.table.stacks
	for k, d := range b.stk.assist {
		run.AssistStacks = append(run.AssistStacks, model.AssistStack{
			Stack: modelIndex(k.stack), RequestType: b.typeNames[k.typ], Time: d,
		})
	}
	slices.SortFunc(run.AssistStacks, func(x, y model.AssistStack) int {
		return cmp.Or(cmp.Compare(y.Time, x.Time), cmp.Compare(x.Stack, y.Stack), cmp.Compare(x.RequestType, y.RequestType))
	})
}
