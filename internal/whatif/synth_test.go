package whatif

import (
	"testing"
	"time"

	"github.com/gcwatch/gcwatch/internal/model"
	"github.com/gcwatch/gcwatch/internal/whatif/whatiftest"
)

func TestFitRecoversExactParameters(t *testing.T) {
	p := whatiftest.Base()
	fit, err := FitRun(whatiftest.Run(p, 1), Known{})
	if err != nil {
		t.Fatal(err)
	}
	whatiftest.Within(t, "alloc rate", fit.AllocRate, p.AllocRate, 1e-6)
	whatiftest.Within(t, "stacks", float64(fit.Stacks), float64(p.Stacks), 1e-9)
	whatiftest.Within(t, "globals", float64(fit.Globals), float64(p.Globals), 1e-9)
	whatiftest.Within(t, "inferred GOGC", fit.GOGCInferred, 100, 1e-6)
	if fit.GOGC != 100 || fit.GOGCSource != "inferred" {
		t.Errorf("GOGC = %d from %q, want 100 inferred", fit.GOGC, fit.GOGCSource)
	}
	whatiftest.Within(t, "cpu fixed", float64(fit.MarkCPU.Fixed), p.CPUFixed, 1e-3)
	whatiftest.Within(t, "cpu per byte", fit.MarkCPU.PerByte, p.CPUPerByte, 1e-6)
	whatiftest.Within(t, "wall fixed", float64(fit.MarkWall.Fixed), p.WallFixed, 1e-3)
	whatiftest.Within(t, "wall per byte", fit.MarkWall.PerByte, p.WallPerByte, 1e-6)
	whatiftest.Within(t, "idle share", fit.IdleShare, p.IdleShare, 1e-6)
	whatiftest.Within(t, "overshoot", fit.Overshoot, p.Overshoot, 1e-6)
	if fit.MarkCPU.Proportional {
		t.Error("a 60% swing of the live heap should allow a fixed+per-byte fit")
	}
	whatiftest.Within(t, "cpu R²", fit.Quality.CPUR2, 1, 1e-6)
	// The interval model takes the allocation during consecutive marks as
	// equal; with the heap swinging they differ by a little.
	whatiftest.Within(t, "interval error", fit.Quality.IntervalError, 0, 0.01)
	if len(fit.Warnings) != 0 {
		t.Errorf("warnings on a clean run: %q", fit.Warnings)
	}
}

func TestFitRecoversNoisyParameters(t *testing.T) {
	p := whatiftest.Base()
	p.Noise = 0.05
	for seed := range uint64(5) {
		fit, err := FitRun(whatiftest.Run(p, seed), Known{})
		if err != nil {
			t.Fatal(err)
		}
		// 5% uniform noise on 60 cycles: means are good to a few percent;
		// the intercept is the least determined number.
		whatiftest.Within(t, "alloc rate", fit.AllocRate, p.AllocRate, 0.05)
		whatiftest.Within(t, "inferred GOGC", fit.GOGCInferred, 100, 0.08)
		whatiftest.Within(t, "cpu per byte", fit.MarkCPU.PerByte, p.CPUPerByte, 0.08)
		whatiftest.Within(t, "cpu at the mean heap", fit.MarkCPU.At(fit.ScanBytes()), p.CPUFixed+p.CPUPerByte*fit.ScanBytes(), 0.03)
		whatiftest.Within(t, "overshoot", fit.Overshoot, p.Overshoot, 0.02)
		if fit.Quality.CPUR2 < 0.8 {
			t.Errorf("seed %d: cpu R² %.3f, want ≥ 0.8 with a 60%% heap swing and 5%% noise", seed, fit.Quality.CPUR2)
		}
		self := Predict(fit, fit.Settings(), nil)
		whatiftest.Within(t, "self gc/s", self.GCPerSecond, fit.Observed.GCPerSecond, 0.08)
		whatiftest.Within(t, "self gc cpu", self.GCCPUFraction, fit.Observed.GCCPUFraction, 0.08)
	}
}

