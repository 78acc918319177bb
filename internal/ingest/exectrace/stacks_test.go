package exectrace

import (
	"bytes"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	exptrace "golang.org/x/exp/trace"

	"github.com/gcwatch/gcwatch/internal/model"
	"github.com/gcwatch/gcwatch/internal/tracetest"
)

// stackTraces are the recorded examples and the old formats GOROOT ships.
func stackTraces(t *testing.T) []string {
	files, _ := filepath.Glob("../../../examples/testdata/*/trace.out")
	old, _ := filepath.Glob(filepath.Join(goroot(t), "src/internal/trace/internal/tracev1/testdata/*_good"))
	files = append(files, old...)
	if len(files) == 0 {
		t.Skip("no traces in examples/testdata or GOROOT")
	}
	return files
}

func readStacks(t *testing.T, data []byte, name string, opts Options) *model.Run {
	t.Helper()
	run, err := Read(bytes.NewReader(data), name, opts)
	if err != nil {
		t.Fatalf("Read: %v", err)
	}
	return run
}

// TestStacksKeepRun checks that asking for stacks changes nothing else,
// and that the assist split sums to the assist total.
func TestStacksKeepRun(t *testing.T) {
	for _, f := range stackTraces(t) {
		t.Run(filepath.Base(filepath.Dir(f))+"/"+filepath.Base(f), func(t *testing.T) {
			data, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			plain := readStacks(t, data, f, Options{})
			with := readStacks(t, data, f, Options{Stacks: true})
			// x/exp's conversion of the old (Go 1.11–1.21) formats is not
			// deterministic: a few ns move between two reads of the same
			// bytes, now and then (seen in CI on stress_1_11_good). For
			// those, times may differ by up to a microsecond and fractions
			// by 1e-6; everything else (counts, kinds, order) must match.
			var opts []cmp.Option
			if strings.Contains(filepath.ToSlash(f), "/tracev1/") {
				opts = append(opts, nearlyEqual...)
			}
			if !with.Fidelity.Stacks || plain.Fidelity.Stacks {
				t.Errorf("Fidelity.Stacks = %v with, %v without", with.Fidelity.Stacks, plain.Fidelity.Stacks)
			}
			var sum time.Duration
			for _, a := range with.AssistStacks {
				sum += a.Time
				if a.Stack < model.NoStack || a.Stack >= len(with.Stacks) {
					t.Errorf("assist stack index %d out of range", a.Stack)
				}
			}
			if sum != with.GCCPU.Assist {
				t.Errorf("assist by stack sums to %v, GCCPU.Assist is %v", sum, with.GCCPU.Assist)
			}
			stripped := *with
			stripped.Stacks, stripped.AssistStacks, stripped.Fidelity.Stacks = nil, nil, false
			// Requests compared apart, as slices: their Equal method would
			// leave out the slack the old formats need.
			var withReqs []model.Request
			for _, r := range with.Requests.All() {
				r.PauseStacks = nil
				withReqs = append(withReqs, r)
			}
			plainRun := *plain
			plainRun.Requests, stripped.Requests = nil, nil
			if d := cmp.Diff(plain.Requests.Slice(), withReqs, append(opts, cmpopts.EquateEmpty())...); d != "" {
				t.Errorf("stacks changed the requests (-without +with):\n%s", d)
			}
			if d := cmp.Diff(&plainRun, &stripped, opts...); d != "" {
				t.Errorf("stacks changed the run (-without +with):\n%s", d)
			}
		})
	}
}

// nearlyEqual lets times and durations differ by 1 µs and fractions by
// 1e-6: the slack old-format traces need (see TestStacksKeepRun).
var nearlyEqual = []cmp.Option{
	cmp.Comparer(func(a, b time.Duration) bool { return (a - b).Abs() <= time.Microsecond }),
	cmp.Comparer(func(a, b model.Time) bool { return (a-b) <= 1000 && (b-a) <= 1000 }),
	cmp.Comparer(func(a, b float64) bool { return math.Abs(a-b) <= 1e-6 }),
}

