package exectrace

import (
	"slices"
	"time"

	exptrace "golang.org/x/exp/trace"

	"github.com/gcwatch/gcwatch/internal/model"
)

// STW reasons of the two GC pauses (runtime stwReasonStrings).
const (
	reasonSweepTermination = "GC sweep termination"
	reasonMarkTermination  = "GC mark termination"
)

// gcState follows GC cycles and stop-the-world pauses.
type gcState struct {
	cur  int // index in Run.Cycles of the cycle in progress, or -1
	last int // index of the latest cycle begun, or -1: CPU goes there
	n    int // cycles counted

	// The mark clock counts time spent in concurrent mark phases, so that
	// runnable time during marking is a difference of two readings.
	marking   bool
	markTotal time.Duration
	markFrom  model.Time

	rangeEnded bool // the cycle's GC range ended (mark termination may go on)
	inMarkTerm bool // the cycle's mark-termination pause is in progress

	stws  []openSTW
	gcSTW int // GC stop-the-world pauses in progress

	// holding is the GC pause whose world is stopped as the runtime counts
	// it (see releaseWorld), or nil: its stopped procs are charged as
	// stop-the-world CPU.
	holding *heldWorld
}

// heldWorld is a GC pause from its start until the runtime's pause clock
// stops.
type heldWorld struct {
	pause   int   // index in Run.Pauses
	stopper int64 // the goroutine that stopped the world
	// stopped is set once every proc but the stopper's has stopped;
	// restarting once another proc is busy again after that: the world
	// is being restarted, and the runtime no longer counts pause CPU (for
	// sweep termination it stops before it hands the procs back, while
	// its pause clock runs until they have been).
	stopped, restarting bool
}

// openSTW is a stop-the-world pause in progress.
type openSTW struct {
	g     int64 // the goroutine stopping the world
	pause int   // index in Run.Pauses
	gc    bool
	// waiting are the goroutines that were running on other procs when the
	// pause began; the pause's time to stop is when the last one stopped.
	waiting []int64
	unknown bool // some proc's state was unknown when the pause began
	// released is when the runtime's pause clock stopped, before the
	// trace's range ends (0 until then).
	released model.Time
}

func (gs *gcState) init() { gs.cur, gs.last = -1, -1 }

func (gs *gcState) markClock(t model.Time) time.Duration {
	if gs.marking {
		return gs.markTotal + t.Sub(gs.markFrom)
	}
	return gs.markTotal
}

func (b *builder) startMark(t model.Time) {
	if !b.gc.marking {
		b.gc.marking = true
		b.gc.markFrom = t
	}
}

// stopMark ends the concurrent mark interval of the current cycle at t.
func (b *builder) stopMark(t model.Time, c *model.Cycle) {
	if !b.gc.marking {
		return
	}
	b.gc.markTotal += t.Sub(b.gc.markFrom)
	b.gc.marking = false
	if c != nil {
		c.Mark += t.Sub(b.gc.markFrom)
	}
}

func (b *builder) cycle() *model.Cycle {
	if b.gc.cur < 0 {
		return nil
	}
	return &b.run.Cycles[b.gc.cur]
}

// gcBegin opens a cycle at the start of a "GC concurrent mark phase"
// range. An active range at a generation start only ensures a cycle is
// open: when none is, the trace began during the cycle.
func (b *builder) gcBegin(t model.Time, active, forced bool) {
	if b.gc.cur >= 0 {
		if active {
			return
		}
		b.closeCycle(t, true) // the previous cycle's end was lost
	}
	b.advanceCPU(t)
	b.gc.n++
	c := model.Cycle{
		N: b.gc.n, Start: t, End: t, Forced: forced, Procs: b.procs,
		HeapStart: b.heapNow, HeapEnd: model.Unknown, HeapLive: model.Unknown,
		HeapGoal: b.goalNow, Stacks: model.Unknown, Globals: model.Unknown,
		CumulativeCPUPercent: -1, From: model.FromTrace,
	}
	if active {
		// The trace started while marking: starting a trace stops the
		// world, which cannot happen inside a GC pause.
		c.Partial = true
		c.HeapStart = model.Unknown
		b.startMark(t)
	}
	b.run.Cycles = append(b.run.Cycles, c)
	b.gc.cur = len(b.run.Cycles) - 1
	b.gc.last = b.gc.cur
	b.gc.rangeEnded = false
	b.gc.inMarkTerm = false
	b.heap.pin(t, b.heapNow, b.goalNow)
}

func (b *builder) gcEnd(t model.Time) {
	if b.gc.cur < 0 {
		return
	}
	b.gc.rangeEnded = true
	if !b.gc.inMarkTerm {
		b.closeCycle(t, false)
	}
}

