package exectrace

import (
	"bytes"
	"os"
	"reflect"
	"testing"

	"github.com/gcwatch/gcwatch/internal/tracetest"
	"github.com/google/go-cmp/cmp"
	exptrace "golang.org/x/exp/trace"
)

// TestEventLayout fails when an x/exp upgrade changes the Event layout
// moves reads: gcwatch still works then (every transition goes through
// StateTransition), only slower, and transitions.go needs a look.
func TestEventLayout(t *testing.T) {
	if !evLayout.ok {
		t.Fatal("x/exp's Event is not laid out as transitions.go expects: the fast path is off")
	}
	type fake struct {
		table *int
		ctx   struct{ G, P, M int64 }
		base  struct {
			typ  uint8
			time int64
			args [4]uint64
		}
	}
	if l := readEventLayout(reflect.TypeFor[fake]()); !l.ok || l.typ != 32 || l.ctxG != 8 || l.arg != 48 {
		t.Errorf("layout of a look-alike = %+v, want typ 32, G 8, args 48", l)
	}
	for _, bad := range []any{
		struct{ ctx, base int }{},
		struct {
			ctx  struct{ G int32 }
			base struct {
				typ  uint8
				args [4]uint64
			}
		}{},
		struct {
			ctx  struct{ G int64 }
			base struct {
				typ  uint16
				args [4]uint64
			}
		}{},
		struct {
			ctx  struct{ G int64 }
			base struct {
				typ  uint8
				args []uint64
			}
		}{},
	} {
		if l := readEventLayout(reflect.TypeOf(bad)); l.ok {
			t.Errorf("layout of %T accepted: %+v", bad, l)
		}
	}
}

// TestMovesMatchStateTransition compares the fast path with x/exp's
// StateTransition on every state transition of the recorded examples, of
// a trace made here and of GOROOT's old-format traces.
func TestMovesMatchStateTransition(t *testing.T) {
	live, _ := traced(t, workload{tasks: 40, workers: 2, alloc: 64 << 10, forced: 1})
	inputs := map[string][]byte{"live": live}
	for _, f := range stackTraces(t) {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		inputs[f] = data
	}
	for name, data := range inputs {
		var m moves
		for i := range m.checked {
			m.checked[i] = movesChecked // no checks: the fast answer itself
		}
		transitions, fast := 0, 0
		for ev := range tracetest.EventsOf(t, name, data) {
			if ev.Kind() != exptrace.EventStateTransition {
				continue
			}
			var st exptrace.StateTransition
			g, from, to, ok := m.goroutine(&ev, &st)
			if st == (exptrace.StateTransition{}) {
				fast++
			}
			want := ev.StateTransition()
			if want.Resource.Kind != exptrace.ResourceGoroutine {
				if ok {
					t.Errorf("%s: %v: fast path says goroutine %d %v→%v", name, ev, g, from, to)
				}
				continue
			}
			transitions++
			wf, wt := want.Goroutine()
			if !ok || g != int64(want.Resource.Goroutine()) || from != wf || to != wt {
				t.Errorf("%s: %v: fast path says goroutine %d %v→%v (ok %v)", name, ev, g, from, to, ok)
			}
		}
		// Every format's common goroutine transitions take the fast path.
		if fast*2 < transitions {
			t.Errorf("%s: %d of %d goroutine transitions took the fast path", name, fast, transitions)
		}
		if testing.Verbose() {
			t.Logf("%s: %d of %d goroutine transitions took the fast path", name, fast, transitions)
		}
	}
	if n := movesMismatches.Load(); n != 0 || fastMovesOff.Load() {
		t.Errorf("checks found %d differences (fast path off: %v)", n, fastMovesOff.Load())
	}
}

// TestMovesFallBack breaks one rule of the fast path and checks that the
// per-reader checks catch it, turn the fast path off and leave the run as
// the public path makes it.
func TestMovesFallBack(t *testing.T) {
	data, err := os.ReadFile("../../../examples/testdata/allocheavy-p2-gogc100/trace.out")
	if err != nil {
		t.Fatal(err)
	}
	fastMovesOff.Store(true)
	want := readStacks(t, data, "x", Options{})
	fastMovesOff.Store(false)
	fast := readStacks(t, data, "x", Options{})
	if d := cmp.Diff(want, fast); d != "" {
		t.Fatalf("fast path changed the run (-public +fast):\n%s", d)
	}
	if n := movesMismatches.Load(); n != 0 {
		t.Fatalf("%d differences on a sound fast path", n)
	}

	saved := moveRules[evGoBlock]
	moveRules[evGoBlock].to = exptrace.GoRunnable
	defer func() {
		moveRules[evGoBlock] = saved
		fastMovesOff.Store(false)
		movesMismatches.Store(0)
	}()
	broken := readStacks(t, data, "x", Options{})
	if movesMismatches.Load() == 0 || !fastMovesOff.Load() {
		t.Errorf("a wrong rule went unnoticed (differences %d, off %v)", movesMismatches.Load(), fastMovesOff.Load())
	}
	if d := cmp.Diff(want, broken); d != "" {
		t.Errorf("a wrong rule changed the run (-public +broken):\n%s", d)
	}
}

// TestReadPhases checks that Read says when it starts and stops streaming,
// once each, for the generation reader and the whole-stream one.
func TestReadPhases(t *testing.T) {
	data, err := os.ReadFile("../../../examples/testdata/lockbound/trace.out")
	if err != nil {
		t.Fatal(err)
	}
	for _, whole := range []bool{false, true} {
		var phases []bool
		if _, err := Read(bytes.NewReader(data), "x", Options{whole: whole, Phase: func(s bool) { phases = append(phases, s) }}); err != nil {
			t.Fatal(err)
		}
		if len(phases) != 2 || !phases[0] || phases[1] {
			t.Errorf("whole=%v: phases %v, want [true false]", whole, phases)
		}
	}
}
