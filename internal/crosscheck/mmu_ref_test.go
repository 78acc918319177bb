package crosscheck

import (
	"math"
	"os"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/gcwatch/gcwatch/internal/ingest/exectrace"
	"github.com/gcwatch/gcwatch/internal/mmu"
	"github.com/gcwatch/gcwatch/internal/model"
	"github.com/gcwatch/gcwatch/internal/tracetest"

	exptrace "golang.org/x/exp/trace"
)

// The MMU as docs/mmu.md defines it, computed the slow way from the trace's
// events, and compared with the curve the ingest builds.
//
// At time t there are procs Ps (the last /sched/gomaxprocs:threads metric)
// and the GC takes
//
//	gc(t) = procs                  during a GC stop-the-world pause
//	      = running assists + running dedicated or fractional workers
//	                               otherwise
//
// where a running assist is a goroutine that is executing inside a "GC mark
// assist" range, and a running worker is a goroutine executing a run that
// the runtime labelled "GC (dedicated)" or "GC (fractional)" when it
// started it. The utilisation is u(t) = 1 − min(gc, procs)/procs, from the
// first GOMAXPROCS metric to the last event; MMU(w) is the least mean of u
// over a window of length w inside that span.

// utilStep says that the utilisation is u from t until the next step.
type utilStep struct {
	t int64
	u float64
}

// utilFunc is a step function of time, ending at end.
type utilFunc struct {
	steps []utilStep
	end   int64
}

// set makes the utilisation u from t on; a second step at the same time
// replaces the first, so what holds is the state after the last event at t.
func (f *utilFunc) set(t int64, u float64) {
	if n := len(f.steps); n > 0 && f.steps[n-1].t == t {
		f.steps[n-1].u = u
		return
	}
	f.steps = append(f.steps, utilStep{t, u})
}

// mmu is the exact minimum mutator utilisation for windows of length w, or
// NaN when no such window fits. The mean over a window changes slope only
// where one of its edges crosses a step, so it is least at a window that
// starts or ends at a step (or ends at the end); those are all tried.
func (f *utilFunc) mmu(w time.Duration) float64 {
	if len(f.steps) == 0 || f.end-f.steps[0].t < int64(w) {
		return math.NaN()
	}
	first, last := f.steps[0].t, f.end-int64(w)
	// integral[i] is ∫u from the first step to step i, with times made
	// relative to the first step so that the sums stay small.
	integral := make([]float64, len(f.steps))
	for i := 1; i < len(f.steps); i++ {
		integral[i] = integral[i-1] + f.steps[i-1].u*float64(f.steps[i].t-f.steps[i-1].t)
	}
	upTo := func(x int64) float64 {
		i := sort.Search(len(f.steps), func(i int) bool { return f.steps[i].t > x }) - 1
		return integral[i] + f.steps[i].u*float64(x-f.steps[i].t)
	}
	best := math.Inf(1)
	try := func(start int64) {
		if start < first || start > last {
			return
		}
		best = math.Min(best, (upTo(start+int64(w))-upTo(start))/float64(w))
	}
	for _, s := range f.steps {
		try(s.t)
		try(s.t - int64(w))
	}
	try(last)
	return best
}

// readEvents reads every event of a trace into memory; the recordings are
// small, and each reference below is one plain loop over the slice.
func readEvents(t *testing.T, path string) []exptrace.Event {
	t.Helper()
	return slices.Collect(tracetest.Events(t, path))
}

// interval is a time range [begin, end) on the trace clock.
type interval struct{ begin, end int64 }

// isGCPauseRange reports whether a range is a GC stop-the-world pause: the
// runtime names them "stop-the-world (GC sweep termination)" and
// "stop-the-world (GC mark termination)".
func isGCPauseRange(name string) bool {
	return strings.HasPrefix(name, "stop-the-world (GC ")
}