func TestFitTruncatedToMiB(t *testing.T) {
	p := whatiftest.Base()
	p.TruncateToMiB = true
	fit, err := FitRun(whatiftest.Run(p, 2), Known{})
	if err != nil {
		t.Fatal(err)
	}
	// Truncation moves each value down by under a MiB; the mid-MiB
	// correction leaves at most half a MiB on a 200 MiB heap.
	whatiftest.Within(t, "live heap", float64(fit.LiveHeap), mean(whatiftest.LiveHeaps(p)), 0.005)
	whatiftest.Within(t, "alloc rate", fit.AllocRate, p.AllocRate, 0.01)
	if g := 100.0; g < fit.GOGCInferredLow || g > fit.GOGCInferredHigh {
		t.Errorf("true GOGC 100 outside the inferred range %.1f–%.1f", fit.GOGCInferredLow, fit.GOGCInferredHigh)
	}
	whatiftest.Within(t, "inferred GOGC", fit.GOGCInferred, 100, 0.02)
}

func TestFitLimitBound(t *testing.T) {
	p := whatiftest.Base()
	p.Swing = 0.02
	p.Limit = 260 << 20 // GOGC=100 would want ~400 MiB
	gogc, limit := 100, p.Limit
	fit, err := FitRun(whatiftest.Run(p, 3), Known{GOGC: &gogc, MemoryLimit: &limit})
	if err != nil {
		t.Fatal(err)
	}
	if fit.LimitBoundCycles != p.Cycles-1 {
		t.Errorf("limit-bound cycles = %d, want %d", fit.LimitBoundCycles, p.Cycles-1)
	}
	if !fit.NonHeapMeasured {
		t.Error("non-heap memory not measured from a binding known limit")
	}
	whatiftest.Within(t, "non-heap", float64(fit.NonHeap), p.NonHeap, 0.01)
	self := Predict(fit, fit.Settings(), nil)
	if !self.LimitBinds {
		t.Error("the observed settings' prediction does not have the limit binding")
	}
	whatiftest.Within(t, "self gc/s", self.GCPerSecond, fit.Observed.GCPerSecond, 0.02)

	// Unknown limit: inferred from the goals, with a warning.
	fit, err = FitRun(whatiftest.Run(p, 3), Known{GOGC: &gogc})
	if err != nil {
		t.Fatal(err)
	}
	if fit.MemoryLimitSource != "inferred" || len(fit.Warnings) == 0 {
		t.Errorf("limit source %q, warnings %q: want an inferred limit and a warning", fit.MemoryLimitSource, fit.Warnings)
	}
	// The inference assumes 5 % of the heap outside it, not the true 12 MiB.
	whatiftest.Within(t, "inferred limit", float64(fit.MemoryLimit), float64(p.Limit), 0.03)
}

func TestFitGOGCCrossCheck(t *testing.T) {
	p := whatiftest.Base()
	wrong := 300
	fit, err := FitRun(whatiftest.Run(p, 4), Known{GOGC: &wrong})
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
	fit, err = FitRun(whatiftest.Run(p, 4), Known{GOGC: &low})
	if err != nil {
		t.Fatal(err)
	}
	if len(fit.Warnings) == 0 {
		t.Error("no warning when the given GOGC (50) is half what the goals show (100)")
	}
	// The run's own setting wins over the user's.
	runGOGC := 100
	run := whatiftest.Run(p, 4)
	run.GOGC = &runGOGC
	fit, _ = FitRun(run, Known{GOGC: &low})
	if fit.GOGC != 100 || fit.GOGCSource != "run" {
		t.Errorf("GOGC %d from %q, want the run's 100", fit.GOGC, fit.GOGCSource)
	}
}

func TestFitWarmupAndForced(t *testing.T) {
	p := whatiftest.Base()
	run := whatiftest.Run(p, 5)
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
	if fit.WarmupCycles != 2 || fit.Cycles != p.Cycles {
		t.Errorf("warm-up %d, cycles %d: want 2 and %d", fit.WarmupCycles, fit.Cycles, p.Cycles)
	}
	whatiftest.Within(t, "alloc rate", fit.AllocRate, p.AllocRate, 1e-6)

	// Forced cycles count in the rate the prediction adds back.
	run = whatiftest.Run(p, 5)
	for i := 0; i < len(run.Cycles); i += 10 {
		run.Cycles[i].Forced = true
	}
	fit, _ = FitRun(run, Known{})
	whatiftest.Within(t, "forced per second", fit.ForcedPerSecond, 6/(float64(run.Cycles[len(run.Cycles)-1].Start-run.Cycles[0].Start)/1e9), 1e-9)
}

func TestFitErrors(t *testing.T) {
	if _, err := FitRun(nil, Known{}); err == nil {
		t.Error("nil run: no error")
	}
	run := whatiftest.Run(whatiftest.Base(), 6)
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
