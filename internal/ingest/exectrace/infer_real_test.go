package exectrace

import (
	"bytes"
	"os"
	"slices"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/gcwatch/gcwatch/internal/model"
)

func splitRequests(run *model.Run) (tasks, inferred []model.Request) {
	for _, r := range run.Requests.All() {
		if r.Kind == model.RequestInferred {
			inferred = append(inferred, r)
		} else {
			tasks = append(tasks, r)
		}
	}
	return tasks, inferred
}

// TestInferLockbound reads the lockbound example: a net/http frontend whose
// handler runs each request in a task, calling a loopback net/http
// backend without tasks. Every task must lie inside exactly one inferred
// span of the same goroutine; the spans without a task are the backend's
// requests, one per frontend request.
func TestInferLockbound(t *testing.T) {
	f, err := os.Open("../../../examples/testdata/lockbound/trace.out")
	if err != nil {
		t.Skipf("recording not available: %v", err)
	}
	defer f.Close()
	run, err := Read(f, "lockbound", Options{InferRequests: InferAlways})
	if err != nil {
		t.Fatal(err)
	}
	tasks, inferred := splitRequests(run)
	if len(tasks) < 300 {
		t.Fatalf("%d tasks, want the recording's ~400", len(tasks))
	}
	if !slices.Contains(run.Warnings, InferredLimits) {
		t.Errorf("warnings %q lack the limits of inferred requests", run.Warnings)
	}
	owner := make([]int, len(inferred)) // tasks inside each span
	var startOff, endOff []time.Duration
	for _, tk := range tasks {
		if tk.Open || len(tk.Goroutines) != 1 {
			t.Fatalf("task %d: open %v, goroutines %v; the recording's tasks are closed and run on the serving goroutine", tk.ID, tk.Open, tk.Goroutines)
		}
		match := -1
		for i, s := range inferred {
			if s.Goroutines[0] == tk.Goroutines[0] && s.Start <= tk.Start && tk.End <= s.End {
				if match >= 0 {
					t.Fatalf("task %d inside spans %d and %d", tk.ID, inferred[match].ID, s.ID)
				}
				match = i
			}
		}
		if match < 0 {
			t.Errorf("task %d [%d, %d] on goroutine %d is in no inferred span", tk.ID, tk.Start, tk.End, tk.Goroutines[0])
			continue
		}
		s := inferred[match]
		owner[match]++
		startOff = append(startOff, tk.Start.Sub(s.Start))
		endOff = append(endOff, s.End.Sub(tk.End))
		checkContainedAccounting(t, s, tk)
	}
	backend := 0
	for i, n := range owner {
		switch {
		case n > 1:
			t.Errorf("span %d holds %d tasks: requests merged", inferred[i].ID, n)
		case n == 0:
			backend++
		}
	}
	// Each frontend request made one backend call; at the window's edges a
	// few may be cut.
	if d := backend - len(tasks); d < -4 || d > 4 {
		t.Errorf("%d spans without a task (backend requests), want %d±4", backend, len(tasks))
	}
	for _, s := range inferred {
		if s.Type != "http" || s.Open {
			t.Errorf("span %d: type %q open %v, want closed http", s.ID, s.Type, s.Open)
		}
		checkSpanAccounting(t, s)
	}
	// The offsets are the serving goroutine's code outside the task:
	// parsing a small GET before the handler begins the task, and writing
	// a short response and returning to the wait after it ends; plus its
	// time runnable, with 64 connections on 2 procs. Microseconds of work,
	// so the typical offset is well under 100 µs; queueing stretches the
	// tail, but never to a request's own scale (the slowest requests take
	// 15-50 ms).
	for name, offs := range map[string][]time.Duration{"start": startOff, "end": endOff} {
		slices.Sort(offs)
		med, top := offs[len(offs)/2], offs[len(offs)-1]
		t.Logf("%s offsets: median %v, p90 %v, max %v", name, med, offs[len(offs)*9/10], top)
		if med > 100*time.Microsecond || top > 5*time.Millisecond {
			t.Errorf("%s offsets: median %v (want ≤100µs), max %v (want ≤5ms)", name, med, top)
		}
	}
}

// checkSpanAccounting: an inferred span has one goroutine, always in one
// of the accounted states, so they add up to its duration.
func checkSpanAccounting(t *testing.T, s model.Request) {
	t.Helper()
	sum := s.Running + s.Runnable + s.Blocked + s.Syscall
	if !s.Accounted || s.GoroutinesTotal != 1 || sum != s.Duration() {
		t.Errorf("span %d: accounted %v, %d goroutines, states add to %v of %v", s.ID, s.Accounted, s.GoroutinesTotal, sum, s.Duration())
	}
	if s.Assist > s.Running || s.Sweep > s.Running || s.RunnableDuringMark > s.Runnable {
		t.Errorf("span %d: parts exceed their whole: %+v", s.ID, s)
	}
}

// checkContainedAccounting: a task on the span's one goroutine, inside
// the span, cannot have spent longer in any state than the span.
func checkContainedAccounting(t *testing.T, s, tk model.Request) {
	t.Helper()
	pairs := [][2]time.Duration{{s.Running, tk.Running}, {s.Runnable, tk.Runnable}, {s.Blocked, tk.Blocked},
		{s.Syscall, tk.Syscall}, {s.Assist, tk.Assist}, {s.Sweep, tk.Sweep}, {s.RunnableDuringMark, tk.RunnableDuringMark}}
	for i, p := range pairs {
		if p[0] < p[1] {
			t.Errorf("span %d, task %d: state %d: span %v < task %v", s.ID, tk.ID, i, p[0], p[1])
		}
	}
}

// BenchmarkReadInfer measures what inference costs on an HTTP service's
// trace (many blocks and syscalls with stacks), against not inferring.
func BenchmarkReadInfer(b *testing.B) {
	data, err := os.ReadFile("../../../examples/testdata/lockbound/trace.out")
	if err != nil {
		b.Skipf("recording not available: %v", err)
	}
	for _, mode := range []InferMode{InferNever, InferAlways} {
		b.Run("infer="+mode.String(), func(b *testing.B) {
			b.SetBytes(int64(len(data)))
			b.ReportAllocs()
			for b.Loop() {
				if _, err := Read(bytes.NewReader(data), "bench", Options{Workers: 1, InferRequests: mode}); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// TestInferSplitMatchesWhole: with inference always on, reading each
// generation with its own reader gives the run one reader over the whole
// stream gives (the classifier keeps state across a generation's events,
// not across generations).
func TestInferSplitMatchesWhole(t *testing.T) {
	multi, inferred := 0, 0
	for name, data := range exampleTraces(t) {
		opts := Options{InferRequests: InferAlways}
		whole := mustRead(t, data, Options{InferRequests: InferAlways, whole: true})
		for _, workers := range []int{1, 2} {
			opts.Workers = workers
			if d := cmp.Diff(whole, mustRead(t, data, opts)); d != "" {
				t.Errorf("%s: whole stream vs %d workers (-+):\n%s", name, workers, d)
			}
		}
		if whole.Stats.Generations > 1 {
			multi++
		}
		_, spans := splitRequests(whole)
		inferred += len(spans)
	}
	t.Logf("%d traces of several generations, %d inferred requests", multi, inferred)
	if multi == 0 || inferred == 0 {
		t.Errorf("no trace had more than one generation or an inferred request")
	}
}
