package advice

import (
	"math"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/gcwatch/gcwatch/internal/model"
	"github.com/gcwatch/gcwatch/internal/whatif"
)

// firstMeeting is the id of the first applicable option that meets the
// target, "" when none does.
func firstMeeting(opts []Option) string {
	for _, o := range opts {
		if o.Applicable && o.MeetsTarget != nil && *o.MeetsTarget {
			return o.ID
		}
	}
	return ""
}

// checkLadder checks what every ladder must hold: the five steps in
// order; figures null where not modelled; at most one recommended, the
// first that meets the target, and only on the verdict's own step.
func checkLadder(t *testing.T, v Verdict) {
	t.Helper()
	var ids []string
	recommended := 0
	for _, o := range v.Options {
		ids = append(ids, o.ID)
		if !o.Modelled && (o.P99Ms != nil || o.GCCPUFraction != nil || o.PeakMemoryBytes != nil || o.MeetsTarget != nil) {
			t.Errorf("%s: not modelled, yet figures %v %v %v or meets_target %v", o.ID, o.P99Ms, o.GCCPUFraction, o.PeakMemoryBytes, o.MeetsTarget)
		}
		if o.Recommended {
			recommended++
			if o.ID != v.ID || o.ID != firstMeeting(v.Options) || !v.SufficientData {
				t.Errorf("%s recommended under verdict %s (first meeting %q, sufficient data %v)", o.ID, v.ID, firstMeeting(v.Options), v.SufficientData)
			}
		}
	}
	if !slices.Equal(ids, LadderOrder) {
		t.Errorf("options %v, want %v", ids, LadderOrder)
	}
	if recommended > 1 {
		t.Errorf("%d options recommended", recommended)
	}
	if slices.ContainsFunc(v.Caveats, func(c string) bool { return strings.Contains(c, "options ladder") }) {
		t.Errorf("the ladder and the verdict disagree: %q", v.Caveats)
	}
}

func option(v Verdict, id string) Option {
	i := slices.IndexFunc(v.Options, func(o Option) bool { return o.ID == id })
	if i < 0 {
		return Option{}
	}
	return v.Options[i]
}

// TestLadderOnAllocationLookAlike: the look-alike's verdict is
// reduce-allocation, and so is its ladder: no setting meets the SLO, the
// cut the evidence names does, and its figures are the model's at that
// share of the allocation rate with that setting.
func TestLadderOnAllocationLookAlike(t *testing.T) {
	p := allocParams()
	p.AllocRate = 800 << 20
	p.WallFixed, p.WallPerByte = 1e6, 79e6/float64(304<<20)
	p.CPUFixed, p.CPUPerByte = 1e6, 79e6/float64(304<<20)
	req := allocCase(p, 0.04)
	out := Decide(req)
	v := out.Verdict
	checkLadder(t, v)
	if v.ID != ReduceAllocation || firstMeeting(v.Options) != ReduceAllocation || !option(v, ReduceAllocation).Recommended {
		t.Fatalf("verdict %s, first option meeting the target %q", v.ID, firstMeeting(v.Options))
	}
	if tu := option(v, Tune); tu.MeetsTarget == nil || *tu.MeetsTarget {
		t.Errorf("tune meets the target %v: no setting does at today's rate", tu.MeetsTarget)
	}
	o := option(v, ReduceAllocation)
	e, _ := evidenceRow(v, "alloc_cut_needed")
	if o.AllocCut == nil || *o.AllocCut != e.Value {
		t.Fatalf("option's cut %v, evidence's %v", o.AllocCut, e.Value)
	}
	// The figures again, from the model directly.
	g, lim := int(o.Settings.Predicted.GOGC), int64(whatif.NoLimit)
	if o.Settings.Predicted.MemoryLimit != nil {
		lim = *o.Settings.Predicted.MemoryLimit
	}
	pred := whatif.PredictAt(*out.Fit, whatif.Settings{GOGC: g, MemoryLimit: lim}, 1-*o.AllocCut, mustLatency(t, req))
	if *o.P99Ms != ms(float64(pred.P99)) || *o.GCCPUFraction != pred.GCCPUFraction || *o.PeakMemoryBytes != pred.PeakMemory {
		t.Errorf("option figures %v ms, %v, %v B; the model at %.2f of the rate: %v ms, %v, %v B",
			*o.P99Ms, *o.GCCPUFraction, *o.PeakMemoryBytes, 1-*o.AllocCut, ms(float64(pred.P99)), pred.GCCPUFraction, pred.PeakMemory)
	}
	if pred.P99 > req.SLO.Target || *o.AllocBytesPerSecond != out.Fit.AllocRate*(1-*o.AllocCut) {
		t.Errorf("predicted p99 %v against the SLO %v; rate %v", pred.P99, req.SLO.Target, *o.AllocBytesPerSecond)
	}
	// The migration step does not apply to an allocation problem's
	// ladder before the cut is shown not to work: it is listed after it.
	if m := option(v, MigrationCandidate); m.Recommended {
		t.Errorf("migration recommended on an allocation problem")
	}
}

