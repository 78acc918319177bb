package compare

import (
	"math"
	"slices"
	"testing"
)

// slowU counts the pairs (x, y) with x > y, ties one half: the definition
// of U, without ranks.
func slowU(x, y []float64) float64 {
	var u float64
	for _, a := range x {
		for _, b := range y {
			switch {
			case a > b:
				u++
			case a == b:
				u += 0.5
			}
		}
	}
	return u
}

// enumerateP is the exact two-sided p-value by brute force: every way of
// choosing which len(x) of the pooled values are x, with U counted
// pairwise. It is independent of uCounts' recurrence.
func enumerateP(x, y []float64) float64 {
	pool := slices.Concat(x, y)
	m, n := len(x), len(pool)
	u0 := slowU(x, y)
	mean := float64(m*(n-m)) / 2
	var total, extreme float64
	for mask := 0; mask < 1<<n; mask++ {
		if popcount(mask) != m {
			continue
		}
		var xs, ys []float64
		for i, v := range pool {
			if mask&(1<<i) != 0 {
				xs = append(xs, v)
			} else {
				ys = append(ys, v)
			}
		}
		total++
		if math.Abs(slowU(xs, ys)-mean) >= math.Abs(u0-mean)-1e-9 {
			extreme++
		}
	}
	return extreme / total
}

func popcount(v int) int {
	c := 0
	for ; v != 0; v &= v - 1 {
		c++
	}
	return c
}

func TestMannWhitneyExactAgainstEnumeration(t *testing.T) {
	cases := []struct{ x, y []float64 }{
		{[]float64{1, 2, 3, 4, 5}, []float64{6, 7, 8, 9, 10}},
		{[]float64{1, 3, 5}, []float64{2, 4, 6}},
		{[]float64{1.5, 7, 3, 9}, []float64{2, 4, 6, 8, 10, 11}},
		{[]float64{10, 20, 30, 40, 50, 60}, []float64{15, 25, 5}},
		{[]float64{4}, []float64{1, 2, 3, 5, 6, 7, 8}},
	}
	for _, c := range cases {
		got := MannWhitney(c.x, c.y)
		if !got.Exact {
			t.Errorf("%v vs %v: not exact", c.x, c.y)
		}
		if want := slowU(c.x, c.y); got.U != want {
			t.Errorf("%v vs %v: U = %v, want %v", c.x, c.y, got.U, want)
		}
		// The distribution of U is symmetric, so "twice the smaller tail"
		// and "as far from the mean or farther" are the same p-value.
		if want := enumerateP(c.x, c.y); math.Abs(got.P-want) > 1e-12 {
			t.Errorf("%v vs %v: p = %v, want %v", c.x, c.y, got.P, want)
		}
	}
}

// TestMannWhitneyKnownValues checks p-values worked out by hand.
func TestMannWhitneyKnownValues(t *testing.T) {
	// Wholly apart, 5 and 5: two of the C(10,5) = 252 orderings are as
	// extreme, p = 2/252 (R: wilcox.test(1:5, 6:10) gives 0.007937).
	r := MannWhitney([]float64{1, 2, 3, 4, 5}, []float64{6, 7, 8, 9, 10})
	if r.U != 0 || math.Abs(r.P-2.0/252) > 1e-12 {
		t.Errorf("1..5 vs 6..10: U=%v p=%v, want 0 and %v", r.U, r.P, 2.0/252)
	}
	// Interleaved 1,3,5 against 2,4,6: U = 3 of 9 pairs. Of the 20
	// orderings, U ≤ 3 in 1+1+2+3 = 7 (counts of U = 0,1,2,3 for 3 and 3
	// are 1,1,2,3), so p = 2·7/20 = 0.7.
	r = MannWhitney([]float64{1, 3, 5}, []float64{2, 4, 6})
	if r.U != 3 || math.Abs(r.P-0.7) > 1e-12 {
		t.Errorf("1,3,5 vs 2,4,6: U=%v p=%v, want 3 and 0.7", r.U, r.P)
	}
	// Same sample on both sides: no evidence at all.
	r = MannWhitney([]float64{1, 2, 3}, []float64{1, 2, 3})
	if r.P != 1 {
		t.Errorf("a sample against itself: p=%v, want 1", r.P)
	}
}

