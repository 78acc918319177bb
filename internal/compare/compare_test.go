package compare

import (
	"fmt"
	"math"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/gcwatch/gcwatch/internal/advice"
	"github.com/gcwatch/gcwatch/internal/analyze"
	"github.com/gcwatch/gcwatch/internal/model"
	"github.com/gcwatch/gcwatch/internal/units"
	"github.com/gcwatch/gcwatch/internal/whatif"
)

// synthRun is a hand-built analysis: one cycle every period over a window
// of cycles periods, each with a pause of pause, and requests of the given
// latencies, a tenth of each GC time.
func synthRun(latencies []time.Duration, cycles int, period, pause time.Duration, gogc *int) *analyze.Result {
	run := &model.Run{GOMAXPROCS: 2, GOGC: gogc, Start: 0, End: model.Time(time.Duration(cycles) * period), Fidelity: model.Fidelity{Trace: true}}
	for i := range cycles {
		start := model.Time(time.Duration(i) * period)
		run.Cycles = append(run.Cycles, model.Cycle{N: i + 1, Start: start, End: start.Add(pause),
			CPU:      model.CycleCPU{Background: 2 * pause, Assist: pause / 2},
			HeapLive: 4 << 20, HeapEnd: 8 << 20, Procs: 2})
		run.Pauses = append(run.Pauses, model.Pause{Start: start, Duration: pause, Kind: model.PauseMarkTermination, Cycle: i, TimeToStop: pause / 10})
	}
	assist := time.Duration(cycles) * pause / 2
	res := &analyze.Result{Run: run, GC: analyze.GC{Cycles: cycles, Window: run.Duration(), CPUFraction: 0.05, CPUSource: "trace", MarkAssistTotal: &assist}}
	res.Latency = analyze.Latency{Source: "task", Requests: len(latencies)}
	a := &analyze.Attribution{}
	for _, l := range latencies {
		a.Latencies = append(a.Latencies, l)
		a.GCTimes = append(a.GCTimes, l/10)
	}
	res.Attribution = a
	return res
}

func ramp(n int, from, step time.Duration) []time.Duration {
	out := make([]time.Duration, n)
	for i := range out {
		out[i] = from + time.Duration(i)*step
	}
	return out
}

func side(res ...*analyze.Result) Side {
	s := Side{Inputs: []string{"x"}}
	for _, r := range res {
		s.Runs = append(s.Runs, Run{Result: r})
	}
	return s
}

func TestCompareHandBuilt(t *testing.T) {
	before := synthRun(ramp(200, time.Millisecond, 10*time.Microsecond), 20, 100*time.Millisecond, 200*time.Microsecond, nil)
	// After: every request 50 % slower, cycles twice as often.
	after := synthRun(ramp(200, 1500*time.Microsecond, 15*time.Microsecond), 40, 50*time.Millisecond, 200*time.Microsecond, nil)
	c, err := Compare(side(before), side(after), DefaultOptions())
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []struct {
		metric      string
		before      float64
		change      float64
		significant *bool
	}{
		{"gc_per_second", 10, 1, ptrBool(true)},
		{"request_p50_ms", 1.99, 0.5, ptrBool(true)},
		{"request_p99_ms", 2.97, 0.5, ptrBool(true)},
		{"pause_p99_ms", 0.2, 0, ptrBool(false)},
		{"mmu_10ms", math.NaN(), math.NaN(), nil},
	} {
		r := c.Find(want.metric)
		if r == nil {
			t.Fatalf("no row %s", want.metric)
		}
		if !math.IsNaN(want.before) && (r.Before == nil || math.Abs(*r.Before-want.before) > 1e-9) {
			t.Errorf("%s: before %v, want %v", want.metric, deref(r.Before), want.before)
		}
		if !math.IsNaN(want.change) && (r.Change == nil || math.Abs(*r.Change-want.change) > 1e-9) {
			t.Errorf("%s: change %v, want %v", want.metric, deref(r.Change), want.change)
		}
		if (want.significant == nil) != (r.Significant == nil) || (want.significant != nil && *want.significant != *r.Significant) {
			t.Errorf("%s: significant %v, want %v (%+v)", want.metric, r.Significant, want.significant, r)
		}
	}
}

