package gctrace

import (
	"fmt"
	"slices"
)

// tracker gives each record to the process it continues.
//
// A record gc N @T continues a process whose last record was gc N-1 at a
// time not after T, in the same layout. When several processes qualify
// (compiler processes of one `go build` all print gc 2 after their gc 1),
// the one whose last record fits best wins: same GOMAXPROCS, and a heap at
// the start of this cycle that is at least the previous cycle's live heap
// and at most its goal (the heap grows from the marked heap until the
// trigger, which is below the goal). Remaining ties go to the process that
// printed most recently.
//
// Lines get lost (a record cut without its header, a shipper dropping
// lines), so when no process is at N-1, one a few numbers behind is taken,
// with a warning naming the missing cycles. A record gc 1 always starts a
// new process.
type tracker struct {
	name  string
	out   *warnings // the Result's warnings, which get a copy of each
	procs []*procBuilder
	// byLast indexes processes by the number of their last record, so a
	// record finds its candidates without scanning every process. It is
	// built when a second process appears: most logs hold one process,
	// and keeping the index costs map updates on every record.
	byLast map[int][]int
	// recent is the index of the process that took the last record, or -1.
	recent int
}

// header is what a record tells about where it belongs. Records cut
// before their cpu fields carry only n and start; those cut later carry
// what they kept, and a layout only when it is certain.
type header struct {
	n         int
	start     int64
	format    formatKind // formatUnknown for damaged records
	procs     int        // 0 when unknown
	heapStart int64      // MiB; -1 when unknown
}

const (
	// maxCandidates bounds how many processes at N-1 are compared, so
	// that pathological logs (thousands of processes at gc 1) stay linear.
	maxCandidates = 32
	// maxGap is how far behind a process may be and still be continued.
	maxGap = 64
)

func newTracker(name string, out *warnings) *tracker {
	return &tracker{name: name, out: out, recent: -1}
}

// assign returns the process that record h on line continues, creating
// one when none does.
func (t *tracker) assign(h header, line int) *procBuilder {
	if h.n > 1 {
		if b := t.best(h, h.n-1); b != nil {
			return t.take(b, h)
		}
		for gap := 2; gap <= maxGap && h.n-gap >= 1; gap++ {
			if b := t.best(h, h.n-gap); b != nil {
				t.warnGap(b, h, line)
				return t.take(b, h)
			}
		}
		if t.recent >= 0 {
			if b := t.procs[t.recent]; fits(b, h) {
				t.warnGap(b, h, line)
				return t.take(b, h)
			}
		}
	}
	b := &procBuilder{lastLive: -1, lastGoal: -1}
	b.p.Index = len(t.procs)
	if prev := t.wentBack(h); prev != nil {
		b.p.TimeWentBack = line
		t.warn(b, fmt.Sprintf("%s:%d: time went backwards: gc %d @%s follows gc %d @%s of line %d; read as another process",
			t.name, line, h.n, seconds(h.start), prev.lastN, seconds(prev.lastStart), prev.lastLine))
	}
	if len(t.procs) == 1 {
		first := t.procs[0]
		t.byLast = map[int][]int{first.lastN: {first.p.Index}}
	}
	t.procs = append(t.procs, b)
	if t.byLast != nil {
		t.byLast[h.n] = append(t.byLast[h.n], b.p.Index)
	}
	t.recent = b.p.Index
	return b
}

// wentBack returns the process h would have continued, the one that
// printed last, when only its time stops it: the gc counter goes on, the
// clock does not (a log with lines from two hosts, or edited). Nil when
// the counter restarted or h follows no process.
func (t *tracker) wentBack(h header) *procBuilder {
	if t.recent < 0 || h.n <= 1 {
		return nil
	}
	b := t.procs[t.recent]
	if h.n > b.lastN && h.n-b.lastN <= maxGap && h.start < b.lastStart {
		return b
	}
	return nil
}

// seconds formats a record's @T as the runtime prints it.
func seconds(ns int64) string {
	return fmt.Sprintf("%.3fs", float64(ns)/1e9)
}

// fits reports whether h may continue b at all.
func fits(b *procBuilder, h header) bool {
	return h.n > b.lastN && h.start >= b.lastStart &&
		(b.format == formatUnknown || h.format == formatUnknown || b.format == h.format)
}

// best picks among the processes whose last record was gc last.
func (t *tracker) best(h header, last int) *procBuilder {
	if t.byLast == nil {
		// At most one process.
		if len(t.procs) == 1 && t.procs[0].lastN == last && fits(t.procs[0], h) {
			return t.procs[0]
		}
		return nil
	}
	cands := t.byLast[last]
	var best *procBuilder
	bestScore := -1
	for i := len(cands) - 1; i >= 0 && i >= len(cands)-maxCandidates; i-- {
		b := t.procs[cands[i]]
		if !fits(b, h) {
			continue
		}
		s := score(b, h)
		if s > bestScore || (s == bestScore && b.lastLine > best.lastLine) {
			best, bestScore = b, s
		}
	}
	return best
}

// score rates how well h continues b; see tracker.
func score(b *procBuilder, h header) int {
	s := 0
	if h.procs != 0 && h.procs == b.lastProcs {
		s += 4
	}
	if h.heapStart >= 0 && b.lastLive >= 0 && h.heapStart >= b.lastLive {
		s++
		if h.heapStart <= b.lastGoal {
			s += 2
		}
	}
	return s
}

// take moves b from its bucket to h.n's.
func (t *tracker) take(b *procBuilder, h header) *procBuilder {
	t.recent = b.p.Index
	if t.byLast == nil {
		return b
	}
	old := t.byLast[b.lastN]
	// Search from the end: candidates are taken from there.
	for i := len(old) - 1; i >= 0; i-- {
		if old[i] == b.p.Index {
			old = slices.Delete(old, i, i+1)
			break
		}
	}
	next := t.byLast[h.n]
	if len(old) == 0 {
		delete(t.byLast, b.lastN)
		if next == nil {
			// Reuse the emptied bucket: in the common case of one
			// process, this saves an allocation per record.
			next = old
		}
	} else {
		t.byLast[b.lastN] = old
	}
	t.byLast[h.n] = append(next, b.p.Index)
	return b
}

func (t *tracker) warnGap(b *procBuilder, h header, line int) {
	missing := fmt.Sprintf("gc %d", b.lastN+1)
	if h.n-b.lastN > 2 {
		missing = fmt.Sprintf("gc %d to %d", b.lastN+1, h.n-1)
	}
	t.warn(b, fmt.Sprintf("%s:%d: %s missing between lines %d and %d", t.name, line, missing, b.lastLine, line))
}

// warn notes msg on the process and in the Result.
func (t *tracker) warn(b *procBuilder, msg string) {
	b.warn(msg)
	t.out.add(msg)
}