// TestMannWhitneyNormalWithTies checks the large-sample path against the
// formulas evaluated by hand: x is 30 ones and 30 twos, y 20 ones and 40
// twos. U = pairs x>y + ½ ties = 30·20 + ½(30·20 + 30·40) = 1500; mean
// 60·60/2 = 1800; ties of 50 and 70 among 120 give variance
// 60·60/12 · (121 − (50³−50 + 70³−70)/(120·119)) = 300 · (121 −
// 467880/14280) = 300 · 88.2353 = 26470.6; z = (300 − 0.5)/162.698 =
// 1.84083; p = erfc(z/√2) = 0.06565.
func TestMannWhitneyNormalWithTies(t *testing.T) {
	var x, y []float64
	for i := range 60 {
		x = append(x, float64(1+i/30))
		if i < 20 {
			y = append(y, 1)
		} else {
			y = append(y, 2)
		}
	}
	r := MannWhitney(x, y)
	if r.Exact || r.U != 1500 {
		t.Fatalf("U=%v exact=%v, want 1500 from the normal approximation", r.U, r.Exact)
	}
	if math.Abs(r.P-0.06565) > 5e-5 {
		t.Errorf("p = %.5f, want 0.06565", r.P)
	}
}

func TestMinP(t *testing.T) {
	if got := minP(4, 4); math.Abs(got-2.0/70) > 1e-12 {
		t.Errorf("minP(4,4) = %v, want 2/70", got)
	}
	if minP(3, 3) < 0.05 {
		t.Error("3 against 3 can never reach 0.05")
	}
	if minP(0, 10) != 1 {
		t.Error("an empty side can never be significant")
	}
}

func TestBootstrapQuantilesMatchSorting(t *testing.T) {
	sorted := []float64{1, 2, 2, 3, 5, 8, 13, 21, 34, 55}
	ps := []float64{0.5, 0.99}
	got := bootstrapQuantiles(sorted, ps, 50, newRand(1, 1))
	// Replay the same draws, sort each resample and take its quantiles.
	r := newRand(1, 1)
	for b := range 50 {
		res := make([]float64, len(sorted))
		for i := range res {
			res[i] = sorted[r.IntN(len(sorted))]
		}
		slices.Sort(res)
		for k, p := range ps {
			if want := quantile(res, p); got[k][b] != want {
				t.Fatalf("resample %d, p%v: %v, want %v", b, p, got[k][b], want)
			}
		}
	}
}

func TestBootstrapIsReproducible(t *testing.T) {
	x := []float64{3, 1, 4, 1, 5, 9, 2, 6, 5, 3, 5, 8, 9, 7, 9}
	slices.Sort(x)
	a := bootstrapQuantiles(x, []float64{0.5}, 200, newRand(15, 3))
	b := bootstrapQuantiles(x, []float64{0.5}, 200, newRand(15, 3))
	if !slices.Equal(a[0], b[0]) {
		t.Error("same seed, different resamples")
	}
}

func TestInterval(t *testing.T) {
	draws := make([]float64, 1000)
	for i := range draws {
		draws[i] = float64(999 - i)
	}
	if got := interval(draws, 0.95); got != [2]float64{25, 974} {
		t.Errorf("interval = %v, want [25 974]", got)
	}
}

