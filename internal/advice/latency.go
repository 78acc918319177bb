package advice

import (
	"cmp"
	"errors"
	"fmt"
	"math"
	"slices"
	"time"
)

// LatencyModel predicts the p99 latency when the GC is active a different
// share of the time than it was while the requests were observed.
//
// Each observed request i took d_i, of which g_i was GC-attributable (STW
// overlap, own assists, waiting while GC workers held Ps, sweep); its base
// is b_i = d_i − g_i. The model assumes a request's chance of meeting the
// GC is proportional to the share of time a cycle is in progress, and that
// what meeting it costs does not change with the settings (the mark phase
// depends on the live heap, not on GOGC). With observed share m and
// predicted share m':
//
//   - m' ≤ m: each request that met the GC still meets it with probability
//     m'/m (latency d_i), else it takes b_i; the others keep d_i.
//   - m' > m: requests that met the GC keep d_i; each of the others meets it
//     with probability (m'−m)/(1−m), the share of the formerly GC-free time
//     that turns GC-active, and then pays a GC time drawn from the observed
//     g_i of the requests that met it (represented by up to 32 quantiles).
//
// The p99 is the nearest-rank 99th percentile of that mixture: the smallest
// latency with at least 99 % of the requests' probability mass at or below
// it. At m' = m it is the observed nearest-rank p99.
type LatencyModel struct {
	observedActive float64
	n              int
	met            int
	// fewer and more are the mixture's atoms for m' ≤ m and m' > m,
	// sorted by latency; only their weights depend on m'.
	fewer, more []atom
	delays      int
	// mix, when set, replaces the per-request model (NewMixtureLatencyModel).
	mix *mixture
}

// atom is one possible latency of one request in the mixture.
type atom struct {
	latency time.Duration
	kind    atomKind
}

type atomKind uint8

const (
	atomCertain atomKind = iota // weight 1
	atomKeep                    // a request keeps its GC time: m'/m
	atomDrop                    // a request loses its GC time: 1 − m'/m
	atomClean                   // a request stays clear of the GC: 1 − e
	atomHit                     // a request meets the GC: e / delays
)

// maxDelayQuantiles bounds the GC times a newly hit request may draw from,
// so that the model stays linear in the number of requests.
const maxDelayQuantiles = 32

// NewLatencyModel builds the model from each request's duration and its
// GC-attributable time (same order and length), and the share of the
// observed window during which a GC cycle was in progress (see
// Fit.Observed.MarkActiveFraction). GC times are clamped to [0, duration].
func NewLatencyModel(durations, gcTimes []time.Duration, observedMarkActive float64) (*LatencyModel, error) {
	if len(durations) != len(gcTimes) {
		return nil, fmt.Errorf("latency model: %d durations but %d gc times", len(durations), len(gcTimes))
	}
	if len(durations) == 0 {
		return nil, errors.New("latency model: no requests")
	}
	if !(observedMarkActive >= 0 && observedMarkActive <= 1) {
		return nil, fmt.Errorf("latency model: observed gc-active share %v is not in [0, 1]", observedMarkActive)
	}
	m := &LatencyModel{observedActive: observedMarkActive, n: len(durations)}
	var metGC []time.Duration
	for i, d := range durations {
		if d < 0 {
			return nil, fmt.Errorf("latency model: request %d has negative duration %v", i, d)
		}
		g := min(max(gcTimes[i], 0), d)
		if g > 0 {
			metGC = append(metGC, g)
			m.fewer = append(m.fewer, atom{d, atomKeep}, atom{d - g, atomDrop})
			m.more = append(m.more, atom{d, atomCertain})
		} else {
			m.fewer = append(m.fewer, atom{d, atomCertain})
		}
	}
	m.met = len(metGC)
	slices.Sort(metGC)
	m.delays = min(len(metGC), maxDelayQuantiles)
	for i, d := range durations {
		if min(max(gcTimes[i], 0), d) > 0 {
			continue
		}
		m.more = append(m.more, atom{d, atomClean})
		for k := range m.delays {
			// The middle of the k-th of m.delays equal groups.
			q := metGC[(2*k+1)*len(metGC)/(2*m.delays)]
			m.more = append(m.more, atom{d + q, atomHit})
		}
	}
	byLatency := func(a, b atom) int { return cmp.Compare(a.latency, b.latency) }
	slices.SortFunc(m.fewer, byLatency)
	slices.SortFunc(m.more, byLatency)
	return m, nil
}

// Requests is the number of requests the model was built from; MetGC how
// many of them had GC-attributable time.
func (m *LatencyModel) Requests() int { return m.n }
func (m *LatencyModel) MetGC() int    { return m.met }

// P99 is the predicted 99th percentile latency when a GC cycle is in
// progress the given share of the time, its cycles pressing the mutator
// as the observed ones did.
func (m *LatencyModel) P99(share float64) time.Duration {
	p, _ := m.P99At(share, 1)
	return p
}

// P99At is P99 with the cycles' mark pressure scaled by sigma (see
// Prediction.MarkPressure; NaN counts as 1), and whether the figure is a
// bound. Only the mixture model (NewPressureLatencyModel) weighs pressure;
// the per-request model ignores sigma.
func (m *LatencyModel) P99At(share, sigma float64) (time.Duration, Bound) {
	share = min(max(share, 0), 1)
	if m.mix != nil {
		return m.mix.p99(m.observedActive, share, sigma)
	}
	return m.perRequestP99(share), BoundNone
}

// WithoutGC is the predicted p99 with no GC cycle at all, and whether it is
// a bound (an upper one when too few requests stayed clear of the GC).
func (m *LatencyModel) WithoutGC() (time.Duration, Bound) {
	return m.P99At(0, 1)
}

// CleanRequests is how many requests the model saw clear of the GC (all of
// them less the met ones).
func (m *LatencyModel) CleanRequests() int { return m.n - m.met }

func (m *LatencyModel) perRequestP99(share float64) time.Duration {
	var w [atomHit + 1]float64
	w[atomCertain] = 1
	atoms := m.fewer
	switch {
	case m.met == 0 || m.observedActive == share:
		// No request met the GC (nothing to scale), or nothing changes.
		w[atomKeep] = 1
	case m.observedActive == 0:
		// Requests met the GC although no cycle was seen active: the
		// share cannot be scaled; only removing the GC is certain.
		w[atomKeep] = 1
		if share == 0 {
			w[atomKeep], w[atomDrop] = 0, 1
		}
	case share < m.observedActive:
		keep := share / m.observedActive
		w[atomKeep], w[atomDrop] = keep, 1-keep
	default:
		hit := 1.0
		if m.observedActive < 1 {
			hit = (share - m.observedActive) / (1 - m.observedActive)
		}
		atoms = m.more
		w[atomClean], w[atomHit] = 1-hit, hit/float64(m.delays)
	}
	return weightedRank(atoms, w, 0.99*float64(m.n))
}

// weightedRank returns the smallest latency whose cumulative weight reaches
// target.
func weightedRank(atoms []atom, w [atomHit + 1]float64, target float64) time.Duration {
	var sum float64
	for _, a := range atoms {
		sum += w[a.kind]
		// The tolerance keeps float rounding from pushing the rank one
		// request up, as in analyze.NearestRank.
		if sum >= target-1e-9*math.Max(1, target) {
			return a.latency
		}
	}
	return atoms[len(atoms)-1].latency
}
