package compare

import (
	"math"
	"math/rand/v2"
	"slices"
)

var nan = math.NaN()

// sortedCopy returns xs sorted, without its NaN values.
func sortedCopy(xs []float64) []float64 {
	out := make([]float64, 0, len(xs))
	for _, x := range xs {
		if !math.IsNaN(x) {
			out = append(out, x)
		}
	}
	slices.Sort(out)
	return out
}

// quantile is the nearest-rank p-quantile (the ceil(p·n)-th smallest) of
// sorted, the definition analyze uses; NaN for an empty slice.
func quantile(sorted []float64, p float64) float64 {
	if len(sorted) == 0 {
		return math.NaN()
	}
	return sorted[rank(len(sorted), p)-1]
}

// rank is ceil(p·n) clamped to 1..n, with the same guard against p·n
// landing a hair above an integer that analyze's nearest rank has.
func rank(n int, p float64) int {
	r := int(math.Ceil(p*float64(n) - 1e-9))
	return max(1, min(r, n))
}

// UTest is the result of a two-sided Mann–Whitney U test.
type UTest struct {
	// U is the statistic of the first sample: the number of pairs (x, y)
	// with x > y, ties counting one half.
	U float64
	// P is the two-sided p-value; Exact says whether it comes from the
	// exact distribution of U (small samples without ties) rather than
	// the normal approximation.
	P     float64
	Exact bool
}

// exactLimit bounds the samples whose U distribution is computed exactly:
// the table is (n+1)·(m·n+1) numbers.
const exactLimit = 50

// MannWhitney tests whether x and y come from the same distribution
// against a shift of one from the other. Neither may be empty. Small
// samples without ties get the exact p-value; others the normal
// approximation with the tie correction and a continuity correction.
func MannWhitney(x, y []float64) UTest {
	m, n := len(x), len(y)
	xs, ys := slices.Clone(x), slices.Clone(y)
	slices.Sort(xs)
	slices.Sort(ys)
	// Walk both sorted samples together, giving each group of equal
	// values its mid-rank, and add up the ranks of x and the tie sizes.
	var rankSumX, tieTerm float64
	i, j, next := 0, 0, 1.0
	for i < m || j < n {
		v := math.Inf(1)
		if i < m {
			v = xs[i]
		}
		if j < n && ys[j] < v {
			v = ys[j]
		}
		cx, cy := 0, 0
		for i < m && xs[i] == v {
			i, cx = i+1, cx+1
		}
		for j < n && ys[j] == v {
			j, cy = j+1, cy+1
		}
		t := float64(cx + cy)
		mid := next + (t-1)/2
		rankSumX += float64(cx) * mid
		tieTerm += t*t*t - t
		next += t
	}
	u := rankSumX - float64(m*(m+1))/2
	res := UTest{U: u}
	if tieTerm == 0 && m <= exactLimit && n <= exactLimit {
		res.P, res.Exact = exactP(m, n, u), true
		return res
	}
	mf, nf := float64(m), float64(n)
	N := mf + nf
	variance := mf * nf / 12 * ((N + 1) - tieTerm/(N*(N-1)))
	if variance <= 0 { // every value the same
		res.P = 1
		return res
	}
	z := (math.Abs(u-mf*nf/2) - 0.5) / math.Sqrt(variance)
	res.P = math.Min(1, math.Erfc(math.Max(z, 0)/math.Sqrt2))
	return res
}

// exactP is the two-sided p-value of U = u for samples of m and n values
// without ties: twice the smaller tail, at most 1.
func exactP(m, n int, u float64) float64 {
	counts := uCounts(m, n)
	var total, below, above float64
	for k, c := range counts {
		total += c
		if float64(k) <= u {
			below += c
		}
		if float64(k) >= u {
			above += c
		}
	}
	return math.Min(1, 2*math.Min(below, above)/total)
}

// uCounts returns, for each k, how many of the C(m+n, m) orderings of m x
// values and n y values have U = k. Put the largest value last: if it is
// an x it beats all the y values, so with f[i][j] the counts for i x and j
// y values, f[i][j](k) = f[i−1][j](k−j) + f[i][j−1](k).
func uCounts(m, n int) []float64 {
	size := m*n + 1
	prev := make([][]float64, n+1) // f[i-1][·]
	cur := make([][]float64, n+1)
	for j := range prev {
		prev[j] = make([]float64, size)
		cur[j] = make([]float64, size)
		prev[j][0] = 1 // no x values: one ordering, U = 0
	}
	for i := 1; i <= m; i++ {
		clear(cur[0])
		cur[0][0] = 1 // no y values: U = 0
		for j := 1; j <= n; j++ {
			c := cur[j]
			for k := range c {
				c[k] = cur[j-1][k]
				if k >= j {
					c[k] += prev[j][k-j]
				}
			}
		}
		prev, cur = cur, prev
	}
	return prev[n]
}

