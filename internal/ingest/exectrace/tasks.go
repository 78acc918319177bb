package exectrace

import (
	"cmp"
	"slices"
	"time"

	exptrace "golang.org/x/exp/trace"

	"github.com/gcwatch/gcwatch/internal/model"
)

// maxListedGoroutines caps Request.Goroutines; GoroutinesTotal keeps the
// full count.
const maxListedGoroutines = 32

// task is an open task (a request being served).
type task struct {
	rec      requestRec // the request so far
	ended    bool
	inferred bool // an inferred request (infer.go), not a task
	// members are the goroutines working for it right now, linked
	// through membership.nextMember; byGoroutine finds them once there
	// are more than can be searched one by one.
	members     *membership
	nMembers    int
	byGoroutine map[*goroutine]*membership
	// listed are the first goroutines that worked for it.
	listed []uint64
	// seen holds every goroutine that ever worked for it, once there are
	// more than can be listed.
	seen map[int64]struct{}
	// pauseStacks are its goroutine's stacks at GC pauses (stacks_gc.go).
	pauseStacks []pauseStackRec
}

// accounts is time spent working for tasks, by goroutine state.
type accounts struct {
	running, runnable  time.Duration
	runnableDuringMark time.Duration
	blocked, syscall   time.Duration
	assist, sweep      time.Duration
}

// membership is one goroutine working for one task, with the number of
// reasons (it began the task, and each open region of the task). It is on
// two lists, so that either side can drop it in constant time: the
// goroutine's work and the task's members.
type membership struct {
	g       *goroutine
	task    *task
	reasons int
	// base is g's work.spent when it joined: the task's share of g's time
	// is what g spends from then until it leaves.
	base                   accounts
	prev, next             *membership // in g.work, in the order joined
	prevMember, nextMember *membership // in task.members
}

// maxSearchedMembers is how many members of a task are searched one by
// one for a goroutine; a task with more has a map.
const maxSearchedMembers = 8

// workList is the tasks a goroutine works for right now, in the order it
// joined them, and the time it spent while it worked for any. A task's
// share is settled when the goroutine leaves it, so each event costs the
// same however many tasks the goroutine works for (a goroutine may begin
// any number of tasks and never end them).
type workList struct {
	first, last *membership
	n           int
	spent       accounts
}

// openRegion is a region a goroutine is inside.
type openRegion struct {
	task  *task // nil for the background task or an already ended one
	id    uint64
	typ   uint32 // index in builder.typeNames
	start model.Time
}

type taskState struct {
	open map[uint64]*task
	// firstBegun is the lowest task id begun in the trace. Task ids only
	// grow, so an unknown id below it belongs to a task begun before the
	// trace, and one above it to a task that already ended.
	firstBegun uint64
	anyBegun   bool
}

func (ts *taskState) init() {
	ts.open = make(map[uint64]*task)
}

// flush brings g's task accounting up to t: the time since the last flush
// is spent under g's state in that interval, for every task g works for.
func (b *builder) flush(g *goroutine, t model.Time) {
	mark := b.gc.markClock(t)
	if g.work.n > 0 && t > g.since {
		g.work.spent.add(g, t.Sub(g.since), mark-g.markAt)
	}
	g.since = t
	g.markAt = mark
}

// add counts d spent by g in its current state, marking of it while the
// GC was marking.
func (a *accounts) add(g *goroutine, d, marking time.Duration) {
	switch g.state {
	case exptrace.GoRunning:
		a.running += d
		if g.assist {
			a.assist += d
		}
		if g.sweep {
			a.sweep += d
		}
	case exptrace.GoRunnable:
		a.runnable += d
		a.runnableDuringMark += marking
	case exptrace.GoWaiting:
		a.blocked += d
	case exptrace.GoSyscall:
		a.syscall += d
	}
}

// addSpent adds to r what was spent between then and now.
func (r *requestRec) addSpent(now, then accounts) {
	r.running += now.running - then.running
	r.runnable += now.runnable - then.runnable
	r.runnableDuringMark += now.runnableDuringMark - then.runnableDuringMark
	r.blocked += now.blocked - then.blocked
	r.syscall += now.syscall - then.syscall
	r.assist += now.assist - then.assist
	r.sweep += now.sweep - then.sweep
}

