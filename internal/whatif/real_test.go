package whatif

import (
	"testing"

	"github.com/gcwatch/gcwatch/internal/model"
	"github.com/gcwatch/gcwatch/internal/whatif/whatiftest"
)

// recording is one of examples/testdata's recorded runs: its gctrace log
// as a run, and the settings its meta.json says it ran under.
type recording struct {
	run   *model.Run
	known Known
}

// loadRecording reads examples/testdata/NAME (whatiftest.LoadRecording).
func loadRecording(t *testing.T, name string) (recording, bool) {
	t.Helper()
	r, ok := whatiftest.LoadRecording(t, name)
	return recording{run: r.Run, known: Known{GOGC: r.GOGC, MemoryLimit: r.MemoryLimit}}, ok
}

// TestRecordedSelfPrediction fits each recording under the settings it
// ran with and predicts those settings back.
//
// Tolerance: gctrace prints heap sizes truncated to whole MiB, and roots
// ("0 MB stacks") likewise. On a heap of a few MiB one MiB of doubt in the
// runway between live heap and goal is a third of it, so small heaps get
// ±50 %; from 8 MiB up the doubt is under ~10 % and the rest is the
// pacer's own cycle-to-cycle variation, so ±20 % — except for the GC CPU
// of a fit on fewer than 8 cycles (bigheap's few long ones): there one
// cycle's burst of assists moves the mean CPU per cycle by a quarter or
// more (seen: −31 % and +28 % on two recordings of the same program), so
// ±35 %.
func TestRecordedSelfPrediction(t *testing.T) {
	for _, name := range []string{"allocheavy-p2-gogc100", "allocheavy-p4-gogc50", "bigheap", "stwdelay", "stwmix-p4", "stwmix-p2"} {
		rec, ok := loadRecording(t, name)
		if !ok {
			continue
		}
		fit, err := FitRun(rec.run, rec.known)
		if err != nil {
			t.Errorf("%s: %v", name, err)
			continue
		}
		tol := 0.2
		if fit.LiveHeap < 8<<20 {
			tol = 0.5
		}
		self := Predict(fit, fit.Settings(), nil)
		t.Logf("%s: live %.1f MiB, alloc %.0f MiB/s, GOGC %d (inferred %.0f, %.0f–%.0f); gc/s %.2f observed %.2f; gc cpu %.4f observed %.4f; interval error %.2f, cpu error %.2f",
			name, float64(fit.LiveHeap)/mib, fit.AllocRate/mib, fit.GOGC, fit.GOGCInferred, fit.GOGCInferredLow, fit.GOGCInferredHigh,
			self.GCPerSecond, fit.Observed.GCPerSecond, self.GCCPUFraction, fit.Observed.GCCPUFraction,
			fit.Quality.IntervalError, fit.Quality.CPUError)
		whatiftest.Within(t, name+" gc/s", self.GCPerSecond, fit.Observed.GCPerSecond, tol)
		cpuTol := tol
		if fit.Cycles < 8 {
			cpuTol = max(tol, 0.35)
		}
		whatiftest.Within(t, name+" gc cpu", self.GCCPUFraction, fit.Observed.GCCPUFraction, cpuTol)
		if self.LimitBinds || self.LimiterEngaged {
			t.Errorf("%s: no limit was set, yet %+v", name, self)
		}
		g := float64(*rec.known.GOGC)
		if g < fit.GOGCInferredLow || g > fit.GOGCInferredHigh {
			t.Errorf("%s: GOGC %v outside the inferred range %.0f–%.0f", name, g, fit.GOGCInferredLow, fit.GOGCInferredHigh)
		}
	}
}