// stackKey names a stack by its frames.
func stackKey(frames func(func(exptrace.StackFrame) bool)) string {
	var sb strings.Builder
	for f := range frames {
		fmt.Fprintf(&sb, "%s %s:%d\n", f.Func, f.File, f.Line)
	}
	return sb.String()
}

func modelStackKey(run *model.Run, i int) string {
	if i == model.NoStack {
		return ""
	}
	var sb strings.Builder
	for _, f := range run.Stacks[i].Frames {
		fmt.Fprintf(&sb, "%s %s:%d\n", f.Function, f.File, f.Line)
	}
	return sb.String()
}

// rawAssistByStack sums, from raw events, the time each goroutine runs
// inside a mark assist, by the stack of the assist's begin event.
func rawAssistByStack(t *testing.T, data []byte) map[string]time.Duration {
	type goInfo struct {
		running, assist bool
		since           exptrace.Time
		stack           string
	}
	gs := map[exptrace.GoID]*goInfo{}
	out := map[string]time.Duration{}
	info := func(g exptrace.GoID) *goInfo {
		if gs[g] == nil {
			gs[g] = &goInfo{}
		}
		return gs[g]
	}
	settle := func(gi *goInfo, now exptrace.Time) {
		if gi.running && gi.assist {
			out[gi.stack] += now.Sub(gi.since)
		}
		gi.since = now
	}
	var last exptrace.Time
	for ev := range tracetest.EventsOf(t, "trace", data) {
		last = ev.Time()
		switch ev.Kind() {
		case exptrace.EventStateTransition:
			st := ev.StateTransition()
			if st.Resource.Kind != exptrace.ResourceGoroutine {
				continue
			}
			gi := info(st.Resource.Goroutine())
			_, to := st.Goroutine()
			settle(gi, ev.Time())
			gi.running = to == exptrace.GoRunning
		case exptrace.EventRangeBegin, exptrace.EventRangeActive, exptrace.EventRangeEnd:
			rg := ev.Range()
			if rg.Name == "stop-the-world (GC mark termination)" && ev.Kind() == exptrace.EventRangeBegin {
				// the assist ends as assist time where its goroutine
				// stops the world for mark termination
				if gi := info(ev.Goroutine()); gi.assist {
					settle(gi, ev.Time())
					gi.assist = false
				}
				continue
			}
			if rg.Name != "GC mark assist" {
				continue
			}
			gi := info(rg.Scope.Goroutine())
			on := ev.Kind() != exptrace.EventRangeEnd
			if on == gi.assist {
				continue
			}
			settle(gi, ev.Time())
			gi.assist = on
			gi.stack = ""
			if ev.Kind() == exptrace.EventRangeBegin {
				gi.stack = stackKey(ev.Stack().Frames())
			}
		}
	}
	for _, gi := range gs {
		settle(gi, last)
	}
	return out
}

// TestAssistStacksRaw checks the assist split against raw events, on a
// single reader and on per-generation readers.
func TestAssistStacksRaw(t *testing.T) {
	for _, f := range stackTraces(t) {
		t.Run(filepath.Base(filepath.Dir(f))+"/"+filepath.Base(f), func(t *testing.T) {
			data, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			want := rawAssistByStack(t, data)
			for _, whole := range []bool{false, true} {
				run := readStacks(t, data, f, Options{Stacks: true, whole: whole})
				got := map[string]time.Duration{}
				for _, a := range run.AssistStacks {
					got[modelStackKey(run, a.Stack)] += a.Time
				}
				for k, v := range want {
					if v == 0 {
						delete(want, k)
					}
				}
				// x/exp's conversion of Go ≤1.21 traces moves a few
				// events by a nanosecond from one read to the next.
				slack := time.Duration(0)
				if n, _ := formatVersion(data); n <= 21 {
					slack = 10
				}
				near := cmp.Comparer(func(x, y time.Duration) bool { return (x - y).Abs() <= slack })
				if d := cmp.Diff(want, got, near); d != "" {
					t.Errorf("whole=%v: assist time by stack (-raw +gcwatch):\n%s", whole, d)
				}
			}
		})
	}
}

