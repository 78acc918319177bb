package whatif

import (
	"encoding/json"
	"math"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/gcwatch/gcwatch/internal/whatif/whatiftest"
)

// handFit is a fit with round numbers: 100 MiB live, no roots, 100 MiB/s
// allocated, 100 ms of GC CPU and 50 ms of wall per cycle, 4 Ps, no idle
// workers, no overshoot.
func handFit() Fit {
	return Fit{
		AllocRate: 100 << 20, LiveHeap: 100 << 20, NonHeap: 10 << 20,
		MarkCPU:   Linear{PerByte: 100e6 / (100 << 20)},
		MarkWall:  Linear{PerByte: 50e6 / (100 << 20)},
		Overshoot: 1, Procs: 4, GOGC: 100, MemoryLimit: NoLimit,
	}
}

func TestPredictGOGC(t *testing.T) {
	f := handFit()
	for _, tc := range []struct {
		gogc            int
		goalMiB, perSec float64
		cpu, active     float64
	}{
		// goal = L + L·GOGC/100; runway = goal − L; cycles/s = A/runway;
		// cpu = cycles/s × 0.1 s / 4; active = cycles/s × 0.05 s.
		{100, 200, 1, 0.025, 0.05},
		{200, 300, 0.5, 0.0125, 0.025},
		{50, 150, 2, 0.05, 0.1},
		{25, 125, 4, 0.1, 0.2},
		{800, 900, 0.125, 0.003125, 0.00625},
	} {
		p := Predict(f, Settings{GOGC: tc.gogc, MemoryLimit: NoLimit}, nil)
		whatiftest.Within(t, "goal", float64(p.Goal), tc.goalMiB*mib, 1e-9)
		whatiftest.Within(t, "peak", float64(p.PeakHeap), tc.goalMiB*mib, 1e-9)
		whatiftest.Within(t, "peak memory", float64(p.PeakMemory), (tc.goalMiB+10)*mib, 1e-9)
		whatiftest.Within(t, "gc/s", p.GCPerSecond, tc.perSec, 1e-9)
		whatiftest.Within(t, "gc cpu", p.GCCPUFraction, tc.cpu, 1e-9)
		whatiftest.Within(t, "active", p.MarkActiveFraction, tc.active, 1e-9)
		if p.LimitBinds || p.LimiterEngaged || p.BackToBack || p.Unbounded || p.HeapMinimum || p.HasP99 {
			t.Errorf("GOGC=%d: unexpected flags %+v", tc.gogc, p)
		}
	}
}

func TestPredictRootsIdleOvershoot(t *testing.T) {
	f := handFit()
	f.Stacks, f.Globals = 30<<20, 20<<20
	f.IdleShare = 0.25
	f.Overshoot = 1.1
	f.MarkCPU = Linear{Fixed: 10e6, PerByte: 1e6 / (1 << 20)} // 10 ms + 1 ms per MiB
	p := Predict(f, Settings{GOGC: 100, MemoryLimit: NoLimit}, nil)
	// goal = 100 + 150 = 250 MiB; peak 275; runway 175 MiB; 100/175 cycles/s;
	// CPU per cycle (10 + 150 ms) × 0.75 = 120 ms.
	whatiftest.Within(t, "goal", float64(p.Goal), 250*mib, 1e-9)
	whatiftest.Within(t, "peak", float64(p.PeakHeap), 275*mib, 1e-9)
	whatiftest.Within(t, "gc/s", p.GCPerSecond, 100.0/175, 1e-9)
	whatiftest.Within(t, "gc cpu", p.GCCPUFraction, 100.0/175*0.120/4, 1e-9)
}

func TestPredictHeapMinimum(t *testing.T) {
	f := handFit()
	f.LiveHeap = 1 << 20
	f.AllocRate = 30 << 20
	// GOGC=100: L + L = 2 MiB, sweeper runway L + 1 MiB = 2 MiB, minimum
	// 4 MiB → goal 4 MiB, runway 3 MiB, 10 cycles/s.
	p := Predict(f, Settings{GOGC: 100, MemoryLimit: NoLimit}, nil)
	whatiftest.Within(t, "goal", float64(p.Goal), 4*mib, 1e-9)
	whatiftest.Within(t, "gc/s", p.GCPerSecond, 10, 1e-9)
	if !p.HeapMinimum {
		t.Error("4 MiB minimum not flagged")
	}
	// GOGC=50: the minimum scales to 2 MiB, tying the sweeper's runway.
	p = Predict(f, Settings{GOGC: 50, MemoryLimit: NoLimit}, nil)
	whatiftest.Within(t, "goal at GOGC=50", float64(p.Goal), 2*mib, 1e-9)
	if p.HeapMinimum {
		t.Error("heap minimum flagged where it only ties the sweeper's runway")
	}
	// GOGC=400: minimum 16 MiB, formula 5 MiB.
	p = Predict(f, Settings{GOGC: 400, MemoryLimit: NoLimit}, nil)
	whatiftest.Within(t, "goal at GOGC=400", float64(p.Goal), 16*mib, 1e-9)
	if !p.HeapMinimum {
		t.Error("16 MiB minimum at GOGC=400 not flagged")
	}
}