// TestRecordedMemoryLimit checks the model on the run whose 110 MiB limit
// set every goal and engaged the CPU limiter.
func TestRecordedMemoryLimit(t *testing.T) {
	rec, ok := loadRecording(t, "memlimit")
	if !ok {
		return
	}
	fit, err := FitRun(rec.run, rec.known)
	if err != nil {
		t.Fatal(err)
	}
	if fit.MemoryLimit != 110<<20 || !fit.NonHeapMeasured {
		t.Errorf("limit %d, non-heap measured %v", fit.MemoryLimit, fit.NonHeapMeasured)
	}
	if 10*fit.LimitBoundCycles < 9*fit.Cycles {
		t.Errorf("%d of %d cycles limit-bound, want nearly all", fit.LimitBoundCycles, fit.Cycles)
	}
	self := Predict(fit, fit.Settings(), nil)
	t.Logf("memlimit: live %.1f MiB, non-heap %.1f MiB, gc/s %.1f observed %.1f, gc cpu %.3f observed %.3f",
		float64(fit.LiveHeap)/mib, float64(fit.NonHeap)/mib, self.GCPerSecond, fit.Observed.GCPerSecond,
		self.GCCPUFraction, fit.Observed.GCCPUFraction)
	if !self.LimitBinds || !self.LimiterEngaged || !self.BackToBack {
		t.Errorf("observed settings: %+v, want the limit binding and the limiter engaged", self)
	}
	// The run was recorded while the limiter's 2×GOMAXPROCS CPU-second
	// bucket was still filling, so the GC took a little over the long-run
	// half the model holds it to.
	if fit.Observed.GCCPUFraction < 0.45 || fit.Observed.GCCPUFraction > 0.7 {
		t.Errorf("observed gc cpu %.3f: the recording no longer shows the limiter", fit.Observed.GCCPUFraction)
	}
	whatiftest.Within(t, "gc/s", self.GCPerSecond, fit.Observed.GCPerSecond, 0.2)
	// Raising the limit well above the heap frees the GC: GOGC=100 sets
	// the goal again and the GC CPU drops far below the limiter's cap.
	free := Predict(fit, Settings{GOGC: 100, MemoryLimit: 512 << 20}, nil)
	if free.LimitBinds || free.LimiterEngaged || free.GCCPUFraction > 0.1 {
		t.Errorf("with a 512 MiB limit: %+v", free)
	}
}

// TestRecordedOtherGOGC fits tune-before (allocheavy at GOGC=100) and
// predicts tune-after: the same program, load and GOMAXPROCS at the GOGC
// gcwatch recommends for it. What GOGC decides is compared: the GC
// frequency, the bytes allocated per cycle and the GC CPU per cycle.
func TestRecordedOtherGOGC(t *testing.T) {
	from, ok1 := loadRecording(t, "tune-before")
	to, ok2 := loadRecording(t, "tune-after")
	if !ok1 || !ok2 {
		return
	}
	fit, err := FitRun(from.run, from.known)
	if err != nil {
		t.Fatal(err)
	}
	target, err := FitRun(to.run, to.known)
	if err != nil {
		t.Fatal(err)
	}
	if fit.Procs != target.Procs || fit.GOGC == target.GOGC {
		t.Fatalf("the recordings should differ in GOGC only: %d/%d Ps, GOGC %d/%d", fit.Procs, target.Procs, fit.GOGC, target.GOGC)
	}
	p := Predict(fit, target.Settings(), nil)
	predictedPerCycle := fit.AllocRate / p.GCPerSecond
	observedPerCycle := target.AllocRate / target.Observed.GCPerSecond
	predictedCPU := p.GCCPUFraction * float64(fit.Procs) / p.GCPerSecond
	observedCPU := target.Observed.GCCPUFraction * float64(target.Procs) / target.Observed.GCPerSecond
	t.Logf("GOGC=%d: %.2f GC/s predicted, %.2f observed; %.2f MiB per cycle predicted, %.2f observed; %.2f ms GC CPU per cycle predicted, %.2f observed",
		target.GOGC, p.GCPerSecond, target.Observed.GCPerSecond, predictedPerCycle/mib, observedPerCycle/mib, predictedCPU*1e3, observedCPU*1e3)
	// The tolerance for GC frequency, ±20 %; per-cycle sizes and
	// CPU likewise (the heaps are small: see the MiB note above; the
	// allocation rates of two runs differ by a few percent).
	whatiftest.Within(t, "gc/s", p.GCPerSecond, target.Observed.GCPerSecond, 0.2)
	whatiftest.Within(t, "bytes per cycle", predictedPerCycle, observedPerCycle, 0.25)
	whatiftest.Within(t, "gc cpu per cycle", predictedCPU, observedCPU, 0.5)
}