// definedUtil is u(t) as the definition above says, with the GC pauses
// given as intervals (see gcPausesOf for why they are an input).
func definedUtil(evs []exptrace.Event, pauses []interval) *utilFunc {
	f := &utilFunc{}
	procs := 0
	running := map[exptrace.GoID]bool{}
	assisting := map[exptrace.GoID]bool{}
	working := map[exptrace.GoID]bool{} // labelled dedicated or fractional for this run
	busy := 0                           // goroutines running an assist or a worker's run
	counts := func(g exptrace.GoID) int {
		if running[g] && (assisting[g] || working[g]) {
			return 1
		}
		return 0
	}
	// change applies fn to goroutine g's state and keeps busy up to date.
	change := func(g exptrace.GoID, fn func()) {
		busy -= counts(g)
		fn()
		busy += counts(g)
	}
	inPause := func(t int64) bool {
		for _, p := range pauses {
			if p.begin <= t && t < p.end {
				return true
			}
		}
		return false
	}
	utilAt := func(t int64) float64 {
		if inPause(t) {
			return 0
		}
		return 1 - float64(min(busy, procs))/float64(procs)
	}
	// Pause edges are steps too, so they are visited with the events.
	var edges []int64
	for _, p := range pauses {
		edges = append(edges, p.begin, p.end)
	}
	sort.Slice(edges, func(i, j int) bool { return edges[i] < edges[j] })

	for _, ev := range evs {
		now := int64(ev.Time())
		for procs > 0 && len(edges) > 0 && edges[0] < now {
			f.set(edges[0], utilAt(edges[0]))
			edges = edges[1:]
		}
		switch ev.Kind() {
		case exptrace.EventMetric:
			if m := ev.Metric(); m.Name == "/sched/gomaxprocs:threads" {
				procs = int(m.Value.Uint64())
			}
		case exptrace.EventStateTransition:
			st := ev.StateTransition()
			if st.Resource.Kind != exptrace.ResourceGoroutine {
				break
			}
			g := st.Resource.Goroutine()
			_, to := st.Goroutine()
			change(g, func() {
				if to.Executing() != running[g] {
					// A run starts unlabelled: the runtime labels a
					// worker right after starting it, every time.
					working[g] = false
				}
				running[g] = to.Executing()
			})
		case exptrace.EventLabel:
			g := ev.Goroutine()
			l := ev.Label().Label
			change(g, func() { working[g] = l == "GC (dedicated)" || l == "GC (fractional)" })
		case exptrace.EventRangeBegin, exptrace.EventRangeActive, exptrace.EventRangeEnd:
			r := ev.Range()
			if r.Name != "GC mark assist" {
				break
			}
			g := r.Scope.Goroutine()
			change(g, func() { assisting[g] = ev.Kind() != exptrace.EventRangeEnd })
		}
		if procs > 0 {
			f.set(now, utilAt(now))
		}
	}
	if len(evs) > 0 {
		f.end = int64(evs[len(evs)-1].Time())
	}
	return f
}

// rawGCPauses are the GC stop-the-world ranges of the trace.
func rawGCPauses(evs []exptrace.Event) []interval {
	var out []interval
	open := map[exptrace.GoID]int64{}
	for _, ev := range evs {
		switch ev.Kind() {
		case exptrace.EventRangeBegin, exptrace.EventRangeActive:
			if r := ev.Range(); isGCPauseRange(r.Name) {
				if _, ok := open[r.Scope.Goroutine()]; !ok {
					open[r.Scope.Goroutine()] = int64(ev.Time())
				}
			}
		case exptrace.EventRangeEnd:
			if r := ev.Range(); isGCPauseRange(r.Name) {
				if begin, ok := open[r.Scope.Goroutine()]; ok {
					out = append(out, interval{begin, int64(ev.Time())})
					delete(open, r.Scope.Goroutine())
				}
			}
		}
	}
	return out
}