func mustLatency(t *testing.T, req Case) *whatif.LatencyModel {
	t.Helper()
	a := req.Analysis.Attribution
	fit, err := whatif.FitRun(req.Run, req.Known)
	if err != nil {
		t.Fatal(err)
	}
	lat, err := whatif.NewMixtureLatencyModel(a.Latencies, a.Met, a.GCTimes, fit.Observed.MarkActiveFraction)
	if err != nil {
		t.Fatal(err)
	}
	return lat
}

// TestLadderOnIntrinsicHeap: the migration candidate's ladder reaches
// migration only after tune and a 75 % allocation cut miss; its figures
// are the tail without GC time, no GC CPU and the live heap.
func TestLadderOnIntrinsicHeap(t *testing.T) {
	p := allocParams()
	p.AllocRate = 100 << 20
	p.WallFixed, p.WallPerByte = 1e6, 599e6/float64(304<<20)
	p.CPUFixed, p.CPUPerByte = 1e6, 599e6/float64(304<<20)
	req := allocCase(p, 0.2)
	v := Decide(req).Verdict
	checkLadder(t, v)
	if v.ID != MigrationCandidate || !option(v, MigrationCandidate).Recommended {
		t.Fatalf("verdict %s, first meeting %q", v.ID, firstMeeting(v.Options))
	}
	for _, id := range []string{Tune, ReduceAllocation} {
		if o := option(v, id); o.MeetsTarget == nil || *o.MeetsTarget {
			t.Errorf("%s meets the target: %v", id, o.MeetsTarget)
		}
	}
	m := option(v, MigrationCandidate)
	if *m.P99Ms != v.Migration.P99WithoutGCMs || *m.P99Ms != ms(float64(req.Analysis.Attribution.Tail99.WithoutGC)) ||
		*m.GCCPUFraction != 0 || *m.PeakMemoryBytes != v.Migration.LiveHeapBytes {
		t.Errorf("migration figures %v ms, %v, %v B; estimate %+v", *m.P99Ms, *m.GCCPUFraction, *m.PeakMemoryBytes, v.Migration)
	}
	if m.Migration == nil || m.Migration.ADRP99Change != -0.25 || m.Migration.ADRMemoryChange != -0.5 {
		t.Errorf("migration option without the decision record's figures: %+v", m.Migration)
	}
	if r := option(v, RestructureHeap); !r.Applicable || r.Modelled {
		t.Errorf("restructure-heap %+v: want applicable (600 ms of marking), not modelled", r)
	}

	// An SLO even the GC-free tail misses: the rules still say the cost is
	// the live heap's, but no option meets the target and none is
	// recommended.
	req.SLO.Target = 500 * time.Microsecond
	v = Decide(req).Verdict
	checkLadder(t, v)
	if m := option(v, MigrationCandidate); v.ID != MigrationCandidate || m.MeetsTarget == nil || *m.MeetsTarget || firstMeeting(v.Options) != "" {
		t.Errorf("verdict %s, migration meets %v, first meeting %q: want migration-candidate with no option meeting 0.5 ms", v.ID, m.MeetsTarget, firstMeeting(v.Options))
	}
}

