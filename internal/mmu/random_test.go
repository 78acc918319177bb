package mmu

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/google/go-cmp/cmp"
	"time"

	"github.com/gcwatch/gcwatch/internal/model"
)

// call is one Set.
type call struct {
	t     model.Time
	procs int
	busy  [model.NumSources]float64
}

// randomSeries draws a series with the features that break naive code:
// gaps from a microsecond to a quarter second (so every default window has
// interesting positions), repeated times, procs changes, fractional and
// excessive busy, long full stops.
func randomSeries(rng *rand.Rand, n int) ([]call, model.Time) {
	t := model.Time(rng.Int64N(2e12) - 1e12) // an arbitrary clock origin
	procs := 1 + rng.IntN(8)
	calls := make([]call, 0, n)
	for range n {
		switch r := rng.IntN(10); {
		case r == 0:
			// same time: replaces the previous state
		case r < 5:
			t += model.Time(1 + rng.Int64N(int64(200*time.Microsecond)))
		case r < 8:
			t += model.Time(rng.Int64N(int64(20 * time.Millisecond)))
		default:
			t += model.Time(rng.Int64N(int64(250 * time.Millisecond)))
		}
		if rng.IntN(20) == 0 {
			procs = 1 + rng.IntN(8)
		}
		var busy [model.NumSources]float64
		if rng.IntN(8) == 0 {
			busy[model.SourceSTW] = float64(procs)
		} else {
			for s := model.SourceAssist; s < model.NumSources; s++ {
				switch rng.IntN(4) {
				case 0:
					busy[s] = float64(rng.IntN(procs + 2)) // may exceed procs
				case 1:
					busy[s] = rng.Float64() * float64(procs)
				}
			}
		}
		calls = append(calls, call{t, procs, busy})
	}
	end := t + model.Time(rng.Int64N(int64(50*time.Millisecond)))
	return calls, end
}

func feed(calls []call, end model.Time, opts Options) (*model.MMU, *refSeries) {
	b := NewBuilder(opts)
	ref := &refSeries{end: end}
	for _, c := range calls {
		b.Set(c.t, c.procs, c.busy)
		ref.set(c.t, c.procs, c.busy)
	}
	return b.Finish(end), ref
}

func TestRandomAgainstReference(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	windows := DefaultWindows()
	for iter := range 300 {
		calls, end := randomSeries(rng, 5+rng.IntN(120))
		got, ref := feed(calls, end, Options{Worst: 4})
		checkAgainstReference(t, iter, got, ref, windows)
		if t.Failed() {
			t.Logf("series %d: %d calls", iter, len(calls))
			return
		}
	}
}

// checkAgainstReference compares a curve with the reference's exact MMU for
// every window that fits, and checks the worst windows.
func checkAgainstReference(t *testing.T, iter int, got *model.MMU, ref *refSeries, windows []time.Duration) {
	t.Helper()
	i := 0
	for _, w := range windows {
		if !ref.fits(w) {
			continue
		}
		if i >= len(got.Points) {
			t.Fatalf("series %d: no point for window %v", iter, w)
		}
		p := got.Points[i]
		i++
		want := ref.mmu(w)
		if p.Window != w || !near(p.MMU, want[0]) {
			t.Errorf("series %d window %v: MMU %v, want %v", iter, w, p.MMU, want[0])
		}
		for s := range model.NumSources {
			if !near(p.BySource[s], want[1+s]) {
				t.Errorf("series %d window %v: %v MMU %v, want %v", iter, w, s, p.BySource[s], want[1+s])
			}
		}
		checkWorst(t, iter, p, ref)
	}
	if i != len(got.Points) {
		t.Errorf("series %d: %d points, want %d", iter, len(got.Points), i)
	}
}

// checkWorst checks that the worst windows are inside the series, disjoint,
// worst first, led by the MMU, and that each one's numbers are the
// reference's evaluation at its start.
func checkWorst(t *testing.T, iter int, p model.MMUPoint, ref *refSeries) {
	t.Helper()
	if len(p.Worst) == 0 {
		t.Errorf("series %d window %v: no worst windows", iter, p.Window)
		return
	}
	if !near(p.Worst[0].Utilization, p.MMU) {
		t.Errorf("series %d window %v: worst window %v is not the MMU %v", iter, p.Window, p.Worst[0].Utilization, p.MMU)
	}
	first, last := ref.states[0].t, ref.end.Add(-p.Window)
	for j, w := range p.Worst {
		if w.Start < first || w.Start > last {
			t.Errorf("series %d window %v: worst window at %d outside [%d, %d]", iter, p.Window, w.Start, first, last)
		}
		m := ref.mean(w.Start, p.Window)
		if !near(w.Utilization, m[0]) {
			t.Errorf("series %d window %v: worst at %d has utilisation %v, reference %v", iter, p.Window, w.Start, w.Utilization, m[0])
		}
		lostGC := 0.0
		for s := range model.NumSources {
			if !near(w.Lost[s], 1-m[1+s]) {
				t.Errorf("series %d window %v: worst at %d lost %v = %v, reference %v", iter, p.Window, w.Start, s, w.Lost[s], 1-m[1+s])
			}
			if s != model.SourceSweep {
				lostGC += w.Lost[s]
			}
		}
		// The total can only lose less than the sources add up to (clamping).
		if 1-w.Utilization > lostGC+1e-9 {
			t.Errorf("series %d window %v: worst at %d loses %v, more than its sources' %v", iter, p.Window, w.Start, 1-w.Utilization, lostGC)
		}
		for _, o := range p.Worst[:j] {
			if overlaps(o.Start, w.Start, p.Window) {
				t.Errorf("series %d window %v: worst windows at %d and %d overlap", iter, p.Window, o.Start, w.Start)
			}
			if o.Utilization > w.Utilization {
				t.Errorf("series %d window %v: worst windows not sorted: %v before %v", iter, p.Window, o.Utilization, w.Utilization)
			}
		}
	}
}

