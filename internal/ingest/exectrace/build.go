package exectrace

import (
	"time"

	"github.com/gcwatch/gcwatch/internal/mmu"
	"github.com/gcwatch/gcwatch/internal/model"
)

// builder is the one sequential state machine that turns records, in
// trace order, into a model.Run. Its state grows with the number of live
// goroutines, procs, open tasks and the distilled results, never with the
// number of events.
type builder struct {
	run     *model.Run
	started bool
	// last is the time of the latest record. A reader's times only grow;
	// where a new reader's stream begins (catchUp), records are clamped to
	// come strictly after last, as a single reader over the whole stream
	// would do, so generations read by separate readers stitch exactly.
	last    model.Time
	catchUp bool

	procs   int   // GOMAXPROCS in force, 0 until known
	heapNow int64 // latest heap-in-use metric, model.Unknown before one
	goalNow int64 // latest heap goal metric, model.Unknown before one

	goroutines map[int64]*goroutine
	// recent caches goroutines by id: most events concern a goroutine
	// seen a moment ago, and the map lookup was the state machine's
	// largest cost.
	recent [256]*goroutine
	spare  []*goroutine // destroyed goroutines kept for reuse
	ps     []proc       // indexed by proc id
	known  int          // procs whose state the trace declared

	gc    gcState
	cpu   cpuState
	mmu   *mmu.Builder
	heap  heapSampler
	tasks taskState
	infer inferState
	stk   stackState
	// regions gathers the regions open at the end (regions.go).
	regions regionState
	// typeNames interns task and region types and pause reasons, so that
	// results do not keep x/exp string tables alive.
	typeNames []string
	typeIdx   map[string]uint32
	typeCache [8]typeSlot
	results   results
}

func newBuilder(run *model.Run, opts mmu.Options) *builder {
	b := &builder{
		run:        run,
		heapNow:    model.Unknown,
		goalNow:    model.Unknown,
		goroutines: make(map[int64]*goroutine),
		mmu:        mmu.NewBuilder(opts),
		typeIdx:    make(map[string]uint32),
	}
	b.gc.init()
	b.tasks.init()
	b.heap.init(heapResolution)
	return b
}

// apply feeds one record. Records must come in trace order.
func (b *builder) apply(rec *record) {
	if rec.kind == recStack {
		b.stackSeen(rec) // not an event: it must not move the clock
		return
	}
	t := b.clock(rec.t)
	switch rec.kind {
	case recSync:
		b.sync(t, rec)
	case recHeap:
		b.heapMetric(t, int64(rec.arg))
	case recHeapGoal:
		b.goalNow = int64(rec.arg)
		b.heap.pin(t, b.heapNow, b.goalNow)
		b.gcHeapGoal(t, rec.g)
	case recGOMAXPROCS:
		b.setProcs(t, int(rec.arg))
	case recLabel:
		b.label(t, rec.g, workerKind(rec.flag))
	case recGCBegin, recGCActive:
		b.gcBegin(t, rec.kind == recGCActive, rec.flag&flagForced != 0)
	case recGCEnd:
		b.gcEnd(t)
	case recSTWBegin:
		b.stwBegin(t, rec.g, rec.str)
	case recSTWEnd:
		b.stwEnd(t, rec.g, rec.str)
	case recAssistBegin, recAssistActive:
		b.assist(t, rec.g, true)
	case recAssistEnd:
		b.assist(t, rec.g, false)
	case recSweepBegin, recSweepActive:
		b.sweep(t, rec.p, rec.g, true)
	case recSweepEnd:
		b.sweep(t, rec.p, rec.g, false)
	case recTaskBegin:
		b.taskBegin(t, rec.arg, rec.arg2, rec.str, rec.g)
	case recTaskEnd:
		b.taskEnd(t, rec.arg)
	case recRegionBegin:
		b.regionBegin(t, rec.g, rec.arg, rec.str)
	case recRegionEnd:
		b.regionEnd(t, rec.g, rec.arg, rec.str)
	case recGoState:
		b.goState(t, rec.g, rec.p, rec.to)
	case recProcKnown:
		b.procState(t, rec.p, rec.flag&flagProcHeld != 0)
	case recServe:
		b.serve(t, rec)
	}
}