// TestLadderOnTune: with room in the budget, a setting is the cheapest
// remedy; its option is verdict.settings.
func TestLadderOnTune(t *testing.T) {
	p := allocParams()
	p.AllocRate = 800 << 20
	p.WallFixed, p.WallPerByte = 1e6, 79e6/float64(304<<20)
	p.CPUFixed, p.CPUPerByte = 1e6, 79e6/float64(304<<20)
	req := allocCase(p, 0.04)
	req.Budget = 4 << 30
	v := Decide(req).Verdict
	checkLadder(t, v)
	o := option(v, Tune)
	if v.ID != Tune || v.Settings == nil || !o.Recommended {
		t.Fatalf("verdict %s (%s), tune option %+v", v.ID, v.Summary, o)
	}
	if o.Settings.Setting != v.Settings.Setting || *o.P99Ms != *v.Settings.Predicted.P99 {
		t.Errorf("tune option %s p99 %v; verdict settings %s p99 %v", o.Settings.Setting, *o.P99Ms,
			v.Settings.Setting, *v.Settings.Predicted.P99)
	}
	if v.Target == "" || !strings.Contains(v.Target, "5ms") {
		t.Errorf("target %q does not name the SLO", v.Target)
	}

	// Beside a setting that meets the target, the allocation step is the
	// code change instead: the least cut with which today's settings meet
	// it, worked out again here from the model.
	out := Decide(req)
	r := option(out.Verdict, ReduceAllocation)
	cur := out.Fit.Settings()
	if r.Settings == nil || r.Settings.Setting != cur.Setting() || r.AllocCut == nil {
		t.Fatalf("reduce-allocation beside tune: %+v, want today's settings and a cut", r)
	}
	lat, slo := mustLatency(t, req), req.SLO.Target
	at := whatif.PredictAt(*out.Fit, cur, 1-*r.AllocCut, lat)
	before := whatif.PredictAt(*out.Fit, cur, 1-(*r.AllocCut-allocCutStep), lat)
	if r.MeetsTarget == nil || !*r.MeetsTarget || at.P99 > slo || before.P99 <= slo || *r.P99Ms != ms(float64(at.P99)) {
		t.Errorf("cut %.2f: p99 %v there, %v one step less, option %v ms; want the least cut meeting %v", *r.AllocCut, at.P99, before.P99, *r.P99Ms, slo)
	}
}

// TestLadderWithoutEnoughData: a report on two cycles lists the ladder,
// not modelled, and recommends nothing.
func TestLadderWithoutEnoughData(t *testing.T) {
	p := allocParams()
	p.AllocRate = 800 << 20
	req := allocCase(p, 0.04)
	req.Run.Cycles = req.Run.Cycles[:2]
	v := Decide(req).Verdict
	checkLadder(t, v)
	if v.SufficientData {
		t.Fatalf("two cycles are enough data?")
	}
	for _, o := range v.Options {
		if o.Recommended || (o.ID != MigrationCandidate && o.Modelled) {
			t.Errorf("%s: recommended %v, modelled %v without a cost model", o.ID, o.Recommended, o.Modelled)
		}
	}
}