// closeCycle ends the current cycle at t; partial when its end was not
// seen.
func (b *builder) closeCycle(t model.Time, partial bool) {
	c := b.cycle()
	if c == nil {
		return
	}
	b.stopMark(t, c)
	c.End = max(c.End, t)
	c.Partial = c.Partial || partial
	b.gc.cur = -1
	b.gc.inMarkTerm = false
}

func pauseKind(reason string) model.PauseKind {
	switch reason {
	case reasonSweepTermination:
		return model.PauseSweepTermination
	case reasonMarkTermination:
		return model.PauseMarkTermination
	}
	return model.PauseNonGC
}

func (b *builder) stwBegin(t model.Time, gid int64, reason string) {
	kind := pauseKind(reason)
	p := model.Pause{
		Start: t, Kind: kind, Reason: b.typeNames[b.typeIndex(reason)], Cycle: -1, TimeToStop: -1,
	}
	if gid != noGoroutine {
		p.Goroutine = uint64(gid)
	}
	stw := openSTW{g: gid, pause: len(b.run.Pauses), gc: kind != model.PauseNonGC}
	if c := b.cycle(); c != nil && stw.gc {
		p.Cycle = b.gc.cur
		b.beginGCPause(t, c, kind)
	}
	stw.unknown = b.procs == 0 || b.known < b.procs
	for _, pr := range b.ps {
		if pr.running != noGoroutine && pr.running != gid {
			stw.waiting = append(stw.waiting, pr.running)
		}
	}
	if len(stw.waiting) == 0 && !stw.unknown {
		p.TimeToStop = 0
	}
	b.run.Pauses = append(b.run.Pauses, p)
	b.gc.stws = append(b.gc.stws, stw)
	if stw.gc {
		b.pauseBegan(t, stw.pause, gid)
		b.advanceCPU(t)
		b.gc.gcSTW++
		if kind == model.PauseMarkTermination && gid != noGoroutine {
			b.stopperLeavesGCWork(t, gid)
		}
		b.gc.holding = &heldWorld{pause: stw.pause, stopper: gid}
		b.noteWorld()
		b.feedMMU(t)
	}
}

// stopperLeavesGCWork ends the mark-assist or mark-worker CPU of the
// goroutine that stops the world for mark termination. It gets there from
// an assist or a worker's loop (gcMarkDone), and the runtime counts
// neither the pause nor what follows until the goroutine leaves the assist
// or parks as assist or worker time: the pause is stop-the-world time, and
// the rest (finishing the cycle after the world restarts: flushing every
// P's caches, freeing stacks) is counted nowhere in runtime/metrics'
// GC classes. It is still GC work the mutator waits for, so the MMU and a
// request's own assist time keep it; the GC CPU figures do not.
func (b *builder) stopperLeavesGCWork(t model.Time, gid int64) {
	g := b.goroutine(gid)
	running := g.state == exptrace.GoRunning
	if g.assist && !g.assistDone {
		if running {
			b.cpu.assistDone++
			b.assistExecuted(t, g)
		}
		g.assistDone = true
	}
	if g.worker != workerNone && !g.workerDone && running {
		b.cpu.workersDone[g.worker]++
		g.workerDone = true
	}
}

// releaseWorld stops the stop-the-world charge of the GC pause in
// progress at t: from here on the world is restarting. The runtime stops
// its pause clock before it restarts the world for mark termination
// (gcMarkTermination takes the time right after it commits the next
// cycle's pacing, whose heap goal the trace records as a metric event),
// and while handing the procs back for sweep termination (the trace's
// range ends just after). Goroutines may run on other procs between this
// point and the end of the trace's range.
func (b *builder) releaseWorld(t model.Time) {
	h := b.gc.holding
	if h == nil {
		return
	}
	b.advanceCPU(t)
	b.gc.holding = nil
	b.pauseEnded(h.pause)
	for i := range b.gc.stws {
		if b.gc.stws[i].pause == h.pause {
			b.gc.stws[i].released = t
		}
	}
	b.feedMMU(t)
}

// stwProcs is how many procs the held GC pause takes now: every proc but
// those another M still holds. While the world stops, a proc counts from
// the moment its M let it go (the trace's ProcStop, just before the
// runtime notes its stop time), not from when its goroutine stopped: an M
// that is slow to get there — descheduled by the OS on a busy host, say —
// keeps its proc out of the pause, as the runtime counts it. 0 when no GC
// pause holds the world, and once it is being restarted.
func (b *builder) stwProcs() int {
	h := b.gc.holding
	if h == nil || h.restarting || b.procs <= 0 {
		return 0
	}
	return min(max(b.procs-b.othersBusy(h), 0), b.procs)
}

