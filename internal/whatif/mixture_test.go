package whatif

import (
	"math/rand/v2"
	"slices"
	"testing"
	"time"

	"github.com/gcwatch/gcwatch/internal/analyze"
)

// slowMixtureP99 builds the weighted sample list and walks it: every clean
// latency weighs (1−q')/n_clean, every met one q'/n_met.
func slowMixtureP99(clean, met []time.Duration, q float64) time.Duration {
	type w struct {
		d time.Duration
		w float64
	}
	var all []w
	for _, d := range clean {
		all = append(all, w{d, (1 - q) / float64(len(clean))})
	}
	for _, d := range met {
		all = append(all, w{d, q / float64(len(met))})
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

func TestMixtureModel(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	for trial := 0; trial < 200; trial++ {
		n := 150 + r.IntN(2000)
		d := make([]time.Duration, n)
		met := make([]bool, n)
		g := make([]time.Duration, n)
		var clean, metD []time.Duration
		for i := range d {
			d[i] = time.Duration(1+r.IntN(1000)) * time.Microsecond
			if r.Float64() < 0.2 {
				met[i] = true
				d[i] += time.Duration(r.IntN(5000)) * time.Microsecond
				g[i] = d[i] / 3
				metD = append(metD, d[i])
			} else {
				clean = append(clean, d[i])
			}
		}
		observed := 0.05 + 0.5*r.Float64()
		m, err := NewMixtureLatencyModel(d, met, g, observed)
		if err != nil {
			t.Fatal(err)
		}
		// At the observed share the model gives back the observed p99.
		if got, want := p99Of(m, observed), analyze.NearestRank(sortedCopy(d), 0.99); got != want {
			t.Fatalf("trial %d: p99 at the observed share %v, observed %v", trial, got, want)
		}
		q := float64(len(metD)) / float64(n)
		prev := time.Duration(0)
		for _, share := range []float64{0, observed / 4, observed / 2, observed, observed * 1.5, 1} {
			qq := min(1, q*share/observed)
			if len(clean) < MinClean {
				continue // the bases stand in; covered below
			}
			got, want := p99Of(m, share), slowMixtureP99(clean, metD, qq)
			if got != want {
				t.Fatalf("trial %d share %v: p99 %v, reference %v", trial, share, got, want)
			}
			if got < prev {
				t.Fatalf("trial %d: p99 falls as the GC is active more (%v after %v)", trial, got, prev)
			}
			prev = got
		}
	}
}

func TestMixtureModelFewClean(t *testing.T) {
	// Every request met the GC: without it each would take its base.
	d := []time.Duration{10, 20, 30, 40}
	g := []time.Duration{5, 5, 5, 5}
	m, err := NewMixtureLatencyModel(d, []bool{true, true, true, true}, g, 0.5)
	if err != nil {
		t.Fatal(err)
	}
	if got := p99Of(m, 0); got != 35 {
		t.Errorf("p99 without GC %v, want 35", got)
	}
	if got := p99Of(m, 0.5); got != 40 {
		t.Errorf("p99 at the observed share %v, want 40", got)
	}
	if _, err := NewMixtureLatencyModel(d, []bool{true}, g, 0.5); err == nil {
		t.Errorf("mismatched lengths accepted")
	}
}

func TestMergeSorted(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 8))
	for _, n := range [][2]int{{0, 0}, {0, 3}, {4, 0}, {5, 5}, {100, 7}, {3000, 2500}} {
		a, b := make([]time.Duration, n[0]), make([]time.Duration, n[1])
		for i := range a {
			a[i] = time.Duration(rng.IntN(50))
		}
		for i := range b {
			b[i] = time.Duration(rng.IntN(50))
		}
		slices.Sort(a)
		slices.Sort(b)
		want := slices.Concat(a, b)
		slices.Sort(want)
		if got := mergeSorted(a, b); !slices.Equal(got, want) {
			t.Errorf("mergeSorted of %d and %d values is not their sorted union", n[0], n[1])
		}
	}
}

// p99Of is the model's p99 at the given share of time in a cycle, the
// cycles pressing the mutator as the observed ones did.
func p99Of(m *LatencyModel, share float64) time.Duration {
	p, _ := m.P99At(share, 1)
	return p
}

func sortedCopy(ds []time.Duration) []time.Duration {
	out := slices.Clone(ds)
	slices.Sort(out)
	return out
}