func TestPredictOffAndLimit(t *testing.T) {
	f := handFit()
	p := Predict(f, Settings{GOGC: Off, MemoryLimit: NoLimit}, nil)
	if !p.Unbounded || p.GCPerSecond != 0 || p.GCCPUFraction != 0 || p.PeakHeap != -1 {
		t.Errorf("GOGC=off, no limit: %+v, want unbounded with no GC", p)
	}
	// GOGC=off, limit 160 MiB, 10 MiB outside the heap: room 150 MiB,
	// headroom 3 % = 4.5 MiB → goal 145.5 MiB, runway 45.5 MiB.
	p = Predict(f, Settings{GOGC: Off, MemoryLimit: 160 << 20}, nil)
	whatiftest.Within(t, "goal", float64(p.Goal), 145.5*mib, 1e-6)
	whatiftest.Within(t, "gc/s", p.GCPerSecond, 100/45.5, 1e-6)
	if !p.LimitBinds || p.OverLimit || p.LimiterEngaged {
		t.Errorf("limit 160 MiB: flags %+v", p)
	}
	// GOGC=100 wants 200 MiB: a 300 MiB limit does not bind.
	p = Predict(f, Settings{GOGC: 100, MemoryLimit: 300 << 20}, nil)
	if p.LimitBinds {
		t.Error("a 300 MiB limit binds under a 200 MiB GOGC goal")
	}
	// With GOGC on, even no allocation runs a cycle every two minutes.
	f.AllocRate = 0
	p = Predict(f, Settings{GOGC: 100, MemoryLimit: NoLimit}, nil)
	whatiftest.Within(t, "forced period", p.GCPerSecond, 1.0/120, 1e-9)
}

func TestPredictLimiter(t *testing.T) {
	f := handFit()
	f.AllocRate = 200 << 20
	f.NonHeap = 0
	// Limit 105 MiB: room 105, headroom 3.15 → goal 101.85 MiB, runway
	// 1.85 MiB: 108 cycles/s would take 270 % of the CPU. The limiter
	// holds it at 50 %: 0.5 × 4 Ps / 0.1 s = 20 cycles/s, and the heap
	// grows 200/20 = 10 MiB past the live heap each cycle: 110 MiB.
	p := Predict(f, Settings{GOGC: 100, MemoryLimit: 105 << 20}, nil)
	if !p.LimiterEngaged || !p.BackToBack || !p.OverLimit || !p.LimitBinds {
		t.Errorf("flags %+v: want limiter, back to back, over limit, limit binds", p)
	}
	whatiftest.Within(t, "gc cpu", p.GCCPUFraction, 0.5, 1e-9)
	whatiftest.Within(t, "gc/s", p.GCPerSecond, 20, 1e-9)
	whatiftest.Within(t, "peak", float64(p.PeakHeap), 110*mib, 1e-9)
	whatiftest.Within(t, "active", p.MarkActiveFraction, 1, 0)

	// A limit below what the runtime holds outside the heap: the goal is
	// the live heap itself and the limiter runs the show.
	f.NonHeap = 200 << 20
	p = Predict(f, Settings{GOGC: Off, MemoryLimit: 150 << 20}, nil)
	whatiftest.Within(t, "goal", float64(p.Goal), 100*mib, 1e-9)
	if !p.LimiterEngaged {
		t.Error("limit below non-heap memory: limiter not engaged")
	}

	// Without a limit, tiny GOGC can also hit the limiter.
	f = handFit()
	f.AllocRate = 4 << 30
	p = Predict(f, Settings{GOGC: 1, MemoryLimit: NoLimit}, nil)
	if !p.LimiterEngaged || p.LimitBinds {
		t.Errorf("GOGC=1 at 4 GiB/s: %+v, want the limiter and no limit", p)
	}
}