func TestBlockBootstrapQuantilesMatchSorting(t *testing.T) {
	sorted := []float64{1, 2, 2, 3, 5, 8, 13, 21, 34, 55, 89}
	runs := [][][]int32{{{3, 0, 7}, {10, 1}}, {{2, 9, 4, 5}, {6, 8}, {}}}
	ps := []float64{0.5, 0.9}
	got := blockBootstrapQuantiles(sorted, runs, ps, 60, newRand(2, 2))
	// Replay the same draws: a run, then as many of its blocks as it has;
	// concatenate the values, sort, take the quantiles.
	r := newRand(2, 2)
	for b := range 60 {
		var res []float64
		for range runs {
			blocks := runs[r.IntN(len(runs))]
			for range blocks {
				for _, i := range blocks[r.IntN(len(blocks))] {
					res = append(res, sorted[i])
				}
			}
		}
		slices.Sort(res)
		for k, p := range ps {
			if want := quantile(res, p); got[k][b] != want {
				t.Fatalf("resample %d, p%v: %v, want %v", b, p, got[k][b], want)
			}
		}
	}
}

func TestBlocked(t *testing.T) {
	// Two runs: 10 requests in start order, 1.5 per GC cycle (blocks of
	// max(⌈√10⌉, 2·1.5) = 4, but at least minBlocks = 8 blocks: 2) and 3
	// from a source without start order (blocks of one).
	a := []float64{5, 1, 9, 3, 7, 2, 8, 4, 6, 0}
	b := []float64{2.5, 10, 0.5}
	sorted, blocks := blocked([]requestSeq{{a, true, 1.5}, {b, false, 0}})
	want := slices.Concat(a, b)
	slices.Sort(want)
	if !slices.Equal(sorted, want) {
		t.Fatalf("sorted %v, want %v", sorted, want)
	}
	if len(blocks) != 2 || len(blocks[0]) != 5 || len(blocks[1]) != 3 {
		t.Fatalf("%d runs of %v blocks, want 2 runs of 5 and 3", len(blocks), blocks)
	}
	var got [][]float64
	for _, blk := range slices.Concat(blocks...) {
		var vs []float64
		for _, i := range blk {
			vs = append(vs, sorted[i])
		}
		got = append(got, vs)
	}
	wantBlocks := [][]float64{{5, 1}, {9, 3}, {7, 2}, {8, 4}, {6, 0}, {2.5}, {10}, {0.5}}
	if len(got) != len(wantBlocks) {
		t.Fatalf("blocks %v, want %v", got, wantBlocks)
	}
	for i := range got {
		if !slices.Equal(got[i], wantBlocks[i]) {
			t.Errorf("block %d: %v, want %v", i, got[i], wantBlocks[i])
		}
	}
}

func TestBootstrapP(t *testing.T) {
	// 999 draws, all above 0: p = 2·(0+1)/1000.
	all := make([]float64, 999)
	for i := range all {
		all[i] = 1
	}
	if p := bootstrapP(all); math.Abs(p-0.002) > 1e-12 {
		t.Errorf("all above 0: p = %v, want 0.002", p)
	}
	// Symmetric around 0: 1.
	sym := []float64{-2, -1, 0, 1, 2}
	if p := bootstrapP(sym); p != 1 {
		t.Errorf("symmetric: p = %v, want 1", p)
	}
	// 9 of 99 at or below 0: 2·10/100.
	some := make([]float64, 99)
	for i := range some {
		some[i] = float64(i - 8)
	}
	if p := bootstrapP(some); math.Abs(p-0.2) > 1e-12 {
		t.Errorf("9 of 99 at or below 0: p = %v, want 0.2", p)
	}
}

