package exectrace

import (
	"strings"

	exptrace "golang.org/x/exp/trace"
)

// recordKind says what a record describes.
type recordKind uint8

const (
	recNone recordKind = iota
	// recSync starts a generation (flag 0) or ends the last one a reader
	// saw (flag flagFinal). arg is the wall clock of the generation's
	// clock snapshot in Unix nanoseconds and arg2 its trace time, when
	// flag has flagSnapshot.
	recSync
	recHeap       // arg: /memory/classes/heap/objects:bytes
	recHeapGoal   // arg: /gc/heap/goal:bytes; g: the goroutine whose M traced it
	recGOMAXPROCS // arg: /sched/gomaxprocs:threads
	recLabel      // g: goroutine; flag: a workerKind
	// GC ranges. recGCBegin's flag has flagForced when the begin stack
	// runs through runtime.GC.
	recGCBegin
	recGCActive
	recGCEnd
	recSTWBegin // g: the goroutine stopping the world; str: reason
	recSTWEnd   // g: as for begin; str: reason
	recAssistBegin
	recAssistActive
	recAssistEnd // g: the assisting goroutine
	recSweepBegin
	recSweepActive
	recSweepEnd  // p: the sweeping proc; g: the goroutine on it, or -1
	recTaskBegin // arg: task id; arg2: parent; str: type; g
	recTaskEnd   // arg: task id; g
	recRegionBegin
	recRegionEnd // arg: task id; str: type; g
	recGoState   // g; to; p: the proc it runs on when to is running, else 0
	recProcKnown // p: a proc's state as the trace declares or changes it; flag: flagProcHeld
	// recServe follows a recGoState of a server goroutine (infer.go):
	// g; flag: phase, role, status; str: request type or gRPC method.
	recServe
	// recStack (stacks.go): g's stack; arg: its id in the generation's
	// stack table (0: none); flag: flagAssistStack.
	recStack
	numRecordKinds
)

// Record flags.
const (
	flagFinal    = 1 << 0
	flagSnapshot = 1 << 1
	flagForced   = 1 << 0
	flagProcHeld = 1 << 0 // recProcKnown: an M holds the proc (ProcRunning)
)

// workerKind is a background mark worker's mode, from its goroutine label.
type workerKind uint8

const (
	workerNone workerKind = iota
	workerDedicated
	workerFractional
	workerIdle
)

// record is the distilled form of one event: what the state machine needs
// and nothing else. It holds no pointers except the string, which points
// into x/exp's string table (no copy per event).
type record struct {
	t    int64
	arg  uint64
	arg2 uint64
	g    int64
	str  string
	p    int32
	kind recordKind
	to   exptrace.GoState
	flag uint8
	// from is a goroutine's state before a recGoState. Only the parse step
	// uses it (to skip transitions no server classification needs); it is
	// not encoded.
	from exptrace.GoState
}

// otherRecord distils ev, of any kind but a state transition, into rec
// and reports whether the event matters to the analysis at all (logs, CPU
// samples and experimental events do not).
func otherRecord(ev *exptrace.Event, kind exptrace.EventKind, rec *record) bool {
	*rec = record{t: int64(ev.Time()), g: int64(ev.Goroutine()), p: int32(ev.Proc())}
	switch kind {
	case exptrace.EventSync:
		rec.kind = recSync
		if snap := ev.Sync().ClockSnapshot; snap != nil {
			rec.flag |= flagSnapshot
			rec.arg = uint64(snap.Wall.UnixNano())
			rec.arg2 = uint64(snap.Trace)
		}
		return true
	case exptrace.EventMetric:
		return metricRecord(ev, rec)
	case exptrace.EventLabel:
		rec.kind = recLabel
		rec.flag = uint8(workerKindOf(ev.Label().Label))
		return rec.flag != uint8(workerNone)
	case exptrace.EventRangeBegin, exptrace.EventRangeActive, exptrace.EventRangeEnd:
		return rangeRecord(ev, rec)
	case exptrace.EventTaskBegin, exptrace.EventTaskEnd:
		task := ev.Task()
		rec.arg = uint64(task.ID)
		rec.kind = recTaskEnd
		if ev.Kind() == exptrace.EventTaskBegin {
			rec.kind = recTaskBegin
			rec.str = task.Type
			if task.Parent != exptrace.NoTask {
				rec.arg2 = uint64(task.Parent)
			}
		}
		return true
	case exptrace.EventRegionBegin, exptrace.EventRegionEnd:
		region := ev.Region()
		rec.arg = uint64(region.Task)
		rec.str = region.Type
		rec.kind = recRegionEnd
		if ev.Kind() == exptrace.EventRegionBegin {
			rec.kind = recRegionBegin
		}
		return true
	}
	return false
}

