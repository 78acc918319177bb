package exectrace

import (
	"strconv"
	"strings"

	exptrace "golang.org/x/exp/trace"

	"github.com/gcwatch/gcwatch/internal/model"
)

// Stacks of GC work (Options.Stacks). The parse step emits a recStack
// record before each event that shows a goroutine's stack: the assisting
// goroutine's at the start of a mark assist, a goroutine's own when it
// blocks, stops or enters a syscall, the creator's and the new
// goroutine's at a creation, the acting goroutine's at an unblock, a task
// or region event, and a blocked goroutine's status at a generation
// start. The builder (stacks_gc.go) keeps each goroutine's latest stack,
// and interns stacks into one table for the run, so memory grows with
// distinct stacks, not with events.

// flagAssistStack marks a recStack that is the stack of a mark assist
// beginning next (the range-begin event's stack).
const flagAssistStack = 1 << 0

// genStacks is one reader's table of the stacks its recStack records
// name: record arg i (from 1) is frames[i-1]. Frames keep x/exp's strings
// until the builder interns them.
type genStacks struct {
	ids    map[exptrace.Stack]uint64
	frames [][]model.Frame
	// last is the stack last emitted for each goroutine: a goroutine that
	// blocks at the same place again needs no new record.
	last map[exptrace.GoID]exptrace.Stack
	rec  record
}

func newGenStacks() *genStacks {
	return &genStacks{ids: make(map[exptrace.Stack]uint64), last: make(map[exptrace.GoID]exptrace.Stack)}
}

// id returns stk's index (from 1) in the table, 0 for no stack.
func (s *genStacks) id(stk exptrace.Stack) uint64 {
	if stk == exptrace.NoStack {
		return 0
	}
	if id, ok := s.ids[stk]; ok {
		return id
	}
	var frames []model.Frame
	for f := range stk.Frames() {
		frames = append(frames, model.Frame{Function: f.Func, File: f.File, Line: int64(f.Line)})
	}
	s.frames = append(s.frames, frames)
	id := uint64(len(s.frames))
	s.ids[stk] = id
	return id
}

// emit puts a recStack record for each goroutine whose stack ev shows.
func (s *genStacks) emit(ev *exptrace.Event, put func(*record)) {
	t := int64(ev.Time())
	switch ev.Kind() {
	case exptrace.EventStateTransition:
		st := ev.StateTransition()
		if st.Resource.Kind != exptrace.ResourceGoroutine {
			return
		}
		gid := st.Resource.Goroutine()
		from, _ := st.Goroutine()
		s.put(t, gid, st.Stack, 0, put)
		// A status event's stack is the named goroutine's, not the
		// context's; other transitions show the acting goroutine's own
		// stack (creator, unblocker).
		if from != exptrace.GoUndetermined && ev.Goroutine() != gid {
			s.put(t, ev.Goroutine(), ev.Stack(), 0, put)
		}
	case exptrace.EventRangeBegin:
		if r := ev.Range(); r.Name == rangeAssist {
			s.put(t, r.Scope.Goroutine(), ev.Stack(), flagAssistStack, put)
			return
		}
		s.put(t, ev.Goroutine(), ev.Stack(), 0, put)
	case exptrace.EventSync:
	default:
		s.put(t, ev.Goroutine(), ev.Stack(), 0, put)
	}
}

func (s *genStacks) put(t int64, g exptrace.GoID, stk exptrace.Stack, flag uint8, put func(*record)) {
	if g == exptrace.NoGoroutine {
		return
	}
	// An assist's record always goes: it says which stack (or none) the
	// assist begins at.
	if flag == 0 && (stk == exptrace.NoStack || s.last[g] == stk) {
		return
	}
	if stk != exptrace.NoStack {
		s.last[g] = stk
	}
	s.rec = record{t: t, g: int64(g), kind: recStack, arg: s.id(stk), flag: flag}
	put(&s.rec)
}

// stackTable interns the run's stacks. Ids are 1-based; 0 is "unknown".
type stackTable struct {
	stacks []model.Stack
	index  map[string]int32
	names  map[string]string
	key    []byte
	// gen is the reader table of the records being applied, and genIDs
	// its ids mapped to the run's (0: not mapped yet).
	gen    *genStacks
	genFor *genStacks
	genIDs []int32
}

// global maps a reader's stack id to the run's.
func (st *stackTable) global(local uint64) int32 {
	if local == 0 || st.gen == nil || local > uint64(len(st.gen.frames)) {
		return 0
	}
	if st.genFor != st.gen {
		st.genFor = st.gen
		st.genIDs = st.genIDs[:0]
	}
	for uint64(len(st.genIDs)) < local {
		st.genIDs = append(st.genIDs, 0)
	}
	if id := st.genIDs[local-1]; id != 0 {
		return id
	}
	frames := st.gen.frames[local-1]
	st.key = st.key[:0]
	for _, f := range frames {
		st.key = append(st.key, f.Function...)
		st.key = append(st.key, 0)
		st.key = append(st.key, f.File...)
		st.key = append(st.key, 0)
		st.key = strconv.AppendInt(st.key, f.Line, 10)
		st.key = append(st.key, '\n')
	}
	id, ok := st.index[string(st.key)]
	if !ok {
		own := make([]model.Frame, len(frames))
		for i, f := range frames {
			own[i] = model.Frame{Function: st.name(f.Function), File: st.name(f.File), Line: f.Line}
		}
		st.stacks = append(st.stacks, model.Stack{Frames: own})
		id = int32(len(st.stacks))
		if st.index == nil {
			st.index = make(map[string]int32)
		}
		st.index[string(st.key)] = id
	}
	st.genIDs[local-1] = id
	return id
}

// name interns a function or file name, copied: the run must not keep
// x/exp's string tables alive, and stacks share most of their names.
func (st *stackTable) name(s string) string {
	if n, ok := st.names[s]; ok {
		return n
	}
	if st.names == nil {
		st.names = make(map[string]string)
	}
	n := strings.Clone(s)
	st.names[n] = n
	return n
}

// modelIndex turns a run stack id into an index in Run.Stacks.
func modelIndex(id int32) int {
	if id == 0 {
		return model.NoStack
	}
	return int(id) - 1
}
