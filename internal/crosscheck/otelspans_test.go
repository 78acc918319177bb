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
	"github.com/gcwatch/gcwatch/internal/ingest"
	"github.com/gcwatch/gcwatch/internal/model"
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

func analyzeRecording(t *testing.T, opts ingest.Options, taskType string) *analyze.Result {
	t.Helper()
	opts.Trace.TaskType = taskType
	res, err := ingest.Load([]string{filepath.Join(otelRecording(), "trace.out")}, opts)
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
	spans := analyzeRecording(t, ingest.Options{Latency: []string{filepath.Join(dir, "spans.otlp.json.gz")}}, "")
	tasks := analyzeRecording(t, ingest.Options{}, "GET /work")
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
// stop-the-world pauses.
//
// A span and its task are not quite the same interval: the SDK reads the
// span's start before it begins the task, and ends the task after it read
// the span's end; a few µs, more when the goroutine is preempted between
// the two. So each span's pause overlap may differ from its task's by at
// most the length of those two edges, and no more: that holds on any
// recording, and the median edge says the clocks are lined up (well under
// 200 µs; measured, a few µs). On the committed recording, the pause
// overlap of every request and of the slowest 1 %, p99 and the slowest
// 1 %'s latency agree within 1 %; a fresh recording on a busy machine can
// have a pause fall into an edge, so there p99 and the tail's latency are
// held to the bound the edges allow.
func TestOTelSpanAttribution(t *testing.T) {
	dir := otelRecording()
	committed := dir == defaultOTelRecording
	spans := analyzeRecording(t, ingest.Options{Latency: []string{filepath.Join(dir, "spans.otlp.json.gz")}}, "")
	tasks := analyzeRecording(t, ingest.Options{}, "GET /work")
	sa, ta := spans.Attribution, tasks.Attribution
	if sa == nil || ta == nil {
		t.Fatal("no attribution")
	}
	if ta.STWOverlap <= 0 {
		t.Fatalf("the tasks overlap no pause: the recording shows no GC in its requests")
	}

	// Each span and its task, paired in order of start, with every
	// request's own breakdown.
	counted := func(res *analyze.Result) ([]model.Request, map[uint64]analyze.Breakdown) {
		var out []model.Request
		for _, i := range res.Counted {
			out = append(out, res.Requests.At(int(i)))
		}
		all := analyze.Attribute(res.Run, model.RequestsOf(out...), len(out))
		bd := map[uint64]analyze.Breakdown{}
		for _, w := range all.Worst {
			bd[w.Request.ID] = w.Breakdown
		}
		sort.Slice(out, func(a, b int) bool { return out[a].Start < out[b].Start })
		return out, bd
	}
	sr, sb := counted(spans)
	tr, tb := counted(tasks)
	if len(sr) != len(tr) || len(sb) != len(sr) || len(tb) != len(tr) {
		t.Fatalf("%d spans (%d attributed), %d tasks (%d attributed)", len(sr), len(sb), len(tr), len(tb))
	}
	abs := func(d time.Duration) time.Duration { return max(d, -d) }
	stw := func(b analyze.Breakdown) time.Duration { return b.SweepTermination + b.MarkTermination + b.NonGCSTW }
	var edges []time.Duration
	var widest time.Duration // the largest sum of a pair's two edges
	for i := range sr {
		lead, lag := abs(tr[i].Start.Sub(sr[i].Start)), abs(sr[i].End.Sub(tr[i].End))
		edges = append(edges, lead, lag)
		widest = max(widest, lead+lag)
		if d := abs(stw(sb[sr[i].ID]) - stw(tb[tr[i].ID])); d > lead+lag {
			t.Errorf("span %s: pause overlap %v, its task's %v: %v apart, more than its edges %v + %v",
				sr[i].SpanID, stw(sb[sr[i].ID]), stw(tb[tr[i].ID]), d, lead, lag)
		}
	}
	slices.Sort(edges)
	if med := edges[len(edges)/2]; med > 200*time.Microsecond {
		t.Errorf("the median edge between a span and its task is %v: the clocks are not lined up", med)
	}
	t.Logf("%d requests; edges between span and task: median %v, max %v", len(sr), edges[len(edges)/2], edges[len(edges)-1])

	within := func(what string, got, want, slack time.Duration) {
		t.Helper()
		d := abs(got - want)
		switch {
		case committed && want <= 0:
			t.Errorf("%s: the tasks give %v", what, want)
		case committed && float64(d) > 0.01*float64(want):
			t.Errorf("%s: spans %v, tasks %v (%.2f%% apart)", what, got, want, 100*float64(d)/float64(want))
		case !committed && float64(d) > 0.01*float64(want) && d > slack:
			t.Errorf("%s: spans %v, tasks %v: %v apart, more than 1 %% and than the edges allow (%v)", what, got, want, d, slack)
		}
		t.Logf("%s: spans %v, tasks %v", what, got, want)
	}
	edgeSum := time.Duration(0)
	for _, e := range edges {
		edgeSum += e
	}
	within("STW overlap of every request", sa.STWOverlap, ta.STWOverlap, edgeSum)
	within("STW overlap of the slowest 1%", sa.Tail99.Sum.SweepTermination+sa.Tail99.Sum.MarkTermination,
		ta.Tail99.Sum.SweepTermination+ta.Tail99.Sum.MarkTermination, time.Duration(sa.Tail99.Requests)*widest+ta.Tail99.Latency)
	within("p99", sa.Tail99.Observed, ta.Tail99.Observed, widest)
	within("latency of the slowest 1%", sa.Tail99.Latency, ta.Tail99.Latency, time.Duration(sa.Tail99.Requests)*widest)
}
