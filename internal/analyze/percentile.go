package analyze

import (
	"math"
	"slices"
	"time"
)

// NearestRank returns the p-quantile (0 < p ≤ 1) of sorted by the
// nearest-rank method: the ceil(p·N)-th smallest value. It returns 0 for an
// empty slice. sorted must be in ascending order.
func NearestRank(sorted []time.Duration, p float64) time.Duration {
	if len(sorted) == 0 {
		return 0
	}
	return sorted[nearestRank(len(sorted), p)-1]
}

// distributeDescending is Distribute of desc, which is sorted in
// descending order.
func distributeDescending(desc []time.Duration) Distribution {
	n := len(desc)
	if n == 0 {
		return Distribution{}
	}
	var total time.Duration
	for _, d := range desc {
		total += d
	}
	// The ascending order's rank r is index n-r here.
	q := func(p float64) time.Duration { return desc[n-nearestRank(n, p)] }
	return Distribution{
		Count: n, Total: total, Max: desc[0],
		P50: q(0.50), P90: q(0.90), P99: q(0.99), P999: q(0.999),
	}
}

// nearestRank is the rank, 1 to n, of the p-quantile of n values (n > 0):
// ceil(p·n).
func nearestRank(n int, p float64) int {
	// Guard against p·N landing a hair above an integer through floating
	// point (0.99·100 = 99.00000000000001 would otherwise pick rank 100).
	rank := int(math.Ceil(p*float64(n) - 1e-9))
	return max(1, min(rank, n))
}

// Distribution summarises a set of durations.
type Distribution struct {
	Count int
	Total time.Duration
	Max   time.Duration
	P50   time.Duration
	P90   time.Duration
	P99   time.Duration
	P999  time.Duration
}

// Distribute computes the distribution of ds. It does not modify ds.
func Distribute(ds []time.Duration) Distribution {
	if len(ds) == 0 {
		return Distribution{}
	}
	sorted := slices.Clone(ds)
	SortDurations(sorted)
	var total time.Duration
	for _, d := range sorted {
		total += d
	}
	return Distribution{
		Count: len(sorted),
		Total: total,
		Max:   sorted[len(sorted)-1],
		P50:   NearestRank(sorted, 0.50),
		P90:   NearestRank(sorted, 0.90),
		P99:   NearestRank(sorted, 0.99),
		P999:  NearestRank(sorted, 0.999),
	}
}