// gcPausesOf takes the GC pauses from the run, after checking that each
// one begins with a GC stop-the-world range of the trace and ends no later
// than it. The definition charges "the stop-the-world pause as the runtime
// measures it", which may end before the trace's range does (the world
// restarts inside the range); taking the pauses from the run keeps this
// test about the utilisation and the windows, while the pause boundaries
// themselves are checked against the events by TestExectracePauses.
func gcPausesOf(t *testing.T, run *model.Run, raw []interval) []interval {
	t.Helper()
	byBegin := map[int64]int64{}
	for _, r := range raw {
		byBegin[r.begin] = r.end
	}
	var out []interval
	for _, p := range run.Pauses {
		if !p.IsGC() {
			continue
		}
		begin, end := int64(p.Start), int64(p.Start.Add(p.Duration))
		rawEnd, ok := byBegin[begin]
		if !ok || end > rawEnd {
			t.Errorf("GC pause %q [%d, %d] is not the start of a GC stop-the-world range of the trace", p.Reason, begin, end)
		}
		out = append(out, interval{begin, end})
	}
	if len(out) != len(raw) {
		t.Errorf("the run has %d GC pauses, the trace %d GC stop-the-world ranges", len(out), len(raw))
	}
	return out
}

// readRunWindows ingests a recording with the package under test, asking
// for the MMU at the given windows.
func readRunWindows(t *testing.T, s scenario, windows []time.Duration) *model.Run {
	t.Helper()
	f, err := os.Open(s.path("trace.out"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	run, err := exectrace.Read(f, s.path("trace.out"), exectrace.Options{MMU: mmu.Options{Windows: windows, Worst: -1}})
	if err != nil {
		t.Fatalf("exectrace.Read: %v", err)
	}
	if run.MMU == nil {
		t.Fatalf("no MMU curve from %s", s.path("trace.out"))
	}
	return run
}

// mmuTolerance is how far the ingest's curve may be from the reference:
// both are exact, so only rounding separates them.
const mmuTolerance = 1e-9

// checkDefinedMMU compares the run's curve with the reference at every
// window of the curve that fits in the reference's span.
func checkDefinedMMU(t *testing.T, run *model.Run, ref *utilFunc) {
	t.Helper()
	checked := 0
	for _, pt := range run.MMU.Points {
		want := ref.mmu(pt.Window)
		if math.IsNaN(want) {
			continue
		}
		checked++
		if math.Abs(pt.MMU-want) > mmuTolerance {
			t.Errorf("MMU(%v) = %.12f, the definition gives %.12f", pt.Window, pt.MMU, want)
		}
	}
	if checked == 0 {
		t.Errorf("no window of the curve fits in the trace")
	}
}

// TestMMUDefinition checks the ingest's MMU against the definition on every
// recording, at the default windows.
func TestMMUDefinition(t *testing.T) {
	for _, s := range scenarios(t) {
		t.Run(s.Name, func(t *testing.T) {
			evs := readEvents(t, s.path("trace.out"))
			run := readRunWindows(t, s, mmu.DefaultWindows())
			ref := definedUtil(evs, gcPausesOf(t, run, rawGCPauses(evs)))
			checkDefinedMMU(t, run, ref)
		})
	}
}

// TestUtilFuncMMU checks the reference's MMU on a hand-drawn function,
// one column per nanosecond:
//
//	u  1 ████  ██████
//	   ½     ██
//	   0             ████
//	     0   4 6     12  16
func TestUtilFuncMMU(t *testing.T) {
	f := &utilFunc{steps: []utilStep{{0, 1}, {4, 0.5}, {6, 1}, {12, 0}}, end: 16}
	for _, c := range []struct {
		w    time.Duration
		want float64
	}{
		{1, 0},
		{4, 0},                   // [12, 16]
		{5, 1 / 5.0},             // [11, 16]
		{8, 4 / 8.0},             // [8, 16]
		{10, 6 / 10.0},           // [6, 16]; [5, 15] has ½ more
		{16, (4 + 1 + 6) / 16.0}, // the whole function
		{17, math.NaN()},
	} {
		got := f.mmu(c.w)
		if math.IsNaN(c.want) != math.IsNaN(got) || !math.IsNaN(got) && math.Abs(got-c.want) > 1e-12 {
			t.Errorf("MMU(%d) = %v, want %v", c.w, got, c.want)
		}
	}
}