// TestUpgradeGoOption: an older runtime whose GC CPU is mostly marking is
// offered Go 1.26 with the published range applied to today's GC CPU, as
// an estimate that meets no target; a newer one, or GC CPU that is not
// marking, is not.
func TestUpgradeGoOption(t *testing.T) {
	p := allocParams()
	p.AllocRate = 100 << 20
	p.WallFixed, p.WallPerByte = 1e6, 599e6/float64(304<<20)
	p.CPUFixed, p.CPUPerByte = 1e6, 599e6/float64(304<<20)
	var v Verdict
	decide := func(version, from string, stw, assist, background float64) Option {
		req := allocCase(p, 0.2)
		req.Run.GoVersion, req.Run.GoVersionFrom = version, from
		g := &req.Analysis.GC
		g.CPU.STW, g.CPU.Assist, g.CPU.Background, g.CPUSource = stw, assist, background, "trace"
		g.CPUFraction = stw + assist + background
		v = Decide(req).Verdict
		checkLadder(t, v)
		return option(v, UpgradeGo)
	}
	o := decide("go1.22.5", "meta.json", 0.01, 0.04, 0.15)
	// The migration candidate is told to upgrade first.
	if v.ID != MigrationCandidate || !strings.HasPrefix(v.Actions[0], "first upgrade Go (go1.22.5)") {
		t.Errorf("verdict %s, actions %q: want the upgrade first", v.ID, v.Actions)
	}
	if !o.Applicable || o.Modelled || o.MeetsTarget != nil || o.P99Ms != nil || o.Estimate == nil {
		t.Fatalf("go1.22 with 95%% marking: %+v", o)
	}
	if e := o.Estimate; math.Abs(e.GCCPUFractionLow-0.2*0.6) > 1e-12 || math.Abs(e.GCCPUFractionHigh-0.2*0.9) > 1e-12 {
		t.Errorf("estimate %.4f–%.4f, want 12–18%% (20%% less 40%% and 10%%)", e.GCCPUFractionLow, e.GCCPUFractionHigh)
	}
	if !strings.Contains(o.Note, "estimate") || !strings.Contains(o.Change, "go1.22.5") || o.Runtime.From != "meta.json" {
		t.Errorf("note %q, change %q, runtime %+v", o.Note, o.Change, o.Runtime)
	}
	for _, tc := range []struct {
		version              string
		stw, assist, backgnd float64
		want                 bool
	}{
		{"go1.26.8", 0.01, 0.04, 0.15, false},
		{"go1.26+", 0.01, 0.04, 0.15, false},
		{"go1.23+", 0.01, 0.04, 0.15, true},   // a trace format 1.26 does not write
		{"go1.24.1", 0.12, 0.02, 0.06, false}, // marking is 40 % of the GC CPU
		{"", 0.01, 0.04, 0.15, false},         // not known
		{"devel go1.27-abc", 0.01, 0.04, 0.15, false},
	} {
		if got := decide(tc.version, "trace", tc.stw, tc.assist, tc.backgnd); got.Applicable != tc.want || got.Note == "" {
			t.Errorf("%q, marking %.0f%%: applicable %v (%s), want %v", tc.version, 100*(tc.assist+tc.backgnd)/(tc.stw+tc.assist+tc.backgnd), got.Applicable, got.Note, tc.want)
		}
	}
}

// TestRuntimeVersionFromGCTrace: without a version, the gctrace format
// says "older than go1.18" (no stacks and globals in any record) or only
// "go1.18 or later".
func TestRuntimeVersionFromGCTrace(t *testing.T) {
	cycles := func(stacks int64, n int) []model.Cycle {
		var cs []model.Cycle
		for i := range n {
			cs = append(cs, model.Cycle{N: i + 1, HeapGoal: 8 << 20, Stacks: stacks, From: model.FromGCTrace})
		}
		return cs
	}
	old := runtimeVersion(&model.Run{Cycles: cycles(-1, 4)})
	if old.OlderThanGreenTea == nil || !*old.OlderThanGreenTea || old.From != "gctrace" {
		t.Errorf("a log without stacks: %+v", old)
	}
	if rv := runtimeVersion(&model.Run{Cycles: cycles(0, 4)}); rv.OlderThanGreenTea != nil || rv.Version != "go1.18+" {
		t.Errorf("a log with stacks: %+v", rv)
	}
	if rv := runtimeVersion(&model.Run{Cycles: cycles(-1, 2)}); rv.Version != "" {
		t.Errorf("two records are too few to tell: %+v", rv)
	}
	if rv := runtimeVersion(&model.Run{GoVersion: "go1.21", GoVersionFrom: "trace", Cycles: cycles(0, 4)}); rv.OlderThanGreenTea == nil || !*rv.OlderThanGreenTea {
		t.Errorf("a go1.21 trace: %+v", rv)
	}
}
