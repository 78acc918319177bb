package advice

import (
	"math"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/gcwatch/gcwatch/internal/model"
)

// synthParams are the true parameters a synthetic run is generated from.
type synthParams struct {
	cycles        int
	allocRate     float64 // bytes/s
	live          float64 // mean live heap; it swings ±swing around it
	swing         float64
	stacks        int64
	globals       int64
	gogc          int
	limit         int64 // NoLimit for none
	nonHeap       float64
	procs         int
	cpuFixed      float64 // ns per cycle, all mark work
	cpuPerByte    float64
	wallFixed     float64
	wallPerByte   float64
	idleShare     float64
	overshoot     float64
	noise         float64 // relative noise on cost and overshoot
	truncateToMiB bool
}

// synthRun generates cycles from the model itself: each goal from the
// previous marked heap, each peak at goal·overshoot, the mark lasting the
// wall cost while the program allocates at the allocation rate, and each
// start placed where the allocation since the previous start adds up.
func synthRun(p synthParams, seed uint64) *model.Run {
	rng := rand.New(rand.NewPCG(seed, 1))
	jitter := func() float64 { return 1 + p.noise*(2*rng.Float64()-1) }
	roots := float64(p.stacks + p.globals)
	run := &model.Run{GOMAXPROCS: p.procs}
	prevLive := p.live
	var start, prevH1, prevH0 float64
	for i := range p.cycles {
		live := p.live * (1 + p.swing*math.Sin(float64(i)/3))
		goal := math.Min(gogcGoal(p.gogc, prevLive, roots), limitGoal(p.limit, p.nonHeap, prevLive))
		wall := (p.wallFixed + p.wallPerByte*(live+roots)) * jitter()
		h1 := goal * p.overshoot * jitter()
		h0 := h1 - p.allocRate*wall/1e9
		if i > 0 {
			start += ((prevH1 - prevH0) + (h0 - prevLive)) / p.allocRate * 1e9
		}
		total := (p.cpuFixed + p.cpuPerByte*(live+roots)) * jitter()
		stw := 0.02 * total
		idle := p.idleShare * total
		c := model.Cycle{
			N: i + 1, Start: model.Time(start), End: model.Time(start + wall),
			Procs:     p.procs,
			HeapStart: int64(h0), HeapEnd: int64(h1), HeapLive: int64(live), HeapGoal: int64(goal),
			Stacks: p.stacks, Globals: p.globals,
			CPU: model.CycleCPU{
				SweepTermination: time.Duration(stw / 2), MarkTermination: time.Duration(stw / 2),
				Assist:     time.Duration(0.1 * (total - idle - stw)),
				Background: time.Duration(0.9 * (total - idle - stw)),
				Idle:       time.Duration(idle),
			},
			From: model.FromTrace,
		}
		c.Mark = time.Duration(wall)
		if p.truncateToMiB {
			for _, v := range []*int64{&c.HeapStart, &c.HeapEnd, &c.HeapLive, &c.HeapGoal} {
				*v &^= mib - 1
			}
			c.From = model.FromGCTrace
		}
		run.Cycles = append(run.Cycles, c)
		prevLive, prevH0, prevH1 = live, h0, h1
	}
	run.Start, run.End = run.Cycles[0].Start, run.Cycles[len(run.Cycles)-1].End
	return run
}

func baseParams() synthParams {
	return synthParams{
		cycles: 60, allocRate: 300 << 20, live: 200 << 20, swing: 0.3,
		stacks: 3 << 20, globals: 1 << 20, gogc: 100, limit: NoLimit, nonHeap: 12 << 20,
		procs: 4, cpuFixed: 2e6, cpuPerByte: 0.5, wallFixed: 1e6, wallPerByte: 0.2,
		idleShare: 0.3, overshoot: 1.02,
	}
}

func within(t *testing.T, what string, got, want, tol float64) {
	t.Helper()
	if want == 0 {
		if math.Abs(got) > tol {
			t.Errorf("%s = %g, want 0 ± %g", what, got, tol)
		}
		return
	}
	if math.IsNaN(got) || math.Abs(got-want)/math.Abs(want) > tol {
		t.Errorf("%s = %g, want %g ± %.0f%%", what, got, want, 100*tol)
	}
}