func TestCompareTooFewSamples(t *testing.T) {
	before := synthRun(ramp(3, time.Millisecond, time.Millisecond), 3, 100*time.Millisecond, 100*time.Microsecond, nil)
	after := synthRun(ramp(3, 10*time.Millisecond, time.Millisecond), 3, 100*time.Millisecond, 100*time.Microsecond, nil)
	c, err := Compare(side(before), side(after), DefaultOptions())
	if err != nil {
		t.Fatal(err)
	}
	r := c.Find("request_p50_ms")
	if r.Significant != nil || !strings.Contains(r.Note, "too few requests (3 and 3)") {
		t.Errorf("3 requests a side: %+v", r)
	}
	if _, err := Compare(Side{}, side(after), DefaultOptions()); err == nil || !strings.Contains(err.Error(), "BEFORE") {
		t.Errorf("empty BEFORE: %v", err)
	}
}

func TestPredictionCheck(t *testing.T) {
	gogc100, gogc200 := 100, 200
	before := synthRun(ramp(200, time.Millisecond, 10*time.Microsecond), 20, 100*time.Millisecond, 200*time.Microsecond, &gogc100)
	after := synthRun(ramp(200, time.Millisecond, 10*time.Microsecond), 10, 200*time.Millisecond, 200*time.Microsecond, &gogc200)
	p99 := 2.5 // after measures 2.97: off by −16 %
	rec := &advice.Recommendation{Setting: units.Setting{GOGC: 200, MemoryLimit: units.LimitOff}, Predicted: whatif.Row{GOGC: 200, GCPerSecond: 6, P99: &p99}}
	b := side(before)
	b.Runs[0].Outcome = &advice.Outcome{Verdict: advice.Verdict{ID: advice.Tune, Settings: rec}}
	c, err := Compare(b, side(after), DefaultOptions())
	if err != nil {
		t.Fatal(err)
	}
	pc := c.PredictionCheck
	if pc == nil || !pc.Applies || pc.WithinError == nil || !*pc.WithinError {
		t.Fatalf("prediction check: %+v", pc)
	}
	if f := pc.Figures[0]; f.Metric != "gc_per_second" || math.Abs(f.Error-(6-5.0)/5) > 1e-9 {
		t.Errorf("gc_per_second: %+v, want error +20%%", f)
	}
	// Off by more than 30 %: the prediction missed.
	p99 = 1.5
	c, _ = Compare(b, side(after), DefaultOptions())
	if pc := c.PredictionCheck; *pc.WithinError {
		t.Errorf("p99 1.5 predicted, 2.97 measured: %+v", pc.Figures)
	}
	// AFTER ran with something else, or with what nobody knows.
	other := 50
	after.Run.GOGC = &other
	c, _ = Compare(b, side(after), DefaultOptions())
	if pc := c.PredictionCheck; pc.Applies || !strings.Contains(pc.Reason, "GOGC=50") {
		t.Errorf("GOGC=50 after: %+v", pc)
	}
	after.Run.GOGC = nil
	c, _ = Compare(b, side(after), DefaultOptions())
	if pc := c.PredictionCheck; pc.Applies || !strings.Contains(pc.Reason, "--after-gogc") {
		t.Errorf("unknown GOGC after: %+v", pc)
	}
}

