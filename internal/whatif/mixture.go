package whatif

import (
	"errors"
	"fmt"
	"math"
	"slices"
	"sort"
	"time"

	"github.com/gcwatch/gcwatch/internal/analyze"
	"github.com/gcwatch/gcwatch/internal/model"
)

// mixture is the two-population latency model. Requests are split into
// those that met a GC cycle (overlapped its pauses or its mark phase) and
// those that did not. Meeting a cycle costs more than the GC-attributable
// time of the request itself: requests queued behind a pause or slowed
// while workers mark wait in ways no per-request account can name. So the
// model does not subtract GC time; it keeps the observed latency
// distributions whole and changes how often requests meet a cycle, and
// which cycles they meet.
//
// How often: with observed share m of time in a cycle, fraction q of
// requests meeting one, and predicted share m', the fraction becomes
// q' = min(1, q·m'/m), and the latency distribution is
// (1−q')·F_clean + q'·F_met'. Its nearest-rank p99 at m' = m is exactly the
// observed p99.
//
// Which cycles: what meeting a cycle costs depends on how hard it pressed
// the mutator (Prediction.MarkPressure): a cycle whose marking the
// background workers finish inside the runway costs the requests it meets
// little more than the Ps the workers hold; one that runs out of runway
// makes the requests it meets assist, park for assist credit and queue
// behind each other. The met requests are grouped by the pressure of the
// cycle they met (levels, at most maxLevels). A prediction scales every
// level's pressure by the predicted change (sigma) and describes the
// requests that meet a cycle so pressed by the observed levels at that
// pressure, interpolated linearly between the two nearest: F_met' is
// Σ_j w_j·F_level(sigma·u_j), w_j the level's share of the met requests.
// At sigma = 1 every level describes itself and F_met' = F_met. Below the
// calmest observed level the calmest stands in: the cost of meeting a cycle
// does not rise as the pressure falls, and once the background workers
// keep up without assists it stops falling. When every observed cycle ran
// out of runway (+Inf) there is no calm level to stand in, and the figure
// is an upper bound. Above the most pressed level that level stands in, a
// lower bound.
//
// When too few requests stayed clear of the GC to describe a clean
// distribution (fewer than MinClean), each met request's own latency
// less its GC-attributable time stands in for it; that keeps the
// queueing behind the GC, so a prediction with fewer requests meeting the
// GC than observed is an upper bound.
type mixture struct {
	clean, met []time.Duration // sorted
	all        []time.Duration // both, sorted: p99's candidates
	q          float64
	// cleanFallback is set when clean holds the met requests' latencies
	// less their GC time.
	cleanFallback bool
	// levels, by increasing pressure (+Inf last), each with its sorted
	// latencies and its share of the met requests; nil when no cycle's
	// pressure was known (every prediction then keeps F_met).
	levels []level
}

type level struct {
	pressure float64
	lat      []time.Duration
	weight   float64
}

// MinClean is the fewest GC-free requests that describe the clean
// distribution: a hundred puts ten above its p99... at 1000, one.
const MinClean = 100

// maxLevels bounds the pressure levels: with more cycles than that,
// neighbouring cycles are pooled (equal numbers of cycles per level), so
// that each level holds enough requests to describe it.
const maxLevels = 8

// NewMixtureLatencyModel builds the two-population model from each
// request's duration, whether it met a GC cycle, and its GC-attributable
// time (same order and length), and the share of the observed window a GC
// cycle was in progress. Without the cycles' pressures every prediction
// keeps the observed cost of meeting a cycle (NewPressureLatencyModel).
func NewMixtureLatencyModel(durations []time.Duration, met []bool, gcTimes []time.Duration, observedActive float64) (*LatencyModel, error) {
	return NewPressureLatencyModel(durations, met, gcTimes, nil, nil, observedActive)
}

// CycleLoad is what the latency model needs of one observed cycle: how hard
// it pressed the mutator (Prediction.MarkPressure; NaN unknown, +Inf no
// runway) and how long it marked (0: unknown).
type CycleLoad struct {
	Pressure float64
	MarkWall time.Duration
}

