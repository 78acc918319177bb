package exectrace

import (
	"reflect"
	"sync/atomic"
	"unsafe"

	exptrace "golang.org/x/exp/trace"
)

// Goroutine transitions are nine events in ten, and x/exp's public
// accessor for them, Event.StateTransition, is the costliest step of the
// parse after ReadEvent itself: it copies the event, looks up the reason
// string and builds the stack of every transition (17 % of the ingest's
// CPU on a realistic trace, measured with BenchmarkRead at GOMAXPROCS=1).
// The parse needs none of that for the common transitions, only the
// goroutine and its two states, and for those each x/exp event type always
// means the same thing: GoStart makes goroutine args[0] running, GoBlock
// makes the event's own goroutine waiting, and so on (the trace format's
// event table, internal/trace/tracev2/events.go in Go's source; x/exp
// converts Go 1.11–1.21 traces into the same event types).
//
// moves reads those events' type, goroutine and first argument straight
// from x/exp's Event. That is only sound while x/exp lays its Event out as
// this code expects, so:
//
//   - at start-up, the layout is checked field by field through reflect
//     (names, kinds, sizes; offsets are taken from reflect, not assumed); on
//     any difference the fast path is off and every transition goes through
//     StateTransition;
//   - each moves (one per reader: per generation) checks its first
//     movesChecked events of every fast type against StateTransition; one
//     difference turns the fast path off for the whole process and the
//     public answer is used. TestMovesMatchStateTransition compares every
//     event of the test traces, in every format, both ways.

// moveRule is what one x/exp event type means for goroutines.
type moveRule struct {
	src      uint8 // moveNone: not a fast type; moveCtx: the event's goroutine; moveArg: args[0]
	from, to exptrace.GoState
}

const (
	moveNone = iota
	moveCtx
	moveArg
)

// The x/exp (trace format) event types of the common goroutine transitions.
const (
	evGoCreate            = 14
	evGoStart             = 16
	evGoDestroy           = 17
	evGoStop              = 19
	evGoBlock             = 20
	evGoUnblock           = 21
	evGoSyscallBegin      = 22
	evGoSyscallEnd        = 23
	evGoSyscallEndBlocked = 24
)

var moveRules = [256]moveRule{
	evGoCreate:            {moveArg, exptrace.GoNotExist, exptrace.GoRunnable},
	evGoStart:             {moveArg, exptrace.GoRunnable, exptrace.GoRunning},
	evGoDestroy:           {moveCtx, exptrace.GoRunning, exptrace.GoNotExist},
	evGoStop:              {moveCtx, exptrace.GoRunning, exptrace.GoRunnable},
	evGoBlock:             {moveCtx, exptrace.GoRunning, exptrace.GoWaiting},
	evGoUnblock:           {moveArg, exptrace.GoWaiting, exptrace.GoRunnable},
	evGoSyscallBegin:      {moveCtx, exptrace.GoRunning, exptrace.GoSyscall},
	evGoSyscallEnd:        {moveCtx, exptrace.GoSyscall, exptrace.GoRunning},
	evGoSyscallEndBlocked: {moveCtx, exptrace.GoSyscall, exptrace.GoRunnable},
}

// eventLayout holds the offsets in exptrace.Event of the fields moves
// reads; ok is false when x/exp's Event is not laid out as expected.
type eventLayout struct {
	ok             bool
	typ, ctxG, arg uintptr
}

var evLayout = readEventLayout(reflect.TypeFor[exptrace.Event]())

// fastMovesOff turns the fast path off for the process: set when a check
// finds a difference (or by tests, to compare both paths).
var fastMovesOff atomic.Bool

// movesMismatches counts the differences the checks found (for tests).
var movesMismatches atomic.Int64

// readEventLayout finds Event.base.typ (a uint8), Event.ctx.G (an
// int64) and Event.base.args (an array of uint64) in t.
func readEventLayout(t reflect.Type) eventLayout {
	field := func(t reflect.Type, name string) (reflect.StructField, bool) {
		if t.Kind() != reflect.Struct {
			return reflect.StructField{}, false
		}
		return t.FieldByName(name)
	}
	ctx, ok1 := field(t, "ctx")
	base, ok2 := field(t, "base")
	if !ok1 || !ok2 {
		return eventLayout{}
	}
	g, ok1 := field(ctx.Type, "G")
	typ, ok2 := field(base.Type, "typ")
	args, ok3 := field(base.Type, "args")
	if !ok1 || !ok2 || !ok3 ||
		g.Type.Kind() != reflect.Int64 ||
		typ.Type.Kind() != reflect.Uint8 ||
		args.Type.Kind() != reflect.Array || args.Type.Elem().Kind() != reflect.Uint64 || args.Type.Len() < 1 {
		return eventLayout{}
	}
	return eventLayout{
		ok:   true,
		typ:  base.Offset + typ.Offset,
		ctxG: ctx.Offset + g.Offset,
		arg:  base.Offset + args.Offset,
	}
}

// movesChecked is how many events of each fast type a moves checks
// against StateTransition.
const movesChecked = 64

// moves reads goroutine transitions, through the fast path when it can.
// One per reader; not safe for concurrent use.
type moves struct {
	checked [256]uint8
}

// goroutine reports the goroutine transition ev (a state transition) is.
// When ev is not a fast type, it calls ev.StateTransition() into *st and
// reports ok false if that is not a goroutine's transition. st is left
// alone on the fast path.
func (m *moves) goroutine(ev *exptrace.Event, st *exptrace.StateTransition) (g int64, from, to exptrace.GoState, ok bool) {
	if evLayout.ok && !fastMovesOff.Load() {
		p := unsafe.Pointer(ev)
		typ := *(*uint8)(unsafe.Add(p, evLayout.typ))
		if r := &moveRules[typ]; r.src != moveNone {
			if r.src == moveCtx {
				g = *(*int64)(unsafe.Add(p, evLayout.ctxG))
			} else {
				g = int64(*(*uint64)(unsafe.Add(p, evLayout.arg)))
			}
			if m.checked[typ] >= movesChecked {
				return g, r.from, r.to, true
			}
			m.checked[typ]++
			*st = ev.StateTransition()
			pf, pt := st.Goroutine()
			if st.Resource.Kind == exptrace.ResourceGoroutine && int64(st.Resource.Goroutine()) == g && pf == r.from && pt == r.to {
				return g, r.from, r.to, true
			}
			movesMismatches.Add(1)
			fastMovesOff.Store(true)
		}
	}
	*st = ev.StateTransition()
	if st.Resource.Kind != exptrace.ResourceGoroutine {
		return 0, 0, 0, false
	}
	from, to = st.Goroutine()
	return int64(st.Resource.Goroutine()), from, to, true
}

// record distils ev into rec and reports whether the event matters to the
// analysis at all (most proc transitions, logs, CPU samples and
// experimental events do not).
func (m *moves) record(ev *exptrace.Event, rec *record) bool {
	kind := ev.Kind()
	if kind != exptrace.EventStateTransition {
		return otherRecord(ev, kind, rec)
	}
	var st exptrace.StateTransition
	g, from, to, ok := m.goroutine(ev, &st)
	if !ok {
		return transitionRecord(ev, &st, rec)
	}
	rec.setGoState(int64(ev.Time()), g, int32(ev.Proc()), from, to)
	return true
}
