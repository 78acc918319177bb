package crosscheck

import (
	"strings"

	exptrace "golang.org/x/exp/trace"
)

// workerBookkeeping is a way of counting background mark workers.
type workerBookkeeping int

const (
	// workersAsTool counts them as go tool trace does.
	workersAsTool workerBookkeeping = iota
	// workersCountedOnce counts each run once: the label adds one only for
	// a goroutine's first labelled run, later runs counting from their
	// start. Runs in idle mode of a goroutine once labelled still count.
	workersCountedOnce
	// workersPerRun counts them as the definition does: a run counts from
	// its label to its stop when the label is dedicated or fractional.
	workersPerRun
)

// toolUtil is u(t) the way go tool trace (Go 1.26) builds it for its MMU
// page with the default sources (GC pauses, background workers, assists;
// not sweep, not per P), written down from reading its bookkeeping so that
// the test can say where its curve comes from. docs/mmu.md explains it.
//
// It keeps a counter per P of "GC things" going on there; a P counts as
// taken while its counter is above zero, and every P while a GC pause is on.
//
//   - An assist range's begin and end add and remove one on the event's P,
//     and while it is open its goroutine's starts and stops add and remove
//     one too.
//   - A goroutine labelled "GC (dedicated)" or "GC (fractional)" is marked
//     for good. The label adds one on its P, and from then on every start
//     of the goroutine adds one and every stop removes one. The runtime
//     labels a worker right after each start, so from its second run on a
//     worker's start is counted twice and its stop once: each such run
//     leaves its P's counter one higher, and the P is taken from then on
//     (only a lower GOMAXPROCS, which drops the counters of the Ps that go,
//     forgets it). Runs in idle mode of a marked goroutine are counted like
//     the others.
//   - The curve ends at its last change, not at the last event (see the end
//     of the loop).
//
// The workers argument says how workers are counted: as the tool does, or
// with one of its two departures from the definition undone, so that the
// test can tell how much of the difference each one makes. Everything else
// stays as the tool does it.
func toolUtil(evs []exptrace.Event, workers workerBookkeeping) *utilFunc {
	f := &utilFunc{}
	var onP []int // the per-P counters, as many as GOMAXPROCS
	type procsFrom struct {
		t int64
		n int
	}
	var procs []procsFrom
	pauses, syncs := 0, 0
	executing := map[exptrace.GoID]bool{}
	assisting := map[exptrace.GoID]bool{}
	marked := map[exptrace.GoID]bool{} // labelled dedicated or fractional: ever, or this run with workersPerRun
	add := func(p exptrace.ProcID, d int) {
		if p >= 0 && int(p) < len(onP) {
			onP[p] += d
		}
	}
	isWorkerLabel := func(l string) bool {
		return strings.HasPrefix(l, "GC ") && l != "GC (idle)"
	}
	isPause := func(name string) bool {
		return strings.HasPrefix(name, "stop-the-world") && strings.Contains(name, "GC")
	}

	for _, ev := range evs {
		now := int64(ev.Time())
		switch ev.Kind() {
		case exptrace.EventSync:
			syncs = ev.Sync().N
		case exptrace.EventMetric:
			if m := ev.Metric(); m.Name == "/sched/gomaxprocs:threads" {
				n := int(m.Value.Uint64())
				if n < len(onP) {
					onP = onP[:n] // the counters of the Ps that go are forgotten
				}
				for len(onP) < n {
					onP = append(onP, 0)
				}
				if len(procs) == 0 || procs[len(procs)-1].n != n {
					procs = append(procs, procsFrom{now, n})
				}
			}
		}
		if len(onP) == 0 {
			continue // nothing is counted before GOMAXPROCS is known
		}

		switch ev.Kind() {
		case exptrace.EventRangeActive:
			if syncs > 1 {
				break // only the first generation's ranges are news
			}
			r := ev.Range()
			if r.Name == "GC mark assist" && executing[r.Scope.Goroutine()] {
				// Assisting and running since the trace began: one P
				// less from the start up to now.
				pi := 0
				for i := range f.steps {
					for pi+1 < len(procs) && procs[pi+1].t < f.steps[i].t {
						pi++
					}
					f.steps[i].u = max(0, f.steps[i].u-1/float64(procs[pi].n))
				}
			}
			fallthrough
		case exptrace.EventRangeBegin:
			r := ev.Range()
			if isPause(r.Name) {
				pauses++
			} else if r.Name == "GC mark assist" {
				add(ev.Proc(), 1)
				if g := r.Scope.Goroutine(); g != exptrace.NoGoroutine {
					assisting[g] = true
				}
			}
		case exptrace.EventRangeEnd:
			r := ev.Range()
			if isPause(r.Name) {
				pauses--
			} else if r.Name == "GC mark assist" {
				add(ev.Proc(), -1)
				if g := r.Scope.Goroutine(); g != exptrace.NoGoroutine {
					delete(assisting, g)
				}
			}
		case exptrace.EventStateTransition:
			st := ev.StateTransition()
			if st.Resource.Kind != exptrace.ResourceGoroutine {
				break
			}
			g := st.Resource.Goroutine()
			from, to := st.Goroutine()
			if assisting[g] || marked[g] {
				switch {
				case !from.Executing() && to.Executing():
					if workers != workersPerRun || assisting[g] {
						add(ev.Proc(), 1)
					}
				case from.Executing() && !to.Executing():
					add(ev.Proc(), -1)
					if workers == workersPerRun {
						delete(marked, g)
					}
				}
			}
			executing[g] = to.Executing()
		case exptrace.EventLabel:
			if g := ev.Goroutine(); isWorkerLabel(ev.Label().Label) {
				if workers == workersAsTool || !marked[g] {
					add(ev.Proc(), 1)
				}
				marked[g] = true
			}
		}

		taken := len(onP)
		if pauses == 0 {
			taken = 0
			for _, n := range onP {
				if n > 0 {
					taken++
				}
			}
		}
		f.addLowest(now, 1-float64(taken)/float64(len(onP)))
	}
	if len(f.steps) > 0 {
		// The tool closes the curve with a 0 at the last event, added
		// like any other step: when the utilisation is 0 already, it adds
		// nothing, and the curve ends at its last step instead, cutting
		// off the stretch of 0 before the end of the trace.
		f.addLowest(int64(evs[len(evs)-1].Time()), 0)
		f.end = f.steps[len(f.steps)-1].t
	}
	return f
}

// addLowest is the tool's way of adding a step: nothing when the value
// does not change, and the lowest value when two fall at the same time
// (so the value that then holds until the next step may be one from the
// middle of a burst of simultaneous events, not the state after them).
func (f *utilFunc) addLowest(t int64, u float64) {
	if n := len(f.steps); n > 0 {
		last := &f.steps[n-1]
		if u == last.u {
			return
		}
		if t == last.t {
			last.u = min(last.u, u)
			return
		}
	}
	f.steps = append(f.steps, utilStep{t, u})
}