// NewPressureLatencyModel is NewMixtureLatencyModel with, for each request,
// the index of the cycle it met (-1: none known) and each cycle's load by
// index. Met requests whose cycle's pressure is unknown are put at the
// median known pressure.
func NewPressureLatencyModel(durations []time.Duration, met []bool, gcTimes []time.Duration, metCycle []int32, cycles []CycleLoad, observedActive float64) (*LatencyModel, error) {
	if len(durations) != len(met) || len(durations) != len(gcTimes) {
		return nil, fmt.Errorf("latency model: %d durations, %d met flags, %d gc times", len(durations), len(met), len(gcTimes))
	}
	if metCycle != nil && len(metCycle) != len(durations) {
		return nil, fmt.Errorf("latency model: %d durations, %d met cycles", len(durations), len(metCycle))
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
	var metLoad []CycleLoad
	for i, d := range durations {
		if d < 0 {
			return nil, fmt.Errorf("latency model: request %d has negative duration %v", i, d)
		}
		if met[i] {
			mx.met = append(mx.met, d)
			bases = append(bases, d-min(max(gcTimes[i], 0), d))
			l := CycleLoad{Pressure: math.NaN()}
			if metCycle != nil {
				if c := int(metCycle[i]); c >= 0 && c < len(cycles) {
					l = cycles[c]
				}
			}
			metLoad = append(metLoad, l)
		} else {
			mx.clean = append(mx.clean, d)
		}
	}
	mx.q = float64(len(mx.met)) / float64(len(durations))
	mx.levels = pressureLevels(mx.met, metLoad)
	if len(mx.clean) < MinClean && len(mx.met) > 0 {
		mx.clean = append(mx.clean, bases...)
		mx.cleanFallback = true
	}
	analyze.SortDurations(mx.clean)
	analyze.SortDurations(mx.met)
	mx.all = mergeSorted(mx.clean, mx.met)
	return &LatencyModel{observedActive: observedActive, n: len(durations), met: len(mx.met), mix: mx}, nil
}

// pressureLevels groups the met requests' latencies by the pressure of
// the cycle each met (same order); nil when no pressure is known.
func pressureLevels(lat []time.Duration, loads []CycleLoad) []level {
	var known []float64
	anyInf := false
	for _, l := range loads {
		switch u := l.Pressure; {
		case math.IsInf(u, 1):
			anyInf = true
		case !math.IsNaN(u):
			known = append(known, u)
		}
	}
	if len(known) == 0 && !anyInf {
		return nil
	}
	fill := math.Inf(1)
	if len(known) > 0 {
		fill = median(known)
	}
	// The distinct pressures are the cycles; pool them into at most
	// maxLevels groups of consecutive pressures (+Inf alone).
	type group struct {
		lat   []time.Duration
		walls []time.Duration
		us    []float64 // one per request
	}
	byPressure := map[float64]*group{}
	for i, l := range loads {
		u := l.Pressure
		if math.IsNaN(u) {
			u = fill
		}
		g := byPressure[u]
		if g == nil {
			g = &group{}
			byPressure[u] = g
		}
		g.lat, g.walls, g.us = append(g.lat, lat[i]), append(g.walls, l.MarkWall), append(g.us, u)
	}
	var finite []float64
	for u := range byPressure {
		if !math.IsInf(u, 1) {
			finite = append(finite, u)
		}
	}
	slices.Sort(finite)
	var pooled []*group
	n := min(len(finite), maxLevels)
	for k := range n {
		g := &group{}
		for _, u := range finite[k*len(finite)/n : (k+1)*len(finite)/n] {
			h := byPressure[u]
			g.lat, g.walls, g.us = append(g.lat, h.lat...), append(g.walls, h.walls...), append(g.us, h.us...)
		}
		// Meeting a more pressed cycle costs no less (the mutator assists
		// more): a level is kept apart from the calmer one below it only
		// when its requests cost clearly more for the time their cycles
		// marked (costlier: a longer mark phase costs the requests that
		// meet it more at any pressure, and how long marking takes is the
		// live heap's, not the settings'); otherwise the two are pooled, so
		// that a prediction at another pressure does not draw on costlier
		// or cheaper requests by chance.
		for len(pooled) > 0 {
			prev := pooled[len(pooled)-1]
			if costlier(g.lat, g.walls, prev.lat, prev.walls) {
				break
			}
			g.lat, g.walls, g.us = append(prev.lat, g.lat...), append(prev.walls, g.walls...), append(prev.us, g.us...)
			pooled = pooled[:len(pooled)-1]
		}
		pooled = append(pooled, g)
	}
	var levels []level
	for _, g := range pooled {
		levels = append(levels, level{pressure: median(g.us), lat: g.lat})
	}
	if inf := byPressure[math.Inf(1)]; inf != nil {
		levels = append(levels, level{pressure: math.Inf(1), lat: inf.lat})
	}
	for i := range levels {
		analyze.SortDurations(levels[i].lat)
		levels[i].weight = float64(len(levels[i].lat)) / float64(len(lat))
	}
	return levels
}

// metWeights is, for pressures scaled by sigma, the weight of each level
// in the predicted met distribution, and the bound that puts on it.
func (mx *mixture) metWeights(sigma float64) ([]float64, Bound) {
	w := make([]float64, len(mx.levels))
	bound := BoundNone
	first, last := mx.levels[0].pressure, mx.levels[len(mx.levels)-1].pressure
	const tol = 1e-9
	for _, l := range mx.levels {
		u := l.pressure * sigma
		switch {
		case sigma == 0:
			u = 0
		case sigma == 1 || math.IsNaN(u):
			u = l.pressure
		}
		switch {
		case u == l.pressure:
			i := slices.IndexFunc(mx.levels, func(m level) bool { return m.pressure == u })
			w[i] += l.weight
		case u <= first:
			w[0] += l.weight
			if math.IsInf(first, 1) {
				bound = BoundUpper
			}
		case u >= last:
			w[len(w)-1] += l.weight
			if u > last*(1+tol) && !math.IsInf(last, 1) {
				bound = BoundLower
			}
		default:
			i := sort.Search(len(mx.levels), func(i int) bool { return mx.levels[i].pressure > u }) - 1
			a, b := mx.levels[i].pressure, mx.levels[i+1].pressure
			if math.IsInf(b, 1) {
				// Between the most pressed cycles with a runway and those
				// without one: the former stand in, a lower bound.
				w[i] += l.weight
				bound = BoundLower
				continue
			}
			t := (u - a) / (b - a)
			w[i] += l.weight * (1 - t)
			w[i+1] += l.weight * t
		}
	}
	return w, bound
}

// costlier says whether requests a took clearly longer than requests b
// for the mark time of the cycles they met (walls, one per request; each
// group's latencies are divided by its mean mark wall, or left as they are
// when a group's walls are unknown): a mean more than two standard errors
// of the difference above b's (Welch's statistic; about 95 % one-sided
// confidence for groups of a few dozen requests and more). Each group
// needs two requests.
func costlier(a, aWalls, b, bWalls []time.Duration) bool {
	if len(a) < 2 || len(b) < 2 {
		return false
	}
	wa, wb := meanWall(aWalls), meanWall(bWalls)
	if wa == 0 || wb == 0 {
		wa, wb = 1, 1
	}
	ma, va := meanVar(a, wa)
	mb, vb := meanVar(b, wb)
	se := math.Sqrt(va/float64(len(a)) + vb/float64(len(b)))
	return ma-mb > 2*se
}

func meanWall(ws []time.Duration) float64 {
	var sum float64
	for _, w := range ws {
		if w <= 0 {
			return 0
		}
		sum += float64(w)
	}
	return sum / float64(len(ws))
}

// meanVar is the mean and the sample variance of ds divided by scale.
func meanVar(ds []time.Duration, scale float64) (mean, variance float64) {
	for _, d := range ds {
		mean += float64(d) / scale
	}
	mean /= float64(len(ds))
	for _, d := range ds {
		x := float64(d)/scale - mean
		variance += x * x
	}
	return mean, variance / float64(len(ds)-1)
}

// cdf is the fraction of sorted at or below x.
func cdf(sorted []time.Duration, x time.Duration) float64 {
	if len(sorted) == 0 {
		return 0
	}
	return float64(sort.Search(len(sorted), func(i int) bool { return sorted[i] > x })) / float64(len(sorted))
}

// p99 is the nearest-rank p99 of the mixture at predicted share, with the
// cycles' pressure scaled by sigma (1: as observed), and whether it is a
// bound.
func (mx *mixture) p99(observed, share, sigma float64) (time.Duration, Bound) {
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
	bound := BoundNone
	if mx.cleanFallback && q < mx.q*(1-1e-9) {
		bound = BoundUpper
	}
	metCDF := func(x time.Duration) float64 { return cdf(mx.met, x) }
	if mx.levels != nil && q > 0 && sigma != 1 && !math.IsNaN(sigma) {
		w, b := mx.metWeights(sigma)
		if bound == BoundNone {
			bound = b
		}
		metCDF = func(x time.Duration) float64 {
			var f float64
			for i, l := range mx.levels {
				if w[i] > 0 {
					f += w[i] * cdf(l.lat, x)
				}
			}
			return f
		}
	}
	f := func(x time.Duration) float64 { return (1-q)*cdf(mx.clean, x) + q*metCDF(x) }
	// Candidates are the observed latencies; the smallest whose mixture
	// CDF reaches 0.99 (with the tolerance analyze.NearestRank uses).
	cands := mx.all
	i := sort.Search(len(cands), func(i int) bool { return f(cands[i]) >= 0.99-1e-9 })
	if i == len(cands) {
		i--
	}
	return cands[i], bound
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

// CycleLoads is each of the run's cycles' load, by index: its mark wall
// time, and its mark pressure (see Prediction.MarkPressure): what the
// program allocated while the cycle marked (the heap's growth from its
// start to the end of marking) over the runway from the previous cycle's
// marked heap to the cycle's goal. The pressure is NaN when the cycle or
// its predecessor lacks a size, +Inf when the goal left no runway.
func CycleLoads(run *model.Run) []CycleLoad {
	out := make([]CycleLoad, len(run.Cycles))
	for i, c := range run.Cycles {
		out[i] = CycleLoad{Pressure: math.NaN(), MarkWall: max(0, c.End.Sub(c.Start))}
		if i == 0 || c.Partial || c.HeapStart < 0 || c.HeapEnd < 0 || c.HeapGoal <= 0 {
			continue
		}
		prev := run.Cycles[i-1]
		if prev.N != c.N-1 || prev.HeapLive < 0 {
			continue
		}
		during := float64(max(0, c.HeapEnd-c.HeapStart))
		if runway := float64(c.HeapGoal - prev.HeapLive); runway > 0 {
			out[i].Pressure = during / runway
		} else {
			out[i].Pressure = math.Inf(1)
		}
	}
	return out
}