// minP is the smallest two-sided p-value any U test of samples of m and n
// values can give: both samples wholly apart. When it is not below the
// significance level, no change can be told apart from noise.
func minP(m, n int) float64 {
	if m == 0 || n == 0 {
		return 1
	}
	if m <= exactLimit && n <= exactLimit {
		// 2 / C(m+n, m), in logs to stay finite.
		lg := func(k int) float64 { v, _ := math.Lgamma(float64(k) + 1); return v }
		return math.Min(1, 2*math.Exp(lg(m)+lg(n)-lg(m+n)))
	}
	return 0
}

// newRand is the generator behind every bootstrap: fixed seeds, so that a
// report is reproducible; stream tells the uses apart.
func newRand(seed, stream uint64) *rand.Rand {
	return rand.New(rand.NewPCG(seed, stream))
}

// bootstrapQuantiles resamples sorted (ascending) with replacement
// resamples times and returns, for each p in ps, the p-quantile of every
// resample. A resample of a sorted sample is known by how many times it
// draws each index, so its quantiles are found by counting, without
// sorting: O(n) per resample.
func bootstrapQuantiles(sorted []float64, ps []float64, resamples int, r *rand.Rand) [][]float64 {
	n := len(sorted)
	out := make([][]float64, len(ps))
	for k := range out {
		out[k] = make([]float64, resamples)
	}
	if n == 0 {
		return out
	}
	ranks := make([]int, len(ps))
	for k, p := range ps {
		ranks[k] = rank(n, p)
	}
	counts := make([]int32, n)
	for b := range resamples {
		clear(counts)
		for range n {
			counts[r.IntN(n)]++
		}
		quantilesOfCounts(sorted, counts, ranks, out, b)
	}
	return out
}

// quantilesOfCounts sets out[k][b] to the value of rank ranks[k] in a
// resample that holds sorted[i] counts[i] times: walking the cumulative
// counts, the quantile of rank q is the first index where they reach q.
func quantilesOfCounts(sorted []float64, counts []int32, ranks []int, out [][]float64, b int) {
	seen := 0
	for idx, c := range counts {
		if c == 0 {
			continue
		}
		before := seen
		seen += int(c)
		for k, q := range ranks {
			if q > before && q <= seen {
				out[k][b] = sorted[idx]
			}
		}
	}
}

// interval is the central confidence-level interval of draws (percentile
// bootstrap). It sorts draws.
func interval(draws []float64, confidence float64) [2]float64 {
	slices.Sort(draws)
	alpha := (1 - confidence) / 2
	lo := draws[max(0, int(math.Floor(alpha*float64(len(draws)))))]
	hi := draws[min(len(draws)-1, int(math.Ceil((1-alpha)*float64(len(draws))))-1)]
	return [2]float64{lo, hi}
}

// blockBootstrapQuantiles is bootstrapQuantiles for dependent samples
// from one or more runs, in two stages: each resample draws as many runs
// as there are, with replacement, and from each drawn run as many of its
// blocks as it has, with replacement (every block a list of indices into
// sorted); it takes the p-quantiles of the values drawn. With several
// runs a side the resamples vary as much as the runs do, not only as
// much as one run's blocks; with one run it is the block bootstrap. A
// resample's size varies with the blocks drawn.
func blockBootstrapQuantiles(sorted []float64, runs [][][]int32, ps []float64, resamples int, r *rand.Rand) [][]float64 {
	out := make([][]float64, len(ps))
	for k := range out {
		out[k] = make([]float64, resamples)
	}
	if len(sorted) == 0 || len(runs) == 0 {
		return out
	}
	counts := make([]int32, len(sorted))
	ranks := make([]int, len(ps))
	for b := range resamples {
		clear(counts)
		total := 0
		for range runs {
			blocks := runs[r.IntN(len(runs))]
			for range blocks {
				blk := blocks[r.IntN(len(blocks))]
				for _, i := range blk {
					counts[i]++
				}
				total += len(blk)
			}
		}
		for k, p := range ps {
			ranks[k] = rank(total, p)
		}
		quantilesOfCounts(sorted, counts, ranks, out, b)
	}
	return out
}

// bootstrapP is the two-sided p-value of "no difference" read off the
// bootstrap distribution of a difference: twice the share of draws on the
// far side of 0, with the usual +1 so that it is never 0 — at best
// 2/(resamples+1).
func bootstrapP(diffs []float64) float64 {
	var le, ge int
	for _, d := range diffs {
		if d <= 0 {
			le++
		}
		if d >= 0 {
			ge++
		}
	}
	return math.Min(1, 2*float64(min(le, ge)+1)/float64(len(diffs)+1))
}