func TestRegressions(t *testing.T) {
	ths, err := ParseThresholds("p99=+10%, gc_cpu=+2pt")
	if err != nil {
		t.Fatal(err)
	}
	yes, no := true, false
	c := &Comparison{Rows: []Row{
		{Metric: "request_p99_ms", Before: ptr(10), After: ptr(11.5), Significant: &yes, PValue: ptr(0.01), WorseWhen: "higher"},
		{Metric: "gc_cpu_fraction", Before: ptr(0.05), After: ptr(0.065), Significant: &yes, PValue: ptr(0.01), WorseWhen: "higher"},
	}}
	regs, _ := c.Regressions(ths)
	if len(regs) != 1 || regs[0].Row.Metric != "request_p99_ms" {
		t.Errorf("p99 +15%% and GC CPU +1.5pt: %v", regs)
	}
	c.Rows[1].After = ptr(0.08)
	if regs, _ := c.Regressions(ths); len(regs) != 2 {
		t.Errorf("GC CPU +3pt: %v", regs)
	}
	c.Rows[0].Significant = &no
	if regs, _ := c.Regressions(ths); len(regs) != 1 {
		t.Errorf("p99 inside the noise still fails: %v", regs)
	}
	for _, bad := range []string{"p99", "p99=10", "mmu_10ms=+1%", "p99=+1pt", "p99=+x%"} {
		if _, err := ParseThresholds(bad); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
}

func ptrBool(b bool) *bool { return &b }

func deref(v *float64) any {
	if v == nil {
		return nil
	}
	return *v
}

// TestAllocCutCheck: a reduce-allocation verdict is checked against an
// AFTER that allocates less, at AFTER's settings and measured allocation
// rate; the cut made is AFTER's rate against BEFORE's.
func TestAllocCutCheck(t *testing.T) {
	res := loadReal(t, "tune-before")
	gogc := 100
	res.Run.GOGC = &gogc
	out := advice.Decide(advice.Case{Run: res.Run, Analysis: res, Rules: advice.DefaultThresholds(), Budget: 12 << 20})
	if out.Verdict.ID != advice.ReduceAllocation || out.Fit == nil {
		t.Fatalf("tune-before in 12 MiB: verdict %s, fit %v; want reduce-allocation with a fit", out.Verdict.ID, out.Fit != nil)
	}
	need := math.NaN()
	for _, e := range out.Verdict.Evidence {
		if e.Metric == "alloc_cut_needed" && e.Holds {
			need = e.Value
			break
		}
	}
	before := Side{Runs: []Run{{Result: res, Outcome: &out}}}
	// AFTER: the same run, its heap rising 40 % less between samples.
	scaled := func(f float64) *analyze.Result {
		run := *res.Run
		run.Heap = slices.Clone(run.Heap)
		for i := range run.Heap {
			if run.Heap[i].Live >= 0 {
				run.Heap[i].Live = int64(float64(run.Heap[i].Live) * f)
			}
		}
		r := *res
		r.Run = &run
		return &r
	}
	after := Side{Runs: []Run{{Result: scaled(0.6)}}}
	c, err := Compare(before, after, DefaultOptions())
	if err != nil {
		t.Fatal(err)
	}
	pc := c.PredictionCheck
	if pc == nil || pc.Remedy != "allocation_cut" || !pc.Applies || pc.AllocCut == nil {
		t.Fatalf("prediction check %+v", pc)
	}
	if math.Abs(pc.AllocCut.Made-0.4) > 1e-3 || pc.AllocCut.Needed == nil || *pc.AllocCut.Needed != need || pc.AllocCut.RateSource != "trace heap samples" {
		t.Errorf("cut made %v (want 0.4), needed %v (want %v)", pc.AllocCut.Made, pc.AllocCut.Needed, need)
	}
	if !strings.Contains(pc.Change, fmt.Sprintf("%.0f%%", 100*need)) || !strings.Contains(pc.AfterChange, "cut by 40%") {
		t.Errorf("change %q, after change %q", pc.Change, pc.AfterChange)
	}
	// GC cycles per second: the model's prediction at 60 % of the rate
	// with GOGC=100, held against AFTER's measured rate.
	want := whatif.PredictAt(*out.Fit, whatif.Settings{GOGC: 100, MemoryLimit: whatif.NoLimit}, 1-pc.AllocCut.Made, nil).GCPerSecond
	f := pc.Figures[0]
	if f.Metric != "gc_per_second" || math.Abs(f.Predicted-want) > 1e-9 || f.Measured != *c.Find("gc_per_second").After {
		t.Errorf("gc_per_second %+v, want predicted %v", f, want)
	}
	if f.Predicted >= *c.Find("gc_per_second").Before {
		t.Errorf("40%% less allocation predicted no fewer cycles: %v against %v", f.Predicted, *c.Find("gc_per_second").Before)
	}
	// AFTER allocating more: not an allocation cut.
	after.Runs[0].Result = scaled(1.1)
	c, _ = Compare(before, after, DefaultOptions())
	if pc := c.PredictionCheck; pc.Applies || !strings.Contains(pc.Reason, "no less") {
		t.Errorf("10%% more allocation: %+v", pc)
	}
	// No heap samples and no fit on AFTER: its rate is unknown.
	after.Runs[0].Result = scaled(0)
	after.Runs[0].Result.Run.Heap = nil
	c, _ = Compare(before, after, DefaultOptions())
	if pc := c.PredictionCheck; pc.Applies || !strings.Contains(pc.Reason, "not known") {
		t.Errorf("no AFTER rate: %+v", pc)
	}
}

// TestAllocRate: the rises of the heap between samples over the window,
// summed over the runs that have samples; the fitted rate for runs that
// have none.
func TestAllocRate(t *testing.T) {
	run := synthRun(nil, 20, 100*time.Millisecond, 100*time.Microsecond, nil) // a 2 s window
	const mb = 1 << 20
	for i, live := range []int64{5, 8, 6, 9, 9, 4, 7, -1, 8} {
		run.Run.Heap = append(run.Run.Heap, model.HeapSample{At: model.Time(i) * 1e8, Live: live * mb})
	}
	// Rises: 5→8, 6→9, 4→7, 7→8 (the unknown sample skipped): 10 MiB in 2 s.
	rate, source, ok := allocRate(side(run))
	if !ok || source != "trace heap samples" || math.Abs(rate-5*mb) > 1e-6 {
		t.Errorf("rate %v MiB/s from %q (%v), want 5 from trace heap samples", rate/mb, source, ok)
	}
	run.Run.Heap = nil
	s := side(run)
	s.Runs[0].Outcome = &advice.Outcome{Fit: &whatif.Fit{AllocRate: 3 * mb}}
	if rate, source, ok := allocRate(s); !ok || source != "cost model" || rate != 3*mb {
		t.Errorf("without samples: %v MiB/s from %q (%v), want the fit's 3", rate/mb, source, ok)
	}
	if _, _, ok := allocRate(side(run)); ok {
		t.Error("no samples and no fit: a rate")
	}
}

// TestMismatchNotes: sides that differ in what shapes every figure say so.
func TestMismatchNotes(t *testing.T) {
	b := synthRun(ramp(50, time.Millisecond, time.Microsecond), 10, 100*time.Millisecond, 100*time.Microsecond, nil)
	a := synthRun(ramp(50, time.Millisecond, time.Microsecond), 10, 100*time.Millisecond, 100*time.Microsecond, nil)
	b.Run.GoVersion, a.Run.GoVersion = "go1.25.3", "go1.26.1"
	a.Run.GOMAXPROCS = 8
	a.Latency.Source = "log"
	c, err := Compare(side(b), side(a), DefaultOptions())
	if err != nil {
		t.Fatal(err)
	}
	notes := strings.Join(c.Notes, "\n")
	for _, want := range []string{"GOMAXPROCS 2 and AFTER with 8", "BEFORE ran go1.25.3 and AFTER go1.26.1", "requests are task on BEFORE and log on AFTER"} {
		if !strings.Contains(notes, want) {
			t.Errorf("notes lack %q:\n%s", want, notes)
		}
	}
	// The same on both sides: nothing to say but that one run a side
	// cannot show how runs differ.
	c, _ = Compare(side(b), side(b), DefaultOptions())
	if len(c.Notes) != 1 || !strings.Contains(c.Notes[0], "1 and 1 runs: too few to test over runs") {
		t.Errorf("a run against itself: notes %q", c.Notes)
	}
}

// TestOverRuns: with 4 runs a side, each run is one sample (benchstat's
// way). Cycles every 100 ms (plus a little) before and every 50 ms after:
// every BEFORE run below every AFTER run, p = 2/C(8,4) = 2/70 exactly;
// the same requests everywhere: no change.
func TestOverRuns(t *testing.T) {
	var before, after Side
	for i := range 4 {
		jitter := time.Duration(i) * time.Millisecond
		before.Runs = append(before.Runs, Run{Result: synthRun(ramp(200, time.Millisecond, 10*time.Microsecond), 20, 100*time.Millisecond+jitter, 200*time.Microsecond, nil)})
		after.Runs = append(after.Runs, Run{Result: synthRun(ramp(200, time.Millisecond, 10*time.Microsecond), 40, 50*time.Millisecond+jitter, 200*time.Microsecond, nil)})
	}
	c, err := Compare(before, after, DefaultOptions())
	if err != nil {
		t.Fatal(err)
	}
	gc := c.Find("gc_per_second")
	if gc.Samples != "runs" || gc.BeforeN != 4 || gc.AfterN != 4 || gc.Significant == nil || !*gc.Significant || math.Abs(*gc.PValue-2.0/70) > 1e-12 {
		t.Errorf("gc_per_second over runs: %+v (p %v)", gc, deref(gc.PValue))
	}
	p99 := c.Find("request_p99_ms")
	if p99.Samples != "runs" || p99.Significant == nil || *p99.Significant || p99.ChangeCI != nil {
		t.Errorf("request_p99_ms over runs: %+v", p99)
	}
	for _, n := range c.Notes {
		if strings.Contains(n, "too few to test over runs") {
			t.Errorf("4 runs a side, yet: %s", n)
		}
	}
	// 3 runs a side cannot reach α = 0.05 (2/20 = 0.1): the tests stay
	// within the runs, and a note says so.
	before.Runs, after.Runs = before.Runs[:3], after.Runs[:3]
	c, _ = Compare(before, after, DefaultOptions())
	if gc := c.Find("gc_per_second"); gc.Samples == "runs" || !strings.Contains(strings.Join(c.Notes, " "), "3 and 3 runs: too few to test over runs") {
		t.Errorf("3 runs a side: %+v, notes %q", gc, c.Notes)
	}
}
