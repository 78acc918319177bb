package crosscheck

import (
	"strings"
	"testing"
	"time"

	"github.com/gcwatch/gcwatch/internal/tracetest"
	exptrace "golang.org/x/exp/trace"
)

// The reference reading of an execution trace: one loop over the events,
// keeping the GC cycles, the stop-the-world ranges and the tasks, with
// nothing clever. Times are on the trace clock, in nanoseconds.

type rawCycle struct {
	begin, end   int64
	activeAtOpen bool // the range was already under way when the trace started
	open         bool // the range had not ended when the trace stopped
	sweepTerm    *rawSTW
	markTerm     *rawSTW
}

type rawSTW struct {
	reason     string
	begin, end int64 // the trace's range
	open       bool
	// released is, for mark termination, the first heap-goal metric event
	// inside the range traced by the goroutine that stopped the world
	// (another M may trace a new generation's first heap goal):
	// gcMarkTermination commits the next cycle's pacing
	// (which traces the goal) and takes the pause's end time right after,
	// before it restarts the world. 0 when there is none.
	released int64
}

// pauseEnd is where the pause ends as the runtime counts it.
func (s rawSTW) pauseEnd() int64 {
	if s.released > 0 {
		return s.released
	}
	return s.end
}

// duration is the pause as the runtime counts it.
func (s rawSTW) duration() time.Duration { return time.Duration(s.pauseEnd() - s.begin) }

// isGC follows the runtime's own naming: GC pauses are the two whose reason
// begins with "GC ".
func (s rawSTW) isGC() bool { return strings.HasPrefix(s.reason, "GC ") }

type rawTask struct {
	id         uint64
	typ        string
	begin, end int64
	open       bool
}

type rawTrace struct {
	first, last int64
	// snapshot is the first clock snapshot (Go 1.25+ traces): a trace time
	// and the wall-clock time read with it.
	snapshot *exptrace.ClockSnapshot
	cycles   []rawCycle
	stws     []rawSTW
	tasks    []rawTask
	regions  []rawRegion
}

type rawRegion struct {
	typ        string
	g          uint64
	begin, end int64
	open       bool
}

const gcRange = "GC concurrent mark phase"

func readRawTrace(t *testing.T, path string) *rawTrace {
	t.Helper()
	raw := &rawTrace{first: -1}
	openCycle := -1
	openSTW := map[exptrace.GoID]int{} // goroutine that stopped the world → index in stws
	openTask := map[exptrace.TaskID]int{}
	openRegions := map[exptrace.GoID][]int{} // stack of open regions per goroutine
	for ev := range tracetest.Events(t, path) {
		now := int64(ev.Time())
		if raw.first < 0 {
			raw.first = now
		}
		raw.last = now
		switch ev.Kind() {
		case exptrace.EventSync:
			if cs := ev.Sync().ClockSnapshot; cs != nil && raw.snapshot == nil {
				raw.snapshot = cs
			}
		case exptrace.EventMetric:
			if ev.Metric().Name == "/gc/heap/goal:bytes" {
				for g, i := range openSTW {
					if s := &raw.stws[i]; s.reason == "GC mark termination" && s.released == 0 && g == ev.Goroutine() {
						s.released = now
					}
				}
			}
		case exptrace.EventRangeBegin, exptrace.EventRangeActive:
			rg := ev.Range()
			switch {
			case rg.Name == gcRange && openCycle < 0:
				raw.cycles = append(raw.cycles, rawCycle{begin: now, activeAtOpen: ev.Kind() == exptrace.EventRangeActive, open: true})
				openCycle = len(raw.cycles) - 1
			case strings.HasPrefix(rg.Name, "stop-the-world ("):
				g := rg.Scope.Goroutine()
				if _, ok := openSTW[g]; ok {
					continue // already open: an Active at a generation boundary
				}
				reason := strings.TrimSuffix(strings.TrimPrefix(rg.Name, "stop-the-world ("), ")")
				raw.stws = append(raw.stws, rawSTW{reason: reason, begin: now, open: true})
				openSTW[g] = len(raw.stws) - 1
			}
		case exptrace.EventRangeEnd:
			rg := ev.Range()
			switch {
			case rg.Name == gcRange && openCycle >= 0:
				raw.cycles[openCycle].end, raw.cycles[openCycle].open = now, false
				openCycle = -1
			case strings.HasPrefix(rg.Name, "stop-the-world ("):
				g := rg.Scope.Goroutine()
				if i, ok := openSTW[g]; ok {
					raw.stws[i].end, raw.stws[i].open = now, false
					delete(openSTW, g)
				}
			}
		case exptrace.EventRegionBegin:
			g := ev.Goroutine()
			raw.regions = append(raw.regions, rawRegion{typ: ev.Region().Type, g: uint64(g), begin: now, open: true})
			openRegions[g] = append(openRegions[g], len(raw.regions)-1)
		case exptrace.EventRegionEnd:
			g := ev.Goroutine()
			if st := openRegions[g]; len(st) > 0 {
				i := st[len(st)-1]
				raw.regions[i].end, raw.regions[i].open = now, false
				openRegions[g] = st[:len(st)-1]
			}
		case exptrace.EventTaskBegin:
			tk := ev.Task()
			raw.tasks = append(raw.tasks, rawTask{id: uint64(tk.ID), typ: tk.Type, begin: now, open: true})
			openTask[tk.ID] = len(raw.tasks) - 1
		case exptrace.EventTaskEnd:
			tk := ev.Task()
			if i, ok := openTask[tk.ID]; ok {
				raw.tasks[i].end, raw.tasks[i].open = now, false
				delete(openTask, tk.ID)
			}
		}
	}
	raw.closeOpen()
	raw.attachSTWs()
	return raw
}