// The candidate positions are all there is: a fine scan over window starts
// (and the reference's prefix-integral mean agrees with its direct one)
// never finds a lower mean, and comes within the slope bound of the exact
// value (the windowed mean moves by at most 1/w per unit of time).
func TestReferenceAgainstGrid(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	const steps = 4000
	for iter := range 40 {
		calls, end := randomSeries(rng, 5+rng.IntN(40))
		_, ref := feed(calls, end, Options{})
		for _, w := range DefaultWindows() {
			if !ref.fits(w) {
				continue
			}
			exact := ref.mmu(w)[0]
			for range 20 {
				s := ref.states[0].t + model.Time(rng.Int64N(int64(end.Sub(ref.states[0].t)-w)+1))
				if direct, fast := ref.mean(s, w), ref.meanFast(s, w); !nearAll(direct[:], fast[:]) {
					t.Fatalf("series %d window %v at %d: direct mean %v, prefix mean %v", iter, w, s, direct, fast)
				}
			}
			grid := ref.gridMMU(w, steps)
			step := float64(end.Sub(ref.states[0].t)-w) / steps
			if grid < exact-1e-9 || grid > exact+step/float64(w)+1e-9 {
				t.Errorf("series %d window %v: grid minimum %v, exact %v, slope bound %v", iter, w, grid, exact, step/float64(w))
			}
		}
	}
}

func nearAll(a, b []float64) bool {
	for i := range a {
		if !near(a[i], b[i]) {
			return false
		}
	}
	return true
}

// Long traces must not lose precision to the running integrals: an hour of
// 1ms pauses every 100ms, spread over 10 windows that end at the far end.
func TestLongSeriesPrecision(t *testing.T) {
	b := NewBuilder(Options{Windows: []time.Duration{time.Millisecond, 2 * time.Millisecond, time.Second}})
	base := model.Time(math.MaxInt64 / 4)
	var t0 model.Time
	for t0 = 0; t0 < model.Time(time.Hour); t0 += 100 * ms {
		b.Set(base+t0, 3, busyOf())
		b.Set(base+t0+50*ms, 3, busyOf(model.SourceBackground, 1.0/3))
		b.Set(base+t0+51*ms, 3, busyOf())
	}
	got := b.Finish(base + t0)
	// 1ms at 1 − 1/9 inside every 100ms.
	want := []float64{1 - 1.0/9, 1 - 1.0/18, 1 - 10.0/9/1000}
	for i, p := range got.Points {
		if math.Abs(p.MMU-want[i]) > 1e-12 {
			t.Errorf("window %v: MMU %.17g, want %.17g", p.Window, p.MMU, want[i])
		}
	}
}

// Dense series like real ingest produces (a change every few µs), checked
// at the smaller windows where the reference stays quick.
func TestDenseAgainstReference(t *testing.T) {
	windows := DefaultWindows()[:6] // up to 5ms
	for iter := range 3 {
		rng := rand.New(rand.NewPCG(uint64(iter), 9))
		calls := gcLikeSeries(rng, model.Time(rng.Int64N(1e15)), 40*time.Millisecond)
		got, ref := feed(calls, calls[len(calls)-1].t+model.Time(rng.Int64N(int64(time.Millisecond))), Options{Windows: windows})
		checkAgainstReference(t, iter, got, ref, windows)
	}
}

// Pruning by the slope bound is exact: the curve, the per-source minima
// and the worst windows come out bit for bit the same without it.
func TestPruningChangesNothing(t *testing.T) {
	rng := rand.New(rand.NewPCG(10, 11))
	for iter := range 100 {
		var calls []call
		var end model.Time
		if iter%4 == 0 {
			calls = gcLikeSeries(rng, 0, 100*time.Millisecond)
			end = calls[len(calls)-1].t + 1
		} else {
			calls, end = randomSeries(rng, 5+rng.IntN(300))
		}
		pruned, exhaustive := NewBuilder(Options{Worst: 3}), NewBuilder(Options{Worst: 3})
		for i := range exhaustive.windows {
			exhaustive.windows[i].exhaustive = true
		}
		for _, c := range calls {
			pruned.Set(c.t, c.procs, c.busy)
			exhaustive.Set(c.t, c.procs, c.busy)
		}
		if diff := cmp.Diff(exhaustive.Finish(end), pruned.Finish(end)); diff != "" {
			t.Fatalf("series %d: pruning changed the curve (-exhaustive +pruned):\n%s", iter, diff)
		}
	}
}