// setGoState makes rec a recGoState. It sets the fields one by one: a
// whole-struct assignment zeroes the string too, with a write barrier
// check, and this is the commonest record by far.
func (rec *record) setGoState(t, g int64, p int32, from, to exptrace.GoState) {
	rec.t, rec.g, rec.p = t, g, p
	rec.arg, rec.arg2, rec.flag = 0, 0, 0
	rec.kind, rec.from, rec.to = recGoState, from, to
	if rec.str != "" {
		rec.str = ""
	}
}

// transitionRecord is moves.record for a state transition, st being
// ev.StateTransition() (a costly call: callers make it once).
func transitionRecord(ev *exptrace.Event, st *exptrace.StateTransition, rec *record) bool {
	switch st.Resource.Kind {
	case exptrace.ResourceGoroutine:
		from, to := st.Goroutine()
		rec.setGoState(int64(ev.Time()), int64(st.Resource.Goroutine()), int32(ev.Proc()), from, to)
		return true
	case exptrace.ResourceProc:
		// The first word about a proc makes it known (for time to stop);
		// whether an M holds it tells, while the world stops, whether it
		// has stopped yet. Who runs on it comes from goroutine transitions.
		_, to := st.Proc()
		*rec = record{t: int64(ev.Time()), p: int32(st.Resource.Proc()), kind: recProcKnown}
		if to == exptrace.ProcRunning {
			rec.flag = flagProcHeld
		}
		return true
	}
	return false
}

// classifiable reports whether the classifier (infer_stacks.go) can say
// anything about goroutine transition rec: only creations and transitions
// away from running or an undetermined state carry a stack it looks at.
func classifiable(rec *record) bool {
	return rec.kind == recGoState && classifiableFrom(rec.from)
}

// classifiableFrom reports whether a goroutine transition from state from
// carries a stack the classifier looks at.
func classifiableFrom(from exptrace.GoState) bool {
	switch from {
	case exptrace.GoNotExist, exptrace.GoRunning, exptrace.GoUndetermined:
		return true
	}
	return false
}

func metricRecord(ev *exptrace.Event, rec *record) bool {
	m := ev.Metric()
	if m.Value.Kind() != exptrace.ValueUint64 {
		return false
	}
	rec.arg = m.Value.Uint64()
	switch m.Name {
	case "/memory/classes/heap/objects:bytes":
		rec.kind = recHeap
	case "/gc/heap/goal:bytes":
		rec.kind = recHeapGoal
	case "/sched/gomaxprocs:threads":
		rec.kind = recGOMAXPROCS
	default:
		return false
	}
	return true
}

// Range names as x/exp spells them (GC-FACTS §2).
const (
	rangeGCMark  = "GC concurrent mark phase"
	rangeAssist  = "GC mark assist"
	rangeSweep   = "GC incremental sweep"
	rangeSTWHead = "stop-the-world ("
)

func rangeRecord(ev *exptrace.Event, rec *record) bool {
	r := ev.Range()
	phase := 0 // begin, active, end
	switch ev.Kind() {
	case exptrace.EventRangeActive:
		phase = 1
	case exptrace.EventRangeEnd:
		phase = 2
	}
	switch {
	case r.Name == rangeGCMark:
		rec.kind = [3]recordKind{recGCBegin, recGCActive, recGCEnd}[phase]
		if phase == 0 && stackHas(ev.Stack(), "runtime.GC") {
			rec.flag |= flagForced
		}
	case r.Name == rangeAssist:
		rec.kind = [3]recordKind{recAssistBegin, recAssistActive, recAssistEnd}[phase]
		rec.g = int64(r.Scope.Goroutine())
	case r.Name == rangeSweep:
		rec.kind = [3]recordKind{recSweepBegin, recSweepActive, recSweepEnd}[phase]
		scope := r.Scope.Proc()
		if ev.Proc() != scope {
			// An "active" sweep seen from another proc: the goroutine in
			// the context is not the sweeper.
			rec.g = int64(exptrace.NoGoroutine)
		}
		rec.p = int32(scope)
	case strings.HasPrefix(r.Name, rangeSTWHead) && phase != 1:
		rec.kind = recSTWBegin
		if phase == 2 {
			rec.kind = recSTWEnd
		}
		rec.str = strings.TrimSuffix(strings.TrimPrefix(r.Name, rangeSTWHead), ")")
		rec.g = int64(r.Scope.Goroutine())
	default:
		return false
	}
	return true
}

func stackHas(stk exptrace.Stack, fn string) bool {
	for f := range stk.Frames() {
		if f.Func == fn {
			return true
		}
	}
	return false
}

func workerKindOf(label string) workerKind {
	switch label {
	case "GC (dedicated)":
		return workerDedicated
	case "GC (fractional)":
		return workerFractional
	case "GC (idle)":
		return workerIdle
	}
	return workerNone
}