// clock moves the builder's clock to the time of the record being applied
// and returns that time, clamped where a new reader's stream begins.
func (b *builder) clock(at int64) model.Time {
	t := model.Time(at)
	if b.catchUp {
		if t <= b.last {
			t = b.last + 1
		} else {
			b.catchUp = false
		}
	}
	if !b.started {
		b.started = true
		b.run.Start = t
		b.cpu.at = t
	}
	b.last = t
	return t
}

// sync handles a generation boundary.
func (b *builder) sync(t model.Time, rec *record) {
	if rec.flag&flagSnapshot != 0 && b.run.WallStart == nil {
		wall := time.Unix(0, int64(rec.arg)).Add(-model.Time(rec.arg2).Sub(b.run.Start))
		b.run.WallStart = &wall
		b.run.Fidelity.WallClock = true
	}
	if rec.flag&flagFinal != 0 {
		// The end of one reader's stream. The next generation's reader
		// starts afresh; clamp its events against the last real event,
		// as a single reader would, not against this synthetic one.
		b.run.End = max(b.run.End, t)
		b.last = t - 1
		b.catchUp = true
	}
}

func (b *builder) heapMetric(t model.Time, v int64) {
	prev := b.heapNow
	b.heapNow = v
	if b.gcHeapMetric(prev, v) {
		b.heap.pin(t, v, b.goalNow)
		return
	}
	b.heap.add(t, v, b.goalNow)
}

func (b *builder) setProcs(t model.Time, n int) {
	if n <= 0 || n == b.procs {
		return
	}
	b.advanceCPU(t)
	if b.procs == 0 {
		b.run.GOMAXPROCS = n
		// The first value is in force from the start of the window: the
		// CPU capacity integrated so far, with GOMAXPROCS still unknown,
		// counted none.
		b.run.ProcsChanges = append(b.run.ProcsChanges, model.ProcsChange{At: b.run.Start, Procs: n})
		if t > b.run.Start {
			b.run.GCCPU.Capacity += time.Duration(n) * t.Sub(b.run.Start)
		}
	} else {
		b.run.ProcsChanges = append(b.run.ProcsChanges, model.ProcsChange{At: t, Procs: n})
	}
	b.procs = n
	if c := b.cycle(); c != nil && c.Procs == 0 {
		c.Procs = n // the trace named GOMAXPROCS only after the cycle began
	}
	b.feedMMU(t)
}

// gap handles a stretch of trace that could not be analysed: a cycle or
// pause in progress may have ended inside it, so they end, cut, where the
// analysed trace stops.
func (b *builder) gap() {
	if !b.started {
		return
	}
	for len(b.gc.stws) > 0 {
		b.endSTW(b.last, len(b.gc.stws)-1)
	}
	if b.gc.cur >= 0 {
		b.closeCycle(b.last, true)
	}
}

// finish closes everything still open at the end of the window and
// returns the run.
func (b *builder) finish() *model.Run {
	run := b.run
	if !b.started {
		return run
	}
	end := max(run.End, b.last)
	run.End = end
	b.advanceCPU(end)
	b.finishAssists(end)
	b.tasks.finish(b, end)
	b.finishInferred(end)
	b.closeRegionsAtEnd(func() { b.finishGoroutines(end) })
	b.materialise()
	b.finishGC(end)
	run.Heap = b.heap.finish()
	if b.cpu.mmuStarted {
		run.MMU = b.mmu.Finish(end)
	}
	run.Fidelity.Trace = true
	run.Fidelity.Goroutines = true
	run.Fidelity.CPUSplit = true
	run.Fidelity.Requests = run.Requests.Len() > 0
	run.Fidelity.LiveHeap = liveHeapKnown(run.Cycles)
	b.finishStacks()
	return run
}

// liveHeapKnown reports whether every complete cycle's marked heap was
// seen (the heap metric the runtime emits when it resets the live heap).
func liveHeapKnown(cycles []model.Cycle) bool {
	complete := 0
	for _, c := range cycles {
		if c.Partial {
			continue
		}
		if c.HeapLive < 0 {
			return false
		}
		complete++
	}
	return complete > 0
}
