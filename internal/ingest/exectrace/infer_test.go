package exectrace

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"runtime/trace"
	"slices"
	"strconv"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/gcwatch/gcwatch/internal/model"
)

// sleepFor is the server-side sleep of request i.
func sleepFor(i int) time.Duration { return time.Duration(1+i%4) * 2 * time.Millisecond }

// serveTraced runs n sequential requests over one kept-alive connection
// to an in-process server that sleeps sleepFor(i) in request i; with
// clientTasks each client call is a task. It returns the trace.
func serveTraced(t *testing.T, n int, clientTasks bool) []byte {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		i, _ := strconv.Atoi(r.URL.Query().Get("i"))
		time.Sleep(sleepFor(i))
		io.WriteString(w, "ok")
	}))
	defer srv.Close()
	client := srv.Client()
	get := func(i int) {
		resp, err := client.Get(srv.URL + "/?i=" + strconv.Itoa(i))
		if err != nil {
			t.Fatal(err)
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
	}
	get(-1) // open the connection before tracing
	var buf bytes.Buffer
	if err := trace.Start(&buf); err != nil {
		t.Fatal(err)
	}
	for i := range n {
		if clientTasks {
			_, task := trace.NewTask(context.Background(), "client")
			get(i)
			task.End()
		} else {
			get(i)
		}
	}
	// Let the server goroutine return to its wait for the next request,
	// so that the last span ends inside the trace (on a busy machine it
	// may not: the tests accept the last one open).
	time.Sleep(20 * time.Millisecond)
	trace.Stop()
	return buf.Bytes()
}

func readInfer(t *testing.T, data []byte, mode InferMode) *model.Run {
	t.Helper()
	run, err := Read(bytes.NewReader(data), "live", Options{InferRequests: mode})
	if err != nil {
		t.Fatal(err)
	}
	return run
}

// TestInferHTTPServer: n requests with known server-side sleeps give n
// inferred spans (auto: the trace has no tasks), each at least its sleep
// and at most the sleep plus scheduling slack.
func TestInferHTTPServer(t *testing.T) {
	const n = 12
	data := serveTraced(t, n, false)
	run := readInfer(t, data, InferAuto)
	_, spans := splitRequests(run)
	if len(spans) != n {
		t.Fatalf("%d inferred requests, want %d: %+v", len(spans), n, spans)
	}
	slices.SortFunc(spans, func(x, y model.Request) int { return int(x.Start - y.Start) })
	for i, s := range spans {
		sleep := sleepFor(i)
		// A span holds at least the handler's sleep. How much more depends
		// on the machine (a timer fires tens of ms late at a load of 12 on
		// 2 cores), so the upper bound is structural instead: the client
		// sends one request at a time, so a span that ran into the next
		// request — two requests taken for one — would overlap its span.
		if d := s.Duration(); d < sleep {
			t.Errorf("request %d: inferred %v, slept %v", i, d, sleep)
		}
		if i+1 < len(spans) && s.End > spans[i+1].Start {
			t.Errorf("request %d: its span ends at %v, after the next one starts at %v", i, s.End, spans[i+1].Start)
		}
		if s.Blocked < sleep {
			t.Errorf("request %d: blocked %v, slept %v", i, s.Blocked, sleep)
		}
		checkSpanAccounting(t, s)
		if s.Type != "http" || s.Kind != model.RequestInferred || (s.Open && i != n-1) {
			t.Errorf("request %d: %+v", i, s)
		}
	}
	if !run.Fidelity.Requests || !slices.Contains(run.Warnings, InferredLimits) {
		t.Errorf("fidelity %+v, warnings %q", run.Fidelity, run.Warnings)
	}
	if never := readInfer(t, data, InferNever); never.Requests.Len() != 0 || slices.Contains(never.Warnings, InferredLimits) {
		t.Errorf("never: %d requests, warnings %q", never.Requests.Len(), never.Warnings)
	}
}

// TestInferWithTasks: a client task per request contains the server's
// span (the request cannot arrive before it is sent, nor be answered
// after it was received, less the server's return to its wait); auto
// keeps only the tasks.
func TestInferWithTasks(t *testing.T) {
	const n = 8
	data := serveTraced(t, n, true)
	auto := readInfer(t, data, InferAuto)
	if auto.Requests.Len() != n || slices.Contains(auto.Warnings, InferredLimits) {
		t.Fatalf("auto with tasks: %d requests (want the %d tasks), warnings %q", auto.Requests.Len(), n, auto.Warnings)
	}
	// Auto stops classifying stacks once it has seen a task's request:
	// what it reads must be exactly what reading without inference gives.
	if d := cmp.Diff(readInfer(t, data, InferNever), auto); d != "" {
		t.Errorf("auto with tasks differs from never (-never +auto):\n%s", d)
	}
	tasks, spans := splitRequests(readInfer(t, data, InferAlways))
	if len(tasks) != n || len(spans) != n {
		t.Fatalf("always: %d tasks, %d spans, want %d each", len(tasks), len(spans), n)
	}
	slices.SortFunc(tasks, func(x, y model.Request) int { return int(x.Start - y.Start) })
	slices.SortFunc(spans, func(x, y model.Request) int { return int(x.Start - y.Start) })
	// A span's edges are the server goroutine's: it starts when that
	// goroutine next waits for or reads a request, which on a busy machine
	// can be a little before the client's task begins (it had not yet
	// gone back to its wait when the request arrived: 107 µs early at a
	// load of 5 with two CPU burners), and ends after the response is
	// written.
	for i := range n {
		tk, s := tasks[i], spans[i]
		if tk.Start.Sub(s.Start) > 5*time.Millisecond || s.End.Sub(tk.End) > 5*time.Millisecond || s.Duration() < sleepFor(i) {
			t.Errorf("request %d: span [%d, %d] (%v), client task [%d, %d], slept %v",
				i, s.Start, s.End, s.Duration(), tk.Start, tk.End, sleepFor(i))
		}
	}
}