func TestFitRecoversExactParameters(t *testing.T) {
	p := baseParams()
	fit, err := FitRun(synthRun(p, 1), Known{})
	if err != nil {
		t.Fatal(err)
	}
	within(t, "alloc rate", fit.AllocRate, p.allocRate, 1e-6)
	within(t, "stacks", float64(fit.Stacks), float64(p.stacks), 1e-9)
	within(t, "globals", float64(fit.Globals), float64(p.globals), 1e-9)
	within(t, "inferred GOGC", fit.GOGCInferred, 100, 1e-6)
	if fit.GOGC != 100 || fit.GOGCSource != "inferred" {
		t.Errorf("GOGC = %d from %q, want 100 inferred", fit.GOGC, fit.GOGCSource)
	}
	within(t, "cpu fixed", float64(fit.MarkCPU.Fixed), p.cpuFixed, 1e-3)
	within(t, "cpu per byte", fit.MarkCPU.PerByte, p.cpuPerByte, 1e-6)
	within(t, "wall fixed", float64(fit.MarkWall.Fixed), p.wallFixed, 1e-3)
	within(t, "wall per byte", fit.MarkWall.PerByte, p.wallPerByte, 1e-6)
	within(t, "idle share", fit.IdleShare, p.idleShare, 1e-6)
	within(t, "overshoot", fit.Overshoot, p.overshoot, 1e-6)
	if fit.MarkCPU.Proportional {
		t.Error("a 60% swing of the live heap should allow a fixed+per-byte fit")
	}
	within(t, "cpu R²", fit.Quality.CPUR2, 1, 1e-6)
	// The interval model takes the allocation during consecutive marks as
	// equal; with the heap swinging they differ by a little.
	within(t, "interval error", fit.Quality.IntervalError, 0, 0.01)
	if len(fit.Warnings) != 0 {
		t.Errorf("warnings on a clean run: %q", fit.Warnings)
	}
}

func TestFitRecoversNoisyParameters(t *testing.T) {
	p := baseParams()
	p.noise = 0.05
	for seed := range uint64(5) {
		fit, err := FitRun(synthRun(p, seed), Known{})
		if err != nil {
			t.Fatal(err)
		}
		// 5% uniform noise on 60 cycles: means are good to a few percent;
		// the intercept is the least determined number.
		within(t, "alloc rate", fit.AllocRate, p.allocRate, 0.05)
		within(t, "inferred GOGC", fit.GOGCInferred, 100, 0.08)
		within(t, "cpu per byte", fit.MarkCPU.PerByte, p.cpuPerByte, 0.08)
		within(t, "cpu at the mean heap", fit.MarkCPU.At(fit.ScanBytes()), p.cpuFixed+p.cpuPerByte*fit.ScanBytes(), 0.03)
		within(t, "overshoot", fit.Overshoot, p.overshoot, 0.02)
		if fit.Quality.CPUR2 < 0.8 {
			t.Errorf("seed %d: cpu R² %.3f, want ≥ 0.8 with a 60%% heap swing and 5%% noise", seed, fit.Quality.CPUR2)
		}
		self := Predict(fit, fit.Settings(), nil)
		within(t, "self gc/s", self.GCPerSecond, fit.Observed.GCPerSecond, 0.08)
		within(t, "self gc cpu", self.GCCPUFraction, fit.Observed.GCCPUFraction, 0.08)
	}
}

func TestFitTruncatedToMiB(t *testing.T) {
	p := baseParams()
	p.truncateToMiB = true
	fit, err := FitRun(synthRun(p, 2), Known{})
	if err != nil {
		t.Fatal(err)
	}
	// Truncation moves each value down by under a MiB; the mid-MiB
	// correction leaves at most half a MiB on a 200 MiB heap.
	within(t, "live heap", float64(fit.LiveHeap), mean(liveHeaps(p)), 0.005)
	within(t, "alloc rate", fit.AllocRate, p.allocRate, 0.01)
	if g := 100.0; g < fit.GOGCInferredLow || g > fit.GOGCInferredHigh {
		t.Errorf("true GOGC 100 outside the inferred range %.1f–%.1f", fit.GOGCInferredLow, fit.GOGCInferredHigh)
	}
	within(t, "inferred GOGC", fit.GOGCInferred, 100, 0.02)
}

func liveHeaps(p synthParams) []float64 {
	var out []float64
	for i := range p.cycles {
		out = append(out, p.live*(1+p.swing*math.Sin(float64(i)/3)))
	}
	return out
}

func TestFitLimitBound(t *testing.T) {
	p := baseParams()
	p.swing = 0.02
	p.limit = 260 << 20 // GOGC=100 would want ~400 MiB
	gogc, limit := 100, p.limit
	fit, err := FitRun(synthRun(p, 3), Known{GOGC: &gogc, MemoryLimit: &limit})
	if err != nil {
		t.Fatal(err)
	}
	if fit.LimitBoundCycles != p.cycles-1 {
		t.Errorf("limit-bound cycles = %d, want %d", fit.LimitBoundCycles, p.cycles-1)
	}
	if !fit.NonHeapMeasured {
		t.Error("non-heap memory not measured from a binding known limit")
	}
	within(t, "non-heap", float64(fit.NonHeap), p.nonHeap, 0.01)
	self := Predict(fit, fit.Settings(), nil)
	if !self.LimitBinds {
		t.Error("the observed settings' prediction does not have the limit binding")
	}
	within(t, "self gc/s", self.GCPerSecond, fit.Observed.GCPerSecond, 0.02)

	// Unknown limit: inferred from the goals, with a warning.
	fit, err = FitRun(synthRun(p, 3), Known{GOGC: &gogc})
	if err != nil {
		t.Fatal(err)
	}
	if fit.MemoryLimitSource != "inferred" || len(fit.Warnings) == 0 {
		t.Errorf("limit source %q, warnings %q: want an inferred limit and a warning", fit.MemoryLimitSource, fit.Warnings)
	}
	// The inference assumes 5 % of the heap outside it, not the true 12 MiB.
	within(t, "inferred limit", float64(fit.MemoryLimit), float64(p.limit), 0.03)
}

