package exectrace

import (
	"slices"
	"time"

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
		b.feedMMU(t)
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
	b.gc.stws = slices.Delete(b.gc.stws, i, i+1)
	b.pauseEnded(stw.pause)
	p := &b.run.Pauses[stw.pause]
	p.Duration = t.Sub(p.Start)
	if !stw.gc {
		return
	}
	b.advanceCPU(t)
	b.gc.gcSTW--
	cpu := time.Duration(b.procs) * p.Duration
	b.run.GCCPU.STW += cpu
	if c := b.cycle(); c != nil && p.Cycle == b.gc.cur {
		switch p.Kind {
		case model.PauseSweepTermination:
			c.SweepTermination = p.Duration
			c.CPU.SweepTermination += cpu
			b.startMark(t)
		case model.PauseMarkTermination:
			c.MarkTermination = p.Duration
			c.CPU.MarkTermination += cpu
			b.gc.inMarkTerm = false
			c.End = t
			if b.gc.rangeEnded {
				b.closeCycle(t, false)
			}
		}
	}
	b.feedMMU(t)
}

// gcHeapMetric follows the heap metric inside a mark-termination pause:
// the runtime resets the live heap to the marked heap there
// (gcControllerState.resetLive, called from gcMark with the world
// stopped), so the last sample inside the pause is the live heap and the
// value before it the heap at the end of marking.
func (b *builder) gcHeapMetric(prev, v int64) (keep bool) {
	c := b.cycle()
	if c == nil || !b.gc.inMarkTerm {
		return false
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
