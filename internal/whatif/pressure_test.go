package whatif

import (
	"math"
	"math/rand/v2"
	"slices"
	"testing"
	"time"

	"github.com/gcwatch/gcwatch/internal/analyze"
	"github.com/gcwatch/gcwatch/internal/model"
)

// pressureRequests makes n requests: 1 in 5 meets a cycle; cycle 0 is
// calm (pressure calm, its requests 1–2 ms), cycle 1 is pressed (pressure
// pressed, its requests 20–40 ms); the rest take 0.1–0.5 ms. Both cycles
// mark for 100 ms.
func pressureRequests(r *rand.Rand, n int, calm, pressed float64) (d []time.Duration, met []bool, g []time.Duration, cyc []int32, loads []CycleLoad) {
	for i := range n {
		ms := func(lo, hi int) time.Duration {
			return time.Duration(lo*1000+r.IntN((hi-lo)*1000)) * time.Microsecond
		}
		switch {
		case i%10 == 0:
			d, met, g, cyc = append(d, ms(1, 2)), append(met, true), append(g, 500*time.Microsecond), append(cyc, 0)
		case i%10 == 5:
			d, met, g, cyc = append(d, ms(20, 40)), append(met, true), append(g, 5*time.Millisecond), append(cyc, 1)
		default:
			d = append(d, time.Duration(100+r.IntN(400))*time.Microsecond)
			met, g, cyc = append(met, false), append(g, 0), append(cyc, -1)
		}
	}
	loads = []CycleLoad{{Pressure: calm, MarkWall: 100 * time.Millisecond}, {Pressure: pressed, MarkWall: 100 * time.Millisecond}}
	return d, met, g, cyc, loads
}

func split(d []time.Duration, met []bool, cyc []int32, want int32) (out []time.Duration) {
	for i := range d {
		if met[i] && cyc[i] == want {
			out = append(out, d[i])
		}
	}
	return out
}

func notMet(d []time.Duration, met []bool) (out []time.Duration) {
	for i := range d {
		if !met[i] {
			out = append(out, d[i])
		}
	}
	return out
}

// TestPressureLevels: the requests that met the calm cycle and those that
// met the pressed one are two levels. At the observed pressure (sigma 1)
// the model is the observed p99; at half the pressure the pressed cycle
// is described by a level half way (pressure 0.3 → 0.15 between 0.1 and
// 0.3: three quarters calm, a quarter pressed); at a third or less, by the
// calm cycle's requests alone; above the pressed one, by the pressed one,
// a lower bound. Each is checked against the weighted sample walk.
func TestPressureLevels(t *testing.T) {
	r := rand.New(rand.NewPCG(11, 12))
	d, met, g, cyc, loads := pressureRequests(r, 4000, 0.1, 0.3)
	m, err := NewPressureLatencyModel(d, met, g, cyc, loads, 0.2)
	if err != nil {
		t.Fatal(err)
	}
	if n := len(m.mix.levels); n != 2 {
		t.Fatalf("%d levels, want 2 (calm and pressed)", n)
	}
	clean, calm, pressed := notMet(d, met), split(d, met, cyc, 0), split(d, met, cyc, 1)
	if got, _ := m.P99At(0.2, 1); got != analyze.NearestRank(sortedCopy(d), 0.99) {
		t.Errorf("sigma 1: %v, want the observed p99", got)
	}
	// weighted builds the met sample with calm requests weighing wc each
	// (per request of their level) and pressed ones wp.
	walk := func(share float64, calmW, pressedW float64) time.Duration {
		q := 0.2 * share / 0.2
		type w struct {
			d time.Duration
			w float64
		}
		var all []w
		for _, x := range clean {
			all = append(all, w{x, (1 - q) / float64(len(clean))})
		}
		for _, x := range calm {
			all = append(all, w{x, q * calmW / float64(len(calm))})
		}
		for _, x := range pressed {
			all = append(all, w{x, q * pressedW / float64(len(pressed))})
		}
		slices.SortStableFunc(all, func(a, b w) int { return int(a.d - b.d) })
		var sum float64
		for i, x := range all {
			sum += x.w
			if sum >= 0.99-1e-9 && (i+1 == len(all) || all[i+1].d != x.d) {
				return x.d
			}
		}
		return all[len(all)-1].d
	}
	half := 0.5 // each level's share of the met requests
	for _, tc := range []struct {
		sigma, share    float64
		calmW, pressedW float64
		bound           Bound
		description     string
	}{
		{0.5, 0.2, half + half*0.75, half * 0.25, BoundNone, "half the pressure"},
		{1.0 / 3, 0.2, 1, 0, BoundNone, "a third: all calm"},
		{0.1, 0.1, 1, 0, BoundNone, "below the calmest: the calmest stands in"},
		{2, 0.3, half * 0.5, half + half*0.5, BoundLower, "twice the pressure: the calm cycle half way, the pressed one above"},
	} {
		got, b := m.P99At(tc.share, tc.sigma)
		if want := walk(tc.share, tc.calmW, tc.pressedW); got != want || b != tc.bound {
			t.Errorf("%s: p99 %v (%q), want %v (%q)", tc.description, got, b, want, tc.bound)
		}
	}
	if p, b := m.WithoutGC(); p != analyze.NearestRank(sortedCopy(clean), 0.99) || b != BoundNone {
		t.Errorf("without GC: %v (%q), want the clean requests' p99 %v", p, b, analyze.NearestRank(sortedCopy(clean), 0.99))
	}
}