func (b *builder) taskBegin(t model.Time, id, parent uint64, typ string, gid int64) {
	if _, dup := b.tasks.open[id]; dup || id == 0 {
		return
	}
	if !b.tasks.anyBegun || id < b.tasks.firstBegun {
		b.tasks.firstBegun = id
		b.tasks.anyBegun = true
	}
	tk := &task{rec: requestRec{id: id, parent: parent, typ: b.typeIndex(typ), start: t}}
	b.tasks.open[id] = tk
	b.taskBegun(typ)
	if gid != noGoroutine {
		b.join(b.goroutine(gid), tk, t)
	}
}

// openTask returns the open task id, creating it as begun before the
// trace when the id says so; nil for the background task and ended tasks.
func (b *builder) openTask(id uint64) *task {
	if id == 0 {
		return nil
	}
	if tk, ok := b.tasks.open[id]; ok {
		return tk
	}
	if b.tasks.anyBegun && id >= b.tasks.firstBegun {
		return nil
	}
	tk := &task{rec: requestRec{id: id, typ: b.typeIndex(""), start: b.run.Start, open: true}}
	b.tasks.open[id] = tk
	b.taskBegun("")
	return tk
}

func (b *builder) taskEnd(t model.Time, id uint64) {
	tk := b.openTask(id)
	if tk == nil {
		return // a repeated end, or the background task
	}
	b.closeTask(tk, t)
}

func (b *builder) closeTask(tk *task, t model.Time) {
	for m := tk.members; m != nil; m = m.nextMember {
		b.flush(m.g, t)
		b.credit(m)
	}
	r := &tk.rec
	r.end = t
	r.listed = len(tk.listed)
	listed := tk.listed
	tk.members, tk.nMembers, tk.byGoroutine = nil, 0, nil
	tk.listed, tk.seen = nil, nil
	b.keepPauseStacks(tk)
	tk.ended = true
	if tk.inferred {
		b.infer.spans.add(*r, listed)
		return
	}
	b.results.requests.add(*r, listed)
	delete(b.tasks.open, r.id)
}

// join makes g work for tk (one more reason).
func (b *builder) join(g *goroutine, tk *task, t model.Time) {
	if m := memberOf(g, tk); m != nil {
		m.reasons++
		return
	}
	b.flush(g, t)
	m := &membership{g: g, task: tk, reasons: 1, base: g.work.spent}
	w := &g.work
	m.prev = w.last
	if w.last != nil {
		w.last.next = m
	} else {
		w.first = m
	}
	w.last = m
	w.n++
	m.nextMember = tk.members
	if tk.members != nil {
		tk.members.prevMember = m
	}
	tk.members = m
	tk.nMembers++
	if tk.byGoroutine != nil {
		tk.byGoroutine[g] = m
	} else if tk.nMembers > maxSearchedMembers {
		tk.byGoroutine = make(map[*goroutine]*membership, 2*tk.nMembers)
		for other := tk.members; other != nil; other = other.nextMember {
			tk.byGoroutine[other.g] = other
		}
	}
	tk.noteGoroutine(g.id)
	if b.stk.on {
		b.joinedDuringPause(g, tk)
	}
}

// memberOf returns g's membership in tk, nil if g does not work for it.
func memberOf(g *goroutine, tk *task) *membership {
	if last := g.work.last; last != nil && last.task == tk {
		return last // the usual case: a region in the task g began
	}
	if tk.byGoroutine != nil {
		return tk.byGoroutine[g]
	}
	for m := tk.members; m != nil; m = m.nextMember {
		if m.g == g {
			return m
		}
	}
	return nil
}

// credit credits m's task with its goroutine's time since it joined, and
// takes m off the goroutine's work; the caller flushed the goroutine and
// takes care of the task's members.
func (b *builder) credit(m *membership) {
	m.task.rec.addSpent(m.g.work.spent, m.base)
	w := &m.g.work
	if m.prev != nil {
		m.prev.next = m.next
	} else {
		w.first = m.next
	}
	if m.next != nil {
		m.next.prev = m.prev
	} else {
		w.last = m.prev
	}
	w.n--
}

