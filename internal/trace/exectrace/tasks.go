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
	// members are the goroutines working for it right now.
	members []int64
	// listed are the first goroutines that worked for it.
	listed []uint64
	// seen holds every goroutine that ever worked for it, once there are
	// more than can be listed.
	seen map[int64]struct{}
	// pauseStacks are its goroutine's stacks at GC pauses (stacks_gc.go).
	pauseStacks []pauseStackRec
}

// taskRef is one task a goroutine works for, with the number of reasons
// (it began the task, and each open region of the task).
type taskRef struct {
	task    *task
	reasons int
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

func (ts *taskState) init() { ts.open = make(map[uint64]*task) }

// flush brings g's task accounting up to t: the time since the last flush
// goes to every task g works for, under g's state in that interval.
func (b *builder) flush(g *goroutine, t model.Time) {
	mark := b.gc.markClock(t)
	if len(g.work) > 0 && t > g.since {
		d := t.Sub(g.since)
		for _, w := range g.work {
			w.task.account(g, d, mark-g.markAt)
		}
	}
	g.since = t
	g.markAt = mark
}

func (tk *task) account(g *goroutine, d, marking time.Duration) {
	r := &tk.rec
	switch g.state {
	case exptrace.GoRunning:
		r.running += d
		if g.assist {
			r.assist += d
		}
		if g.sweep {
			r.sweep += d
		}
	case exptrace.GoRunnable:
		r.runnable += d
		r.runnableDuringMark += marking
	case exptrace.GoWaiting:
		r.blocked += d
	case exptrace.GoSyscall:
		r.syscall += d
	}
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
	for _, gid := range tk.members {
		g := b.goroutines[gid]
		if g == nil {
			continue
		}
		b.flush(g, t)
		g.work = slices.DeleteFunc(g.work, func(w taskRef) bool { return w.task == tk })
	}
	r := &tk.rec
	r.end = t
	r.goroutines = b.results.goroutines.n
	r.listed = len(tk.listed)
	for _, g := range tk.listed {
		b.results.goroutines.add(g)
	}
	tk.members, tk.listed, tk.seen = nil, nil, nil
	b.keepPauseStacks(tk)
	tk.ended = true
	if tk.inferred {
		b.infer.spans.add(*r)
		return
	}
	b.results.requests.add(*r)
	delete(b.tasks.open, r.id)
}

// join makes g work for tk (one more reason).
func (b *builder) join(g *goroutine, tk *task, t model.Time) {
	for i := range g.work {
		if g.work[i].task == tk {
			g.work[i].reasons++
			return
		}
	}
	b.flush(g, t)
	g.work = append(g.work, taskRef{task: tk, reasons: 1})
	tk.members = append(tk.members, g.id)
	tk.noteGoroutine(g.id)
	if b.stk.on {
		b.joinedDuringPause(g, tk)
	}
}

// leave drops one reason for g to work for tk.
func (b *builder) leave(g *goroutine, tk *task, t model.Time) {
	i := slices.IndexFunc(g.work, func(w taskRef) bool { return w.task == tk })
	if i < 0 {
		return
	}
	if g.work[i].reasons--; g.work[i].reasons > 0 {
		return
	}
	b.flush(g, t)
	g.work = slices.Delete(g.work, i, i+1)
	tk.members = slices.DeleteFunc(tk.members, func(id int64) bool { return id == g.id })
}

func (b *builder) leaveAllTasks(t model.Time, g *goroutine) {
	b.flush(g, t)
	for _, w := range g.work {
		w.task.members = slices.DeleteFunc(w.task.members, func(id int64) bool { return id == g.id })
	}
	g.work = g.work[:0]
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
	ids := make([]uint64, 0, len(ts.open))
	for id := range ts.open {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	for _, id := range ids {
		tk := ts.open[id]
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
