package mmu

import (
	"math"
	"sort"
	"time"

	"github.com/gcwatch/gcwatch/internal/model"
)

// worstSet keeps the worst disjoint windows of one size, fed in order of
// their start. A candidate that overlaps kept windows replaces them only if
// it is strictly worse than all of them; otherwise it is dropped. A
// candidate that overlaps none joins the set, and when the set is over its
// size the best one leaves. The worst window of all is therefore always
// kept, and the rest are each the worst of their neighbourhood as the
// stream saw it (a window dropped in favour of a worse neighbour that was
// itself later replaced is not brought back).
type worstSet struct {
	keep  int
	items []worstItem
	// ceiling is the highest utilisation kept once the set is full: a
	// candidate at or above it can neither join nor replace anything, which
	// rejects almost every candidate with one comparison.
	ceiling float64
}

type worstItem struct {
	start model.Time
	mean  [numSeries]float64
}

// offer considers one candidate and returns by how much its utilisation is
// above what the set would take (0 while the set is not full), the margin
// the caller may skip by.
func (ws *worstSet) offer(start model.Time, size time.Duration, mean *[numSeries]float64) (margin float64) {
	if ws.keep == 0 {
		return math.Inf(1)
	}
	u := mean[seriesTotal]
	if len(ws.items) == ws.keep && u >= ws.ceiling {
		return u - ws.ceiling
	}
	overlapped := false
	for i := range ws.items {
		if overlaps(ws.items[i].start, start, size) {
			if ws.items[i].mean[seriesTotal] <= u {
				return 0
			}
			overlapped = true
		}
	}
	if overlapped {
		kept := ws.items[:0]
		for _, it := range ws.items {
			if !overlaps(it.start, start, size) {
				kept = append(kept, it)
			}
		}
		ws.items = kept
	}
	ws.items = append(ws.items, worstItem{start: start, mean: *mean})
	if len(ws.items) > ws.keep {
		ws.dropBest()
	}
	if len(ws.items) == ws.keep {
		ws.ceiling = ws.items[ws.bestIndex()].mean[seriesTotal]
	}
	return 0
}

// bestIndex is the index of the kept window with the highest utilisation,
// the newest among equals.
func (ws *worstSet) bestIndex() int {
	best := 0
	for i := range ws.items {
		if ws.items[i].mean[seriesTotal] >= ws.items[best].mean[seriesTotal] {
			best = i
		}
	}
	return best
}

func (ws *worstSet) dropBest() {
	i := ws.bestIndex()
	ws.items = append(ws.items[:i], ws.items[i+1:]...)
}

// windows returns the kept windows, worst first.
func (ws *worstSet) windows() []model.MMUWindow {
	if len(ws.items) == 0 {
		return nil
	}
	out := make([]model.MMUWindow, 0, len(ws.items))
	for _, it := range ws.items {
		w := model.MMUWindow{Start: it.start, Utilization: clampUnit(it.mean[seriesTotal])}
		for s := range model.NumSources {
			w.Lost[s] = clampUnit(1 - it.mean[sourceSeries(s)])
		}
		out = append(out, w)
	}
	sort.SliceStable(out, func(i, j int) bool {
		if out[i].Utilization != out[j].Utilization {
			return out[i].Utilization < out[j].Utilization
		}
		return out[i].Start < out[j].Start
	})
	return out
}

// overlaps reports whether windows of size w starting at a and b share time.
func overlaps(a, b model.Time, w time.Duration) bool {
	d := a - b
	if d < 0 {
		d = -d
	}
	return d < model.Time(w)
}