// othersBusy is how many procs other than the stopper's are busy.
func (b *builder) othersBusy(h *heldWorld) int {
	others := b.cpu.busy
	if h.stopper != noGoroutine {
		if g := b.goroutine(h.stopper); g.state == exptrace.GoRunning && g.p >= 0 {
			if pr := b.proc(g.p); pr != nil && pr.busy() {
				others-- // the stopper's own proc is paused from the start
			}
		}
	}
	return others
}

// noteWorld follows the held pause's world after a proc's busy state
// changed: stopped once no other proc is busy, restarting once one is
// busy again after that.
func (b *builder) noteWorld() {
	h := b.gc.holding
	if h == nil {
		return
	}
	if others := b.othersBusy(h); others <= 0 {
		h.stopped = true
	} else if h.stopped {
		h.restarting = true
	}
}

func (b *builder) beginGCPause(t model.Time, c *model.Cycle, kind model.PauseKind) {
	switch kind {
	case model.PauseSweepTermination:
		c.SweepTerminationAt = t
	case model.PauseMarkTermination:
		c.MarkTerminationAt = t
		b.stopMark(t, c)
		b.gc.inMarkTerm = true
		c.HeapEnd = b.heapNow
		c.HeapGoal = b.goalNow
		b.heap.pin(t, b.heapNow, b.goalNow)
	}
}

// stopped notes that goroutine gid stopped running, for the time to stop
// of pauses in progress.
func (b *builder) stoppedRunning(t model.Time, gid int64) {
	for i := range b.gc.stws {
		stw := &b.gc.stws[i]
		j := slices.Index(stw.waiting, gid)
		if j < 0 {
			continue
		}
		stw.waiting = slices.Delete(stw.waiting, j, j+1)
		if len(stw.waiting) == 0 && !stw.unknown {
			p := &b.run.Pauses[stw.pause]
			p.TimeToStop = t.Sub(p.Start)
			p.LastToStop = uint64(gid)
		}
	}
}

func (b *builder) stwEnd(t model.Time, gid int64, reason string) {
	i := len(b.gc.stws) - 1
	for i >= 0 && (b.gc.stws[i].g != gid || b.run.Pauses[b.gc.stws[i].pause].Reason != reason) {
		i--
	}
	if i < 0 {
		return // began before the trace (x/exp does not report that)
	}
	b.endSTW(t, i)
}

func (b *builder) endSTW(t model.Time, i int) {
	stw := b.gc.stws[i]
	if b.gc.holding != nil && b.gc.holding.pause == stw.pause {
		b.releaseWorld(t)
		stw.released = t
	}
	b.gc.stws = slices.Delete(b.gc.stws, i, i+1)
	b.pauseEnded(stw.pause)
	p := &b.run.Pauses[stw.pause]
	end := t
	if stw.gc && stw.released > 0 {
		end = stw.released
	}
	p.Duration = end.Sub(p.Start)
	p.Restart = t.Sub(end)
	if !stw.gc {
		return
	}
	b.advanceCPU(t)
	b.gc.gcSTW--
	if c := b.cycle(); c != nil && p.Cycle == b.gc.cur {
		switch p.Kind {
		case model.PauseSweepTermination:
			c.SweepTermination = p.Duration
			b.startMark(end)
		case model.PauseMarkTermination:
			c.MarkTermination = p.Duration
			b.gc.inMarkTerm = false
			c.End = end
			if b.gc.rangeEnded {
				b.closeCycle(end, false)
			}
		}
	}
	b.feedMMU(t)
}

// gcHeapGoal notes a heap-goal metric event traced on goroutine g's M:
// inside a mark-termination pause, traced by the goroutine that stopped
// the world, it marks the point where the runtime's pause clock stops.
// (A new generation's first heap goal can come from another M.)
func (b *builder) gcHeapGoal(t model.Time, g int64) {
	if h := b.gc.holding; b.gc.inMarkTerm && h != nil && (g == h.stopper || h.stopper == noGoroutine) {
		if p := b.run.Pauses[h.pause]; p.Kind == model.PauseMarkTermination {
			b.releaseWorld(t)
		}
	}
}

// gcHeapMetric follows the heap metric inside a mark-termination pause:
// the runtime resets the live heap to the marked heap there
// (gcControllerState.resetLive, called from gcMark with the world
// stopped), so the last sample inside the pause is the live heap and the
// value before it the heap at the end of marking.
func (b *builder) gcHeapMetric(prev, v int64) (keep bool) {
	c := b.cycle()
	if c == nil || !b.gc.inMarkTerm || b.gc.holding == nil {
		return false // samples after the runtime's pause ended may hold new allocation
	}
	c.HeapEnd = prev
	c.HeapLive = v
	return true
}

// finishGC closes what is still open at the end of the window.
func (b *builder) finishGC(end model.Time) {
	for len(b.gc.stws) > 0 {
		b.endSTW(end, len(b.gc.stws)-1)
	}
	if b.gc.cur >= 0 {
		b.closeCycle(end, true)
	}
}