// closeOpen ends whatever was still open at the last event.
func (raw *rawTrace) closeOpen() {
	for i := range raw.cycles {
		if raw.cycles[i].open {
			raw.cycles[i].end = raw.last
		}
	}
	for i := range raw.stws {
		if raw.stws[i].open {
			raw.stws[i].end = raw.last
		}
	}
	for i := range raw.tasks {
		if raw.tasks[i].open {
			raw.tasks[i].end = raw.last
		}
	}
	for i := range raw.regions {
		if raw.regions[i].open {
			raw.regions[i].end = raw.last
		}
	}
}

// attachSTWs gives each cycle the GC pauses that lie inside its range.
func (raw *rawTrace) attachSTWs() {
	for i := range raw.stws {
		s := &raw.stws[i]
		if !s.isGC() {
			continue
		}
		for j := range raw.cycles {
			c := &raw.cycles[j]
			if s.begin < c.begin || s.begin > c.end {
				continue
			}
			switch s.reason {
			case "GC sweep termination":
				c.sweepTerm = s
			case "GC mark termination":
				c.markTerm = s
			}
		}
	}
}

// stwByReason sums the pauses by reason.
func (raw *rawTrace) stwByReason() map[string]stwTotal {
	m := map[string]stwTotal{}
	for _, s := range raw.stws {
		tot := m[s.reason]
		tot.count++
		tot.total += s.duration()
		m[s.reason] = tot
	}
	return m
}

type stwTotal struct {
	count int
	total time.Duration
}

// TestRawTraceSanity checks the reference reader on every recording against
// facts the example programs guarantee, so that a broken reference cannot
// make the comparisons pass.
func TestRawTraceSanity(t *testing.T) {
	for _, s := range scenarios(t) {
		t.Run(s.Name, func(t *testing.T) {
			raw := readRawTrace(t, s.path("trace.out"))
			if len(raw.cycles) == 0 {
				t.Errorf("no GC cycles in the trace")
			}
			if len(raw.tasks) == 0 {
				t.Errorf("no tasks in the trace")
			}
			for _, tk := range raw.tasks {
				if tk.typ != "request" {
					t.Errorf("task %d has type %q, want request", tk.id, tk.typ)
				}
				if tk.end < tk.begin {
					t.Errorf("task %d ends before it begins", tk.id)
				}
			}
			for i, c := range raw.cycles {
				if c.open {
					continue
				}
				if c.markTerm == nil {
					t.Errorf("cycle %d (%d..%d) has no mark-termination pause", i, c.begin, c.end)
				}
				if c.sweepTerm == nil && !c.activeAtOpen {
					t.Errorf("cycle %d (%d..%d) has no sweep-termination pause", i, c.begin, c.end)
				}
			}
			// Every trace starts and stops the world to start and stop
			// tracing; the start is often before the first event.
			if raw.stwByReason()["stop trace"].count == 0 && raw.stwByReason()["start trace"].count == 0 {
				t.Logf("no start/stop trace pauses seen")
			}
		})
	}
}