// TestPauseStacksCover checks that every request that overlapped a GC
// pause notes a goroutine and a known stack for that pause, and nothing
// else.
func TestPauseStacksCover(t *testing.T) {
	for name, data := range exampleTraces(t) {
		t.Run(name, func(t *testing.T) {
			run := readStacks(t, data, name, Options{Stacks: true})
			checked := 0
			for _, r := range run.Requests.All() {
				if r.Open {
					continue
				}
				want := map[model.Time]bool{}
				for _, p := range run.Pauses {
					if p.IsGC() && p.Start < r.End && p.End() > r.Start {
						want[p.Start] = true
					}
				}
				got := map[model.Time]bool{}
				for _, ps := range r.PauseStacks {
					got[ps.PauseStart] = true
					if ps.Stack == model.NoStack {
						t.Errorf("request %d: no stack at the pause at %d", r.ID, ps.PauseStart)
					}
				}
				if d := cmp.Diff(want, got); d != "" {
					t.Errorf("request %d [%d, %d]: pauses noted (-want +got):\n%s", r.ID, r.Start, r.End, d)
				}
				checked += len(want)
			}
			t.Logf("%d request-pause pairs", checked)
		})
	}
}

// BenchmarkReadStacks measures what keeping GC stacks costs the ingest.
func BenchmarkReadStacks(b *testing.B) {
	data := benchTrace(b)
	for _, stacks := range []bool{false, true} {
		b.Run(fmt.Sprintf("stacks=%v", stacks), func(b *testing.B) {
			b.SetBytes(int64(len(data)))
			b.ReportAllocs()
			for b.Loop() {
				if _, err := Read(bytes.NewReader(data), "bench", Options{Workers: 2, Stacks: stacks}); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// pauseQuery asks where goroutine g was when the GC pause beginning at at
// stopped the world, for a request open from start to end.
type pauseQuery struct {
	g          exptrace.GoID
	at         exptrace.Time
	start, end exptrace.Time
}

// stackAt is a goroutine's stack from a time on; stop marks a transition
// of the goroutine away from running.
type stackAt struct {
	t     exptrace.Time
	stack string
	stop  bool
}

// rawPauseStacks answers queries from raw events, with one reader. From
// the later of the pause's start and the request's, a goroutine is where
// the first transition that stops it before the pause or the request
// ends leaves it, else where its latest stack put it; the goroutine that
// stopped the world is where it did so. A goroutine's latest stack is its
// own at any event it executes with a stack, at its blocking, stopping or
// syscall, its start at its creation, and its status at a generation
// start.
func rawPauseStacks(t *testing.T, data []byte, queries []pauseQuery) map[pauseQuery]string {
	timeline := map[exptrace.GoID][]stackAt{}
	current := map[exptrace.GoID]string{}
	seen := func(g exptrace.GoID, stk exptrace.Stack, at exptrace.Time) {
		if g != exptrace.NoGoroutine && stk != exptrace.NoStack {
			current[g] = stackKey(stk.Frames())
			timeline[g] = append(timeline[g], stackAt{t: at, stack: current[g]})
		}
	}
	type pause struct {
		end     exptrace.Time
		stopper exptrace.GoID
	}
	pauses := map[exptrace.Time]*pause{}
	open := map[string]*pause{}
	for ev := range tracetest.EventsOf(t, "trace", data) {
		at := ev.Time()
		switch ev.Kind() {
		case exptrace.EventSync:
		case exptrace.EventStateTransition:
			st := ev.StateTransition()
			if st.Resource.Kind != exptrace.ResourceGoroutine {
				continue
			}
			g := st.Resource.Goroutine()
			from, to := st.Goroutine()
			seen(g, st.Stack, at)
			if from != exptrace.GoUndetermined && ev.Goroutine() != g {
				seen(ev.Goroutine(), ev.Stack(), at)
			}
			if from == exptrace.GoRunning && to != exptrace.GoRunning {
				timeline[g] = append(timeline[g], stackAt{t: at, stack: current[g], stop: true})
			}
		case exptrace.EventRangeBegin, exptrace.EventRangeEnd:
			rg := ev.Range()
			g := ev.Goroutine()
			if rg.Name == "GC mark assist" {
				g = rg.Scope.Goroutine()
			}
			seen(g, ev.Stack(), at)
			if !strings.HasPrefix(rg.Name, "stop-the-world (GC") {
				continue
			}
			if ev.Kind() == exptrace.EventRangeBegin {
				p := &pause{stopper: rg.Scope.Goroutine()}
				pauses[at], open[rg.Name] = p, p
			} else if p := open[rg.Name]; p != nil {
				p.end = at
			}
		default:
			seen(ev.Goroutine(), ev.Stack(), at)
		}
	}
	answers := map[pauseQuery]string{}
	for _, q := range queries {
		p := pauses[q.at]
		if p == nil {
			t.Fatalf("no GC pause begins at %d", q.at)
		}
		from, until := max(q.at, q.start), min(p.end, q.end)
		answer := ""
		for _, s := range timeline[q.g] {
			if s.t > from {
				if s.stop && s.t < until && q.g != p.stopper {
					answer = s.stack
				}
				if s.stop || s.t >= until {
					break
				}
				continue
			}
			answer = s.stack
		}
		answers[q] = answer
	}
	return answers
}

// TestPauseStacksRaw checks each noted pause stack against raw events.
func TestPauseStacksRaw(t *testing.T) {
	for name, data := range exampleTraces(t) {
		t.Run(name, func(t *testing.T) {
			run := readStacks(t, data, name, Options{Stacks: true})
			got := map[pauseQuery]string{}
			var queries []pauseQuery
			for _, r := range run.Requests.All() {
				for _, ps := range r.PauseStacks {
					q := pauseQuery{exptrace.GoID(ps.Goroutine), exptrace.Time(ps.PauseStart), exptrace.Time(r.Start), exptrace.Time(r.End)}
					queries = append(queries, q)
					got[q] = modelStackKey(run, ps.Stack)
				}
			}
			want := rawPauseStacks(t, data, queries)
			if d := cmp.Diff(want, got); d != "" {
				t.Errorf("pause stacks (-raw +gcwatch):\n%s", d)
			}
			t.Logf("%d pause stacks", len(got))
		})
	}
}

// checkStacks checks what must hold of a run's stacks whatever the input:
// the assist split sums to the total and every index is in the table.
func checkStacks(t *testing.T, run *model.Run) {
	t.Helper()
	var sum time.Duration
	inTable := func(i int) bool { return i >= model.NoStack && i < len(run.Stacks) }
	for _, a := range run.AssistStacks {
		sum += a.Time
		if !inTable(a.Stack) || a.Time <= 0 {
			t.Fatalf("assist stack %+v of %d stacks", a, len(run.Stacks))
		}
	}
	if run.Fidelity.Stacks && sum != run.GCCPU.Assist {
		t.Fatalf("assist by stack sums to %v, GCCPU.Assist is %v", sum, run.GCCPU.Assist)
	}
	for _, r := range run.Requests.All() {
		for _, ps := range r.PauseStacks {
			if !inTable(ps.Stack) {
				t.Fatalf("request %d: pause stack %+v of %d stacks", r.ID, ps, len(run.Stacks))
			}
		}
	}
}