// dropMember takes m off its task's members.
func dropMember(m *membership) {
	tk := m.task
	if m.prevMember != nil {
		m.prevMember.nextMember = m.nextMember
	} else {
		tk.members = m.nextMember
	}
	tk.nMembers--
	if tk.byGoroutine != nil {
		delete(tk.byGoroutine, m.g)
	}
	if m.nextMember != nil {
		m.nextMember.prevMember = m.prevMember
	}
}

// leave drops one reason for g to work for tk.
func (b *builder) leave(g *goroutine, tk *task, t model.Time) {
	m := memberOf(g, tk)
	if m == nil {
		return
	}
	if m.reasons--; m.reasons > 0 {
		return
	}
	b.flush(g, t)
	b.credit(m)
	dropMember(m)
}

func (b *builder) leaveAllTasks(t model.Time, g *goroutine) {
	b.flush(g, t)
	for m := g.work.first; m != nil; m = m.next {
		b.credit(m)
		dropMember(m)
	}
}

func (tk *task) noteGoroutine(id int64) {
	r := &tk.rec
	if tk.seen == nil {
		if slices.Contains(tk.listed, uint64(id)) {
			return
		}
		r.total++
		if len(tk.listed) < maxListedGoroutines {
			tk.listed = append(tk.listed, uint64(id))
			return
		}
		tk.seen = make(map[int64]struct{}, 2*maxListedGoroutines)
		for _, listed := range tk.listed {
			tk.seen[int64(listed)] = struct{}{}
		}
		tk.seen[id] = struct{}{}
		return
	}
	if _, ok := tk.seen[id]; !ok {
		tk.seen[id] = struct{}{}
		r.total++
	}
}

func (b *builder) regionBegin(t model.Time, gid int64, taskID uint64, typ string) {
	if gid == noGoroutine {
		return
	}
	g := b.goroutine(gid)
	tk := b.openTask(taskID)
	g.regions = append(g.regions, openRegion{task: tk, id: taskID, typ: b.typeIndex(typ), start: t})
	if tk != nil {
		b.join(g, tk, t)
	}
}

func (b *builder) regionEnd(t model.Time, gid int64, taskID uint64, typ string) {
	if gid == noGoroutine {
		return
	}
	g := b.goroutine(gid)
	// Regions nest; x/exp checks that an end matches the innermost open
	// region it knows of. Regions begun before the trace are not open.
	typIdx := b.typeIndex(typ)
	i := len(g.regions) - 1
	for i >= 0 && (g.regions[i].id != taskID || g.regions[i].typ != typIdx) {
		i--
	}
	if i < 0 {
		b.addRegion(regionRec{
			task: taskID, typ: typIdx, goroutine: uint64(gid), start: b.run.Start, end: t, open: true,
		})
		return
	}
	for j := len(g.regions) - 1; j >= i; j-- {
		b.closeRegion(g, g.regions[j], t, j != i)
	}
	g.regions = g.regions[:i]
}

// closeRegion records region r of g as ended at t, and g stops working
// for its task on its account.
func (b *builder) closeRegion(g *goroutine, r openRegion, t model.Time, open bool) {
	if r.task != nil && !r.task.ended {
		b.leave(g, r.task, t)
	}
	b.addRegion(regionRec{
		task: r.id, typ: r.typ, goroutine: uint64(g.id), start: r.start, end: t, open: open,
	})
}

// finish ends the tasks still open at the end of the window, in id order.
func (ts *taskState) finish(b *builder, end model.Time) {
	open := make([]*task, 0, len(ts.open))
	for _, tk := range ts.open {
		open = append(open, tk)
	}
	slices.SortFunc(open, func(x, y *task) int { return cmp.Compare(x.rec.id, y.rec.id) })
	for _, tk := range open {
		tk.rec.open = true
		b.closeTask(tk, end)
	}
}

// sortRegions orders regions that ended at the same time (the ones still
// open at the end of the window, found in map order).
func sortRegions(regions []model.Region) {
	slices.SortFunc(regions, func(x, y model.Region) int {
		return cmp.Or(cmp.Compare(x.Start, y.Start), cmp.Compare(x.Goroutine, y.Goroutine),
			cmp.Compare(x.Type, y.Type), cmp.Compare(x.Task, y.Task))
	})
}
