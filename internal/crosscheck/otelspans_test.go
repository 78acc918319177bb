package crosscheck

import (
	"bufio"
	"compress/gzip"
	"encoding/json"
	"math"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"testing"
	"time"

	"github.com/gcwatch/gcwatch/internal/analyze"
	"github.com/gcwatch/gcwatch/internal/model"
	"github.com/gcwatch/gcwatch/internal/trace"
)

// otelRecording is where the otelsvc recording is read from:
// examples/otelsvc/testdata, or the folder GCWATCH_OTEL_RECORDING names
// (the example's own test records a fresh one and checks it here).
func otelRecording() string {
	if d := os.Getenv("GCWATCH_OTEL_RECORDING"); d != "" {
		return d
	}
	return defaultOTelRecording
}

const defaultOTelRecording = "../../examples/otelsvc/testdata"

// sdkSpan is one line of the recording's sdk-spans.jsonl.gz: what the
// OpenTelemetry SDK itself recorded of a span as it ended.
type sdkSpan struct {
	Service  string `json:"service"`
	Name     string `json:"name"`
	Kind     string `json:"kind"`
	SpanID   string `json:"span_id"`
	StartNs  int64  `json:"start_unix_ns"`
	Duration int64  `json:"duration_ns"`
}

func readSDKSpans(t *testing.T, path string) map[string]sdkSpan {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	zr, err := gzip.NewReader(f)
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]sdkSpan{}
	sc := bufio.NewScanner(zr)
	for sc.Scan() {
		var s sdkSpan
		if err := json.Unmarshal(sc.Bytes(), &s); err != nil {
			t.Fatal(err)
		}
		if s.Service == "otelsvc" && s.Kind == "server" {
			out[s.SpanID] = s
		}
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

// nearestRank is the p-quantile of sorted by the nearest-rank method,
// written here again: the ceil(p·n)-th smallest.
func nearestRank(sorted []time.Duration, p float64) time.Duration {
	r := int(math.Ceil(p * float64(len(sorted))))
	return sorted[max(r, 1)-1]
}

func analyzeRecording(t *testing.T, opts trace.Options, taskType string) *analyze.Result {
	t.Helper()
	opts.Trace.TaskType = taskType
	res, err := trace.Load([]string{filepath.Join(otelRecording(), "trace.out")}, opts)
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Runs) != 1 {
		t.Fatalf("%d runs", len(res.Runs))
	}
	aopts := analyze.DefaultOptions()
	aopts.TaskType = taskType
	return analyze.Analyze(res.Runs[0], aopts)
}

// TestOTelSpanLatency checks the latency gcwatch reports from the OTLP
// export of examples/otelsvc against the SDK's own record of the same
// spans: every counted request is a server span of the service, with the
// SDK's start and duration to the nanosecond; the spans left out all
// began before the trace did (the warm-up); their number is the number of
// tasks the SDK made of the server spans while the trace ran; and p50,
// p90, p99, p99.9 and max are the nearest-rank quantiles of the SDK's
// durations.
func TestOTelSpanLatency(t *testing.T) {
	dir := otelRecording()
	sdk := readSDKSpans(t, filepath.Join(dir, "sdk-spans.jsonl.gz"))
	spans := analyzeRecording(t, trace.Options{Latency: []string{filepath.Join(dir, "spans.otlp.json.gz")}}, "")
	tasks := analyzeRecording(t, trace.Options{}, "GET /work")
	if spans.Latency.Source != "log" || tasks.Latency.Source != "task" {
		t.Fatalf("sources %q and %q", spans.Latency.Source, tasks.Latency.Source)
	}
	if spans.Latency.Requests != tasks.Latency.Requests || spans.Latency.Requests < 100 {
		t.Fatalf("%d requests from spans, %d server-span tasks in the trace", spans.Latency.Requests, tasks.Latency.Requests)
	}
	wallZero := *spans.Run.WallStart
	var durs []time.Duration
	counted := map[string]bool{}
	first := int64(math.MaxInt64)
	for _, i := range spans.Counted {
		r := spans.Requests.At(int(i))
		s, ok := sdk[r.SpanID.String()]
		if !ok {
			t.Fatalf("request %+v is no server span of otelsvc", r)
		}
		start := wallZero.Add(r.Start.Sub(spans.Run.Start)).UnixNano()
		if start != s.StartNs || int64(r.Duration()) != s.Duration {
			t.Fatalf("span %s: start %d, duration %d; the SDK's %d and %d", s.SpanID, start, r.Duration(), s.StartNs, s.Duration)
		}
		counted[s.SpanID] = true
		durs = append(durs, time.Duration(s.Duration))
		first = min(first, s.StartNs)
	}
	for id, s := range sdk {
		if !counted[id] && s.StartNs >= first {
			t.Errorf("server span %s began at %d, inside the window, but was not counted", id, s.StartNs)
		}
	}
	slices.Sort(durs)
	l := spans.Latency
	for _, q := range []struct {
		name string
		got  time.Duration
		p    float64
	}{{"p50", l.P50, 0.50}, {"p90", l.P90, 0.90}, {"p99", l.P99, 0.99}, {"p99.9", l.P999, 0.999}, {"max", l.Max, 1}} {
		if want := nearestRank(durs, q.p); q.got != want {
			t.Errorf("%s %v, the SDK's durations give %v", q.name, q.got, want)
		}
	}
}