// TestBlockTestOnDependentRequests: two runs of one service whose
// requests share their GC cycle's state (every 50 requests a new level, as
// a cycle's assists and pauses slow all the requests under it) are not
// different services. A test that takes every request as independent calls
// most such A/A pairs different; the block bootstrap must keep its
// false-positive rate near α. A real +60 % change must still be found
// most of the time (16 cycles a run are 16 independent draws of the level:
// smaller changes are often inside the noise, as they should be).
func TestBlockTestOnDependentRequests(t *testing.T) {
	const pairs, n, perCycle = 60, 800, 50
	src := newRand(7, 7)
	run := func(scale float64) *gathered {
		seq := make([]float64, n)
		level := 1.0
		for i := range seq {
			if i%perCycle == 0 {
				level = 0.5 + 0.5*src.ExpFloat64()
			}
			seq[i] = scale * level * (1 + 0.2*src.ExpFloat64())
		}
		g := &gathered{}
		g.requests, g.requestBlocks = blocked([]requestSeq{{seq, true, perCycle}})
		return g
	}
	opts := DefaultOptions()
	opts.Resamples = 400
	var blockFP, uFP, found int
	for range pairs {
		b, a := run(1), run(1)
		tt := &tester{opts: opts}
		r := tt.row("request_p50_ms", "ms", "higher", quantile(b.requests, 0.5), quantile(a.requests, 0.5)).blockTest(tt, b, a, 0.5)
		if *r.Significant {
			blockFP++
		}
		if MannWhitney(b.requests, a.requests).P < opts.Alpha {
			uFP++
		}
		c := run(1.6)
		r = tt.row("request_p50_ms", "ms", "higher", quantile(b.requests, 0.5), quantile(c.requests, 0.5)).blockTest(tt, b, c, 0.5)
		if *r.Significant {
			found++
		}
	}
	t.Logf("A/A: block bootstrap %d/%d significant, Mann–Whitney over requests %d/%d; +60%%: found %d/%d", blockFP, pairs, uFP, pairs, found, pairs)
	if blockFP > pairs/6 {
		t.Errorf("block bootstrap: %d of %d A/A pairs significant", blockFP, pairs)
	}
	if uFP < pairs/2 {
		t.Errorf("Mann–Whitney over requests flags only %d of %d: the dependence is too weak to test anything", uFP, pairs)
	}
	if found < pairs/2 {
		t.Errorf("block bootstrap finds only %d of %d +60%% changes", found, pairs)
	}
}

// TestTwoStageOnRunLevels: runs of one service differ from each other (a
// busier machine, another host) by more than their requests vary within
// a run. Pooling several runs a side, the two-stage bootstrap (runs, then
// blocks within them) must keep the false-positive rate of A/A pairs low;
// resampling only blocks, as if the runs were one, must not.
func TestTwoStageOnRunLevels(t *testing.T) {
	const pairs, runs, n, perCycle = 40, 5, 400, 50
	src := newRand(9, 9)
	side := func() (*gathered, *gathered) {
		var seqs []requestSeq
		for range runs {
			runLevel := math.Max(0.2, 1+0.25*src.NormFloat64())
			seq := make([]float64, n)
			level := 1.0
			for i := range seq {
				if i%perCycle == 0 {
					level = 0.8 + 0.4*src.Float64()
				}
				seq[i] = runLevel * level * (1 + 0.2*src.ExpFloat64())
			}
			seqs = append(seqs, requestSeq{seq, true, perCycle})
		}
		two := &gathered{}
		two.requests, two.requestBlocks = blocked(seqs)
		// The same requests as one run's blocks.
		one := &gathered{requests: two.requests, requestBlocks: [][][]int32{slices.Concat(two.requestBlocks...)}}
		return two, one
	}
	opts := DefaultOptions()
	opts.Resamples = 300
	var twoFP, oneFP int
	for range pairs {
		b2, b1 := side()
		a2, a1 := side()
		tt := &tester{opts: opts}
		if r := tt.row("request_p50_ms", "ms", "higher", quantile(b2.requests, 0.5), quantile(a2.requests, 0.5)).blockTest(tt, b2, a2, 0.5); *r.Significant {
			twoFP++
		}
		if r := tt.row("request_p50_ms", "ms", "higher", quantile(b1.requests, 0.5), quantile(a1.requests, 0.5)).blockTest(tt, b1, a1, 0.5); *r.Significant {
			oneFP++
		}
	}
	t.Logf("A/A with %d runs a side: two-stage %d/%d significant, blocks only %d/%d", runs, twoFP, pairs, oneFP, pairs)
	if twoFP > pairs/5 {
		t.Errorf("two-stage bootstrap: %d of %d A/A pairs significant", twoFP, pairs)
	}
	if oneFP < pairs/3 {
		t.Errorf("blocks only: %d of %d: the runs differ too little to test anything", oneFP, pairs)
	}
}