func TestSettingsString(t *testing.T) {
	for s, want := range map[Settings]string{
		{GOGC: 100, MemoryLimit: NoLimit}: "GOGC=100 GOMEMLIMIT=off",
		{GOGC: Off, MemoryLimit: 1 << 30}: "GOGC=off GOMEMLIMIT=1024MiB",
		{GOGC: 50, MemoryLimit: 1000}:     "GOGC=50 GOMEMLIMIT=1000",
	} {
		if got := s.String(); got != want {
			t.Errorf("%#v: %q, want %q", s, got, want)
		}
	}
}

func TestWithForced(t *testing.T) {
	if got := withForced(3, 0); got != 3 {
		t.Errorf("no forced: %g", got)
	}
	if got := withForced(0, 2); got != 2 {
		t.Errorf("no paced: %g", got)
	}
	// Rare forced cycles add about their rate; frequent ones dominate.
	whatiftest.Within(t, "rare forced", withForced(10, 0.01), 10.005, 1e-4)
	whatiftest.Within(t, "frequent forced", withForced(0.01, 10), 10, 1e-9)
	// Independent check by simulation of the renewal process: a cycle
	// every 1/paced seconds unless a forced one comes first.
	paced, forced := 2.0, 1.5
	whatiftest.Within(t, "forced 1.5/s, paced 2/s", withForced(paced, forced), simulateForced(paced, forced), 0.01)
}

// simulateForced counts cycles in a long deterministic pseudo-random run.
func simulateForced(paced, forced float64) float64 {
	var t float64
	var n int
	x := uint64(88172645463325252)
	for n < 400000 {
		x ^= x << 13
		x ^= x >> 7
		x ^= x << 17
		u := (float64(x>>11) + 0.5) / (1 << 53)
		t += math.Min(1/paced, -math.Log(u)/forced)
		n++
	}
	return float64(n) / t
}

func TestGridRows(t *testing.T) {
	f := handFit()
	f.GOGC = 150
	f.MemoryLimit = 600 << 20
	budget := int64(1 << 30)
	preds := Grid(f, budget, nil)
	// Limits: 512, 716.8→716, 870.4→870, 972.8→972, 1024 MiB and the
	// observed 600 MiB, none below L + NonHeap = 110 MiB, plus none.
	wantLimits := []int64{NoLimit, 512 << 20, 600 << 20, 716 << 20, 870 << 20, 972 << 20, 1024 << 20}
	wantGOGC := []int{25, 50, 100, 150, 200, 400, 800, Off}
	if len(preds) != len(wantLimits)*len(wantGOGC) {
		t.Fatalf("%d rows, want %d", len(preds), len(wantLimits)*len(wantGOGC))
	}
	for i, p := range preds {
		g, l := wantGOGC[i/len(wantLimits)], wantLimits[i%len(wantLimits)]
		if p.GOGC != g || p.MemoryLimit != l {
			t.Errorf("row %d: %v, want GOGC %d limit %d", i, p.Settings, g, l)
		}
	}
	// A budget that leaves only some limits above the live heap.
	small := Grid(handFit(), 200<<20, nil)
	var limits []int64
	for _, p := range small[:len(small)/7] {
		limits = append(limits, p.MemoryLimit)
	}
	// 50 % of 200 MiB is below the 110 MiB of live heap and non-heap memory.
	if want := []int64{NoLimit, 140 << 20, 170 << 20, 190 << 20, 200 << 20}; !slices.Equal(limits, want) {
		t.Errorf("limits %v, want %v", limits, want)
	}
	if g := Grid(handFit(), -1, nil); len(g) != 7 {
		t.Errorf("no budget: %d rows, want 7 (GOGC values without limits)", len(g))
	}
}

