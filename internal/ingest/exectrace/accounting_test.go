package exectrace

import (
	"bytes"
	"runtime"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gcwatch/gcwatch/internal/tracetest"
	exptrace "golang.org/x/exp/trace"
)

// taskTimes is one task's per-state time, computed independently from
// raw events for tasks run by the one goroutine that began them.
type taskTimes struct {
	g                                   exptrace.GoID
	running, runnable, blocked, syscall time.Duration
	assist                              time.Duration
}

func rawTaskTimes(t *testing.T, data []byte) map[exptrace.TaskID]*taskTimes {
	t.Helper()
	type goInfo struct {
		state  exptrace.GoState
		since  exptrace.Time
		assist bool
	}
	gs := map[exptrace.GoID]*goInfo{}
	open := map[exptrace.TaskID]*taskTimes{}
	done := map[exptrace.TaskID]*taskTimes{}
	info := func(g exptrace.GoID) *goInfo {
		if gs[g] == nil {
			gs[g] = &goInfo{}
		}
		return gs[g]
	}
	// settle adds g's time since its last change to the tasks it began.
	settle := func(g exptrace.GoID, now exptrace.Time) {
		gi := info(g)
		d := now.Sub(gi.since)
		gi.since = now
		for _, tt := range open {
			if tt.g != g {
				continue
			}
			switch gi.state {
			case exptrace.GoRunning:
				tt.running += d
				if gi.assist {
					tt.assist += d
				}
			case exptrace.GoRunnable:
				tt.runnable += d
			case exptrace.GoWaiting:
				tt.blocked += d
			case exptrace.GoSyscall:
				tt.syscall += d
			}
		}
	}
	for ev := range tracetest.EventsOf(t, "trace", data) {
		switch ev.Kind() {
		case exptrace.EventStateTransition:
			st := ev.StateTransition()
			if st.Resource.Kind == exptrace.ResourceGoroutine {
				g := st.Resource.Goroutine()
				settle(g, ev.Time())
				_, info(g).state = st.Goroutine()
			}
		case exptrace.EventRangeBegin, exptrace.EventRangeActive, exptrace.EventRangeEnd:
			if r := ev.Range(); r.Name == "GC mark assist" {
				g := r.Scope.Goroutine()
				settle(g, ev.Time())
				info(g).assist = ev.Kind() != exptrace.EventRangeEnd
			}
		case exptrace.EventTaskBegin:
			g := ev.Goroutine()
			settle(g, ev.Time())
			open[ev.Task().ID] = &taskTimes{g: g}
		case exptrace.EventTaskEnd:
			id := ev.Task().ID
			if tt := open[id]; tt != nil {
				settle(tt.g, ev.Time())
				done[id] = tt
				delete(open, id)
			}
		}
	}
	return done
}

// TestRequestAccounting checks per-state request time against the
// independent computation for one-goroutine tasks.
func TestRequestAccounting(t *testing.T) {
	data, _ := traced(t, workload{tasks: 80, workers: 0, alloc: 512 << 10, forced: 2})
	want := rawTaskTimes(t, data)
	run := mustRead(t, data, Options{})
	if run.Requests.Len() != len(want) || len(want) < 80 {
		t.Fatalf("requests = %d, independent pass found %d", run.Requests.Len(), len(want))
	}
	blocked := time.Duration(0)
	for _, r := range run.Requests.All() {
		w := want[exptrace.TaskID(r.ID)]
		if w == nil {
			t.Errorf("request %d not found independently", r.ID)
			continue
		}
		if r.Running != w.running || r.Runnable != w.runnable || r.Blocked != w.blocked ||
			r.Syscall != w.syscall || r.Assist != w.assist {
			t.Errorf("request %d: running %v runnable %v blocked %v syscall %v assist %v; want %v %v %v %v %v",
				r.ID, r.Running, r.Runnable, r.Blocked, r.Syscall, r.Assist,
				w.running, w.runnable, w.blocked, w.syscall, w.assist)
		}
		if sum := r.Running + r.Runnable + r.Blocked + r.Syscall; sum != r.Duration() {
			t.Errorf("request %d: states sum to %v, duration %v", r.ID, sum, r.Duration())
		}
		blocked += r.Blocked
	}
	if blocked == 0 {
		t.Errorf("no blocked time although every task sleeps")
	}
}

// TestTimeToStop runs goroutines that spin without preemption points, so
// that stopping the world has to wait for them.
func TestTimeToStop(t *testing.T) {
	if runtime.GOMAXPROCS(0) < 2 {
		t.Skip("needs GOMAXPROCS ≥ 2")
	}
	var stop atomic.Bool
	var wg sync.WaitGroup
	var buf bytes.Buffer
	startTrace(t, &buf)
	for range runtime.GOMAXPROCS(0) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			x := 0
			for !stop.Load() {
				x++
			}
			_ = x
		}()
	}
	var ms runtime.MemStats
	for range 20 {
		time.Sleep(time.Millisecond)
		runtime.ReadMemStats(&ms)
	}
	stop.Store(true)
	wg.Wait()
	stopTrace()
	run := mustRead(t, buf.Bytes(), Options{})
	waited := 0
	for _, p := range run.Pauses {
		if p.TimeToStop > p.Duration || p.TimeToStop < -1 {
			t.Errorf("pause %+v: time to stop out of range", p)
		}
		if p.Reason == "read mem stats" && p.TimeToStop > 0 {
			waited++
			if p.LastToStop == 0 || p.LastToStop == p.Goroutine {
				t.Errorf("pause %+v: last to stop %d", p, p.LastToStop)
			}
		}
	}
	if waited == 0 {
		t.Errorf("no read-mem-stats pause waited for a spinning goroutine: %+v", run.Pauses)
	}
}
