package advice

import (
	"math"
	"math/rand/v2"
	"slices"
	"testing"
	"time"
)

// slowP99 computes the mixture's p99 the obvious way: every request's
// possible latencies with their probabilities, then, for each candidate
// latency, the expected number of requests at or below it.
func slowP99(durations, gcTimes []time.Duration, observed, share float64) time.Duration {
	type outcome struct {
		latency time.Duration
		prob    float64
	}
	var delays []time.Duration
	for i := range durations {
		if gcTimes[i] > 0 {
			delays = append(delays, gcTimes[i])
		}
	}
	slices.Sort(delays)
	k := min(len(delays), maxDelayQuantiles)
	var reps []time.Duration
	for j := range k {
		reps = append(reps, delays[(2*j+1)*len(delays)/(2*k)])
	}
	perRequest := make([][]outcome, len(durations))
	for i, d := range durations {
		g := gcTimes[i]
		switch {
		case g > 0 && share <= observed:
			keep := share / observed
			perRequest[i] = []outcome{{d, keep}, {d - g, 1 - keep}}
		case g > 0:
			perRequest[i] = []outcome{{d, 1}}
		case share <= observed:
			perRequest[i] = []outcome{{d, 1}}
		default:
			hit := (share - observed) / (1 - observed)
			perRequest[i] = []outcome{{d, 1 - hit}}
			for _, r := range reps {
				perRequest[i] = append(perRequest[i], outcome{d + r, hit / float64(k)})
			}
		}
	}
	var candidates []time.Duration
	for _, os := range perRequest {
		for _, o := range os {
			candidates = append(candidates, o.latency)
		}
	}
	slices.Sort(candidates)
	for _, c := range candidates {
		var mass float64
		for _, os := range perRequest {
			for _, o := range os {
				if o.latency <= c {
					mass += o.prob
				}
			}
		}
		if mass >= 0.99*float64(len(durations))-1e-9 {
			return c
		}
	}
	return candidates[len(candidates)-1]
}

func nearestRankP99(ds []time.Duration) time.Duration {
	s := slices.Clone(ds)
	slices.Sort(s)
	rank := int(math.Ceil(0.99*float64(len(s)) - 1e-9))
	return s[max(rank, 1)-1]
}

func randomRequests(rng *rand.Rand, n int, metShare float64) (durations, gcTimes []time.Duration) {
	for range n {
		d := time.Duration(rng.ExpFloat64() * 2e6)
		var g time.Duration
		if rng.Float64() < metShare {
			g = time.Duration(rng.ExpFloat64() * 5e6)
			d += g
		}
		durations = append(durations, d)
		gcTimes = append(gcTimes, g)
	}
	return durations, gcTimes
}

func TestLatencyMatchesSlowMixture(t *testing.T) {
	rng := rand.New(rand.NewPCG(9, 9))
	for trial := range 12 {
		n := 50 + rng.IntN(150)
		durations, gcTimes := randomRequests(rng, n, 0.05+0.3*rng.Float64())
		observed := 0.05 + 0.5*rng.Float64()
		m, err := NewLatencyModel(durations, gcTimes, observed)
		if err != nil {
			t.Fatal(err)
		}
		for _, share := range []float64{0, observed / 3, observed, (1 + observed) / 2, 1} {
			got, want := m.P99(share), slowP99(durations, gcTimes, observed, share)
			if got != want {
				t.Errorf("trial %d, share %.3f of observed %.3f: p99 %v, slow %v", trial, share, observed, got, want)
			}
		}
	}
}

func TestLatencyEnds(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	durations, gcTimes := randomRequests(rng, 1000, 0.1)
	m, err := NewLatencyModel(durations, gcTimes, 0.2)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := m.P99(0.2), nearestRankP99(durations); got != want {
		t.Errorf("at the observed share: %v, want the observed p99 %v", got, want)
	}
	bases := make([]time.Duration, len(durations))
	for i := range durations {
		bases[i] = durations[i] - gcTimes[i]
	}
	if got, want := m.P99(0), nearestRankP99(bases); got != want {
		t.Errorf("with no GC: %v, want the p99 of the bases %v", got, want)
	}
	// More GC never lowers the p99, less never raises it.
	prev := time.Duration(0)
	for s := 0.0; s <= 1; s += 0.05 {
		p := m.P99(s)
		if p < prev {
			t.Errorf("p99 fell from %v to %v as the GC share rose to %.2f", prev, p, s)
		}
		prev = p
	}
	if m.Requests() != 1000 || m.MetGC() == 0 {
		t.Errorf("requests %d, met %d", m.Requests(), m.MetGC())
	}
}

func TestLatencyHandExample(t *testing.T) {
	// 100 requests of 1 ms; the two that met the GC took 21 ms (20 ms of
	// GC). The p99 is the 99th smallest: 21 ms.
	durations := make([]time.Duration, 100)
	gcTimes := make([]time.Duration, 100)
	for i := range durations {
		durations[i] = time.Millisecond
	}
	durations[0], gcTimes[0] = 21*time.Millisecond, 20*time.Millisecond
	durations[1], gcTimes[1] = 21*time.Millisecond, 20*time.Millisecond
	m, err := NewLatencyModel(durations, gcTimes, 0.1)
	if err != nil {
		t.Fatal(err)
	}
	if got := m.P99(0.1); got != 21*time.Millisecond {
		t.Errorf("observed: %v, want 21ms", got)
	}
	// Half the GC activity: each of the two keeps its 20 ms with
	// probability ½: expected mass at 1 ms is 98 + 1 = 99 ≥ 99 → 1 ms.
	if got := m.P99(0.05); got != time.Millisecond {
		t.Errorf("half the GC: %v, want 1ms", got)
	}
	// At 0.6 of it: mass at 1 ms is 98 + 0.8 = 98.8 < 99 → 21 ms.
	if got := m.P99(0.06); got != 21*time.Millisecond {
		t.Errorf("0.6 of the GC: %v, want 21ms", got)
	}
}

func TestLatencyErrors(t *testing.T) {
	ms := []time.Duration{time.Millisecond}
	for _, tc := range []struct {
		d, g   []time.Duration
		active float64
	}{
		{ms, nil, 0.1},
		{nil, nil, 0.1},
		{ms, ms, -0.1},
		{ms, ms, math.NaN()},
		{[]time.Duration{-1}, []time.Duration{0}, 0.1},
	} {
		if _, err := NewLatencyModel(tc.d, tc.g, tc.active); err == nil {
			t.Errorf("NewLatencyModel(%v, %v, %v): no error", tc.d, tc.g, tc.active)
		}
	}
	// GC times outside [0, duration] are clamped, not errors.
	m, err := NewLatencyModel([]time.Duration{time.Millisecond}, []time.Duration{time.Second}, 0.5)
	if err != nil || m.P99(0) != 0 {
		t.Errorf("clamped GC time: p99 without GC %v, err %v; want 0", m.P99(0), err)
	}
}