func TestFitGOGCCrossCheck(t *testing.T) {
	p := baseParams()
	wrong := 300
	fit, err := FitRun(synthRun(p, 4), Known{GOGC: &wrong})
	if err != nil {
		t.Fatal(err)
	}
	if fit.GOGC != 300 || fit.GOGCSource != "user" {
		t.Errorf("GOGC %d from %q, want the user's 300", fit.GOGC, fit.GOGCSource)
	}
	// GOGC=300 would set goals far above the observed ones: that reads
	// as a memory limit binding, and the fit says so.
	if fit.LimitBoundCycles == 0 || len(fit.Warnings) == 0 {
		t.Errorf("no limit-bound cycles or warnings for a GOGC three times the truth: %q", fit.Warnings)
	}
	low := 50
	fit, err = FitRun(synthRun(p, 4), Known{GOGC: &low})
	if err != nil {
		t.Fatal(err)
	}
	if len(fit.Warnings) == 0 {
		t.Error("no warning when the given GOGC (50) is half what the goals show (100)")
	}
	// The run's own setting wins over the user's.
	runGOGC := 100
	run := synthRun(p, 4)
	run.GOGC = &runGOGC
	fit, _ = FitRun(run, Known{GOGC: &low})
	if fit.GOGC != 100 || fit.GOGCSource != "run" {
		t.Errorf("GOGC %d from %q, want the run's 100", fit.GOGC, fit.GOGCSource)
	}
}

func TestFitWarmupAndForced(t *testing.T) {
	p := baseParams()
	run := synthRun(p, 5)
	// A program loading its data first: two small-heap cycles.
	warm := []model.Cycle{run.Cycles[0], run.Cycles[0]}
	for i := range warm {
		warm[i].N = i + 1
		warm[i].Start -= model.Time(time.Duration(2-i) * time.Second)
		warm[i].End = warm[i].Start + 1000
		warm[i].HeapLive /= 10
	}
	for i := range run.Cycles {
		run.Cycles[i].N += 2
	}
	run.Cycles = append(warm, run.Cycles...)
	fit, err := FitRun(run, Known{})
	if err != nil {
		t.Fatal(err)
	}
	if fit.WarmupCycles != 2 || fit.Cycles != p.cycles {
		t.Errorf("warm-up %d, cycles %d: want 2 and %d", fit.WarmupCycles, fit.Cycles, p.cycles)
	}
	within(t, "alloc rate", fit.AllocRate, p.allocRate, 1e-6)

	// Forced cycles count in the rate the prediction adds back.
	run = synthRun(p, 5)
	for i := 0; i < len(run.Cycles); i += 10 {
		run.Cycles[i].Forced = true
	}
	fit, _ = FitRun(run, Known{})
	within(t, "forced per second", fit.ForcedPerSecond, 6/(float64(run.Cycles[len(run.Cycles)-1].Start-run.Cycles[0].Start)/1e9), 1e-9)
}

func TestFitErrors(t *testing.T) {
	if _, err := FitRun(nil, Known{}); err == nil {
		t.Error("nil run: no error")
	}
	run := synthRun(baseParams(), 6)
	short := &model.Run{Cycles: run.Cycles[:2], GOMAXPROCS: 4}
	if _, err := FitRun(short, Known{}); err == nil {
		t.Error("two cycles: no error")
	}
	noHeap := &model.Run{Cycles: append([]model.Cycle(nil), run.Cycles...), GOMAXPROCS: 4}
	for i := range noHeap.Cycles {
		c := &noHeap.Cycles[i]
		c.HeapStart, c.HeapEnd, c.HeapLive, c.HeapGoal = -1, -1, -1, -1
	}
	if _, err := FitRun(noHeap, Known{}); err == nil {
		t.Error("no heap sizes and no samples: no error")
	}
	noCPU := &model.Run{Cycles: append([]model.Cycle(nil), run.Cycles...), GOMAXPROCS: 4}
	for i := range noCPU.Cycles {
		noCPU.Cycles[i].CPU = model.CycleCPU{}
	}
	if _, err := FitRun(noCPU, Known{}); err == nil {
		t.Error("no cpu: no error")
	}
	stuck := &model.Run{Cycles: append([]model.Cycle(nil), run.Cycles...)}
	for i := range stuck.Cycles {
		stuck.Cycles[i].Start = 0
	}
	if _, err := FitRun(stuck, Known{}); err == nil {
		t.Error("cycles all at one instant: no error")
	}
}