// TestOTelSpanAttribution sets the attribution of the spans (lined up by
// the trace's wall clock) against that of the runtime/trace tasks the SDK
// made of the same server spans (on the trace's own clock). Spans are
// requests from a log, for which gcwatch knows only their overlap with
// stop-the-world pauses; that overlap, summed and over the tail, and the
// tail's latency agree within 1 %, and each span lies within 1 ms of its
// task (measured: a few µs; the task starts after the span and ends
// before it).
func TestOTelSpanAttribution(t *testing.T) {
	dir := otelRecording()
	spans := analyzeRecording(t, trace.Options{Latency: []string{filepath.Join(dir, "spans.otlp.json.gz")}}, "")
	tasks := analyzeRecording(t, trace.Options{}, "GET /work")
	sa, ta := spans.Attribution, tasks.Attribution
	if sa == nil || ta == nil {
		t.Fatal("no attribution")
	}
	within := func(what string, got, want time.Duration, mayBeZero bool) {
		t.Helper()
		if mayBeZero && got == 0 && want == 0 {
			t.Logf("%s: 0 from both", what)
			return
		}
		if want <= 0 {
			t.Errorf("%s: the tasks give %v: the recording shows no GC in its requests", what, want)
			return
		}
		if d := math.Abs(float64(got-want)) / float64(want); d > 0.01 {
			t.Errorf("%s: spans %v, tasks %v (%.2f%% apart)", what, got, want, 100*d)
		}
		t.Logf("%s: spans %v, tasks %v", what, got, want)
	}
	within("STW overlap of every request", sa.STWOverlap, ta.STWOverlap, false)
	// A fresh recording's few slowest requests may have met no pause.
	within("STW overlap of the slowest 1%", sa.Tail99.Sum.SweepTermination+sa.Tail99.Sum.MarkTermination,
		ta.Tail99.Sum.SweepTermination+ta.Tail99.Sum.MarkTermination, otelRecording() != defaultOTelRecording)
	within("p99", sa.Tail99.Observed, ta.Tail99.Observed, false)
	within("latency of the slowest 1%", sa.Tail99.Latency, ta.Tail99.Latency, false)

	// Each span and its task, paired in order of start.
	starts := func(res *analyze.Result) []model.Request {
		var out []model.Request
		for _, i := range res.Counted {
			out = append(out, res.Requests.At(int(i)))
		}
		sort.Slice(out, func(a, b int) bool { return out[a].Start < out[b].Start })
		return out
	}
	sr, tr := starts(spans), starts(tasks)
	var worst time.Duration
	for i := range sr {
		lead, lag := tr[i].Start.Sub(sr[i].Start), sr[i].End.Sub(tr[i].End)
		worst = max(worst, lead, lag, -lead, -lag)
	}
	if worst > time.Millisecond {
		t.Errorf("a span's edges lie %v from its task's", worst)
	}
	t.Logf("%d requests; spans' edges within %v of their tasks'", len(sr), worst)
}