func TestWhatIfRowJSON(t *testing.T) {
	f := handFit()
	lat, err := NewMixtureLatencyModel([]time.Duration{time.Millisecond, 3 * time.Millisecond}, []bool{false, true}, []time.Duration{0, time.Millisecond}, 0.05)
	if err != nil {
		t.Fatal(err)
	}
	rows := Rows(Grid(f, 1<<30, lat))
	b, err := json.Marshal(rows)
	if err != nil {
		t.Fatal(err)
	}
	var generic []map[string]any
	if err := json.Unmarshal(b, &generic); err != nil {
		t.Fatal(err)
	}
	for _, key := range []string{"gogc", "memlimit_bytes", "gc_per_second", "gc_cpu_fraction", "peak_heap_bytes", "p99_ms"} {
		if _, ok := generic[0][key]; !ok {
			t.Errorf("row lacks %q: %s", key, b[:200])
		}
	}
	first, last := generic[0], generic[len(generic)-1]
	if first["gogc"] != 25.0 || first["memlimit_bytes"] != "off" {
		t.Errorf("first row gogc %v limit %v, want 25 and \"off\"", first["gogc"], first["memlimit_bytes"])
	}
	if last["gogc"] != "off" || last["memlimit_bytes"] != float64(1<<30) {
		t.Errorf("last row gogc %v limit %v, want \"off\" and 1 GiB", last["gogc"], last["memlimit_bytes"])
	}
	var offNoLimit map[string]any
	for _, r := range generic {
		if r["gogc"] == "off" && r["memlimit_bytes"] == "off" {
			offNoLimit = r
		}
	}
	if offNoLimit == nil || offNoLimit["peak_heap_bytes"] != nil || offNoLimit["heap_unbounded"] != true {
		t.Errorf("GOGC=off without a limit: %v, want null peak and heap_unbounded", offNoLimit)
	}
	// The observed setting (GOGC=100, no limit) reproduces the observed
	// p99 of the two requests: 3 ms.
	for _, r := range generic {
		if r["gogc"] == 100.0 && r["memlimit_bytes"] == "off" && r["p99_ms"] != 3.0 {
			t.Errorf("observed setting p99_ms %v, want 3", r["p99_ms"])
		}
	}
	var back []Row
	if err := json.Unmarshal(b, &back); err != nil {
		t.Fatal(err)
	}
	if back[len(back)-1].GOGC != Off || back[0].GOGC != 25 {
		t.Errorf("gogc round trip: %v %v", back[0].GOGC, back[len(back)-1].GOGC)
	}
	if back[0].MemoryLimit != nil || back[len(back)-1].MemoryLimit == nil || *back[len(back)-1].MemoryLimit != 1<<30 {
		t.Errorf("memlimit round trip: %v %v", back[0].MemoryLimit, back[len(back)-1].MemoryLimit)
	}
	var g GOGCValue
	if err := json.Unmarshal([]byte(`"on"`), &g); err == nil || !strings.Contains(err.Error(), "off") {
		t.Errorf("bad gogc: %v", err)
	}
}

func TestFitJSON(t *testing.T) {
	fit, err := FitRun(whatiftest.Run(whatiftest.Base(), 7), Known{})
	if err != nil {
		t.Fatal(err)
	}
	fit.Quality.CPUR2 = math.NaN()
	b, err := json.Marshal(fit)
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatal(err)
	}
	if m["gogc"] != 100.0 || m["memlimit_bytes"] != "off" || m["quality"].(map[string]any)["gc_cpu_r2"] != nil {
		t.Errorf("fit JSON: %s", b)
	}
	whatiftest.Within(t, "cpu fixed ms", m["gc_cpu_per_cycle_fixed_ms"].(float64), 2, 1e-3)
}

// TestPredictAtAllocRate checks PredictAt on the hand fit: cycles per
// second and GC CPU follow the allocation rate, the heap does not, and the
// observed assist share comes back at the observed settings.
func TestPredictAtAllocRate(t *testing.T) {
	f := handFit()
	f.AssistShare = 0.2
	full := PredictAt(f, f.Settings(), 1, nil)
	if full != Predict(f, f.Settings(), nil) {
		t.Errorf("PredictAt(…, 1, …) differs from Predict")
	}
	whatiftest.Within(t, "assist share at the observed settings", full.AssistShare, 0.2, 1e-9)
	q := PredictAt(f, f.Settings(), 0.25, nil)
	whatiftest.Within(t, "gc/s at a quarter", q.GCPerSecond, full.GCPerSecond/4, 1e-9)
	whatiftest.Within(t, "gc cpu at a quarter", q.GCCPUFraction, full.GCCPUFraction/4, 1e-9)
	if q.PeakHeap != full.PeakHeap || q.AllocRateFactor != 0.25 || q.AssistShare >= full.AssistShare {
		t.Errorf("quarter: peak %d (full %d), factor %v, assist %v (full %v)", q.PeakHeap, full.PeakHeap, q.AllocRateFactor, q.AssistShare, full.AssistShare)
	}
	f.AssistShare = math.NaN()
	if r := PredictAt(f, f.Settings(), 0.5, nil).Row(); r.AssistShare != nil || r.AllocRateFactor != 0.5 {
		t.Errorf("unknown assist share: row %+v, want null assist_share", r)
	}
}