// TestPressureLevelsPooled: when the more pressed cycle's requests cost
// no more for their mark time, the two are one level and the pressure
// changes nothing: a burst of pressure alone is no evidence.
func TestPressureLevelsPooled(t *testing.T) {
	r := rand.New(rand.NewPCG(13, 14))
	d, met, g, cyc, loads := pressureRequests(r, 4000, 0.1, 0.3)
	// The pressed cycle marked 20 times as long: per mark time its
	// requests cost less than the calm one's.
	loads[1].MarkWall = 2 * time.Second
	m, err := NewPressureLatencyModel(d, met, g, cyc, loads, 0.2)
	if err != nil {
		t.Fatal(err)
	}
	if n := len(m.mix.levels); n != 1 {
		t.Fatalf("%d levels, want the two pooled", n)
	}
	for _, sigma := range []float64{0.2, 0.5, 1} {
		if got, want := p99Of(m, 0.2), must(m.P99At(0.2, sigma)); got != want {
			t.Errorf("sigma %v: %v, want %v (pressure changes nothing)", sigma, want, got)
		}
	}
}

func must(d time.Duration, _ Bound) time.Duration { return d }

// TestPressureWithoutRunway: every observed cycle ran out of runway; a
// calmer setting has nothing to be described by, so its p99 keeps the
// observed requests and says it is an upper bound. With too few clean
// requests, so is the p99 without the GC.
func TestPressureWithoutRunway(t *testing.T) {
	r := rand.New(rand.NewPCG(15, 16))
	d, met, g, cyc, loads := pressureRequests(r, 4000, math.Inf(1), math.Inf(1))
	m, err := NewPressureLatencyModel(d, met, g, cyc, loads, 0.2)
	if err != nil {
		t.Fatal(err)
	}
	if _, b := m.P99At(0.1, 0); b != BoundUpper {
		t.Errorf("a calmer setting: bound %q, want upper", b)
	}
	if _, b := m.P99At(0.2, 1); b != BoundNone {
		t.Errorf("the observed setting: bound %q, want none", b)
	}
	for i := range met {
		met[i], cyc[i] = true, 0
	}
	m, err = NewPressureLatencyModel(d, met, g, cyc, loads, 0.9)
	if err != nil {
		t.Fatal(err)
	}
	if _, b := m.WithoutGC(); b != BoundUpper {
		t.Errorf("without GC and no clean request: bound %q, want upper", b)
	}
}

// TestCycleLoads: a cycle's pressure is its heap's growth while marking
// over the runway from the previous marked heap to its goal.
func TestCycleLoads(t *testing.T) {
	c := func(n int, h0, h1, h2, goal int64, partial bool) model.Cycle {
		return model.Cycle{N: n, Start: model.Time(n) * 1e9, End: model.Time(n)*1e9 + 5e7, HeapStart: h0, HeapEnd: h1, HeapLive: h2, HeapGoal: goal, Partial: partial}
	}
	run := &model.Run{Cycles: []model.Cycle{
		c(1, -1, 110, 100, 150, true),
		c(2, 140, 160, 100, 150, false), // 20 over 150−100
		c(3, 140, 150, 120, 100, false), // goal under the marked heap: no runway
		c(5, 140, 150, 100, 200, false), // its predecessor is missing
	}}
	loads := CycleLoads(run)
	want := []float64{math.NaN(), 0.4, math.Inf(1), math.NaN()}
	for i, l := range loads {
		if !(l.Pressure == want[i] || math.IsNaN(l.Pressure) && math.IsNaN(want[i])) || l.MarkWall != 50*time.Millisecond {
			t.Errorf("cycle %d: %+v, want pressure %v over 50ms", i, l, want[i])
		}
	}
}

// TestLiveHeapAt: what the program allocates while marking is marked; a
// lower rate marks less of it.
func TestLiveHeapAt(t *testing.T) {
	f := Fit{LiveHeap: 400 << 20, MarkedWhileMarking: 40 << 20}
	for _, tc := range []struct {
		k    float64
		want int64
	}{{1, 400 << 20}, {0.5, 380 << 20}, {0.25, 370 << 20}, {0, 360 << 20}} {
		if got := f.LiveHeapAt(tc.k); got != tc.want {
			t.Errorf("at %v: %d, want %d", tc.k, got, tc.want)
		}
	}
}
