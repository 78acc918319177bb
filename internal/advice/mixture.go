package advice

import (
	"errors"
	"fmt"
	"math"
	"sort"
	"time"

	"github.com/gcwatch/gcwatch/internal/analyze"
)

// mixture is the two-population latency model. Requests are split into
// those that met a GC cycle (overlapped its pauses or its mark phase) and
// those that did not. Meeting a cycle costs more than the GC-attributable
// time of the request itself: requests queued behind a pause or slowed
// while workers mark wait in ways no per-request account can name. So the
// model does not subtract GC time; it keeps the two observed latency
// distributions whole and changes only how often requests meet a cycle.
// With observed share m of time in a cycle, fraction q of requests meeting
// one, and predicted share m', the fraction becomes q' = min(1, q·m'/m),
// and the latency distribution is (1−q')·F_clean + q'·F_met. Its
// nearest-rank p99 at m' = m is exactly the observed p99.
//
// When too few requests stayed clear of the GC to describe a clean
// distribution (fewer than minClean), each met request's own latency
// less its GC-attributable time stands in for it.
type mixture struct {
	clean, met []time.Duration // sorted
	all        []time.Duration // both, sorted: p99's candidates
	q          float64
}

// minClean is the fewest GC-free requests that describe the clean
// distribution: a hundred puts ten above its p99... at 1000, one.
const minClean = 100

// NewMixtureLatencyModel builds the two-population model from each
// request's duration, whether it met a GC cycle, and its GC-attributable
// time (same order and length), and the share of the observed window a GC
// cycle was in progress.
func NewMixtureLatencyModel(durations []time.Duration, met []bool, gcTimes []time.Duration, observedActive float64) (*LatencyModel, error) {
	if len(durations) != len(met) || len(durations) != len(gcTimes) {
		return nil, fmt.Errorf("latency model: %d durations, %d met flags, %d gc times", len(durations), len(met), len(gcTimes))
	}
	if len(durations) == 0 {
		return nil, errors.New("latency model: no requests")
	}
	if !(observedActive >= 0 && observedActive <= 1) {
		return nil, fmt.Errorf("latency model: observed gc-active share %v is not in [0, 1]", observedActive)
	}
	nMet := 0
	for _, m := range met {
		if m {
			nMet++
		}
	}
	// Sized up front: a million requests would otherwise grow these
	// through several copies.
	mx := &mixture{
		met:   make([]time.Duration, 0, nMet),
		clean: make([]time.Duration, 0, len(durations)-nMet),
	}
	bases := make([]time.Duration, 0, nMet)
	for i, d := range durations {
		if d < 0 {
			return nil, fmt.Errorf("latency model: request %d has negative duration %v", i, d)
		}
		if met[i] {
			mx.met = append(mx.met, d)
			bases = append(bases, d-min(max(gcTimes[i], 0), d))
		} else {
			mx.clean = append(mx.clean, d)
		}
	}
	mx.q = float64(len(mx.met)) / float64(len(durations))
	if len(mx.clean) < minClean && len(mx.met) > 0 {
		mx.clean = append(mx.clean, bases...)
	}
	analyze.SortDurations(mx.clean)
	analyze.SortDurations(mx.met)
	mx.all = mergeSorted(mx.clean, mx.met)
	return &LatencyModel{observedActive: observedActive, n: len(durations), met: len(mx.met), mix: mx}, nil
}

// cdf is the fraction of sorted at or below x.
func cdf(sorted []time.Duration, x time.Duration) float64 {
	if len(sorted) == 0 {
		return 0
	}
	return float64(sort.Search(len(sorted), func(i int) bool { return sorted[i] > x })) / float64(len(sorted))
}

// p99 is the nearest-rank p99 of the mixture at predicted share.
func (mx *mixture) p99(observed, share float64) time.Duration {
	q := mx.q
	switch {
	case share == 0:
		q = 0
	case observed > 0:
		q = math.Min(1, mx.q*share/observed)
	}
	if len(mx.met) == 0 {
		q = 0
	}
	if len(mx.clean) == 0 {
		q = 1
	}
	f := func(x time.Duration) float64 { return (1-q)*cdf(mx.clean, x) + q*cdf(mx.met, x) }
	// Candidates are the observed latencies; the smallest whose mixture
	// CDF reaches 0.99 (with the tolerance analyze.NearestRank uses).
	cands := mx.all
	i := sort.Search(len(cands), func(i int) bool { return f(cands[i]) >= 0.99-1e-9 })
	if i == len(cands) {
		i--
	}
	return cands[i]
}

// mergeSorted returns the elements of sorted slices a and b, sorted.
func mergeSorted(a, b []time.Duration) []time.Duration {
	out := make([]time.Duration, 0, len(a)+len(b))
	for len(a) > 0 && len(b) > 0 {
		if b[0] < a[0] {
			out, b = append(out, b[0]), b[1:]
		} else {
			out, a = append(out, a[0]), a[1:]
		}
	}
	return append(append(out, a...), b...)
}
