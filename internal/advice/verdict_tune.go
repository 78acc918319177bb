package advice

import (
	"cmp"
	"fmt"
	"math"
	"slices"
	"time"

	"github.com/gcwatch/gcwatch/internal/analyze"
	"github.com/gcwatch/gcwatch/internal/units"
	"github.com/gcwatch/gcwatch/internal/whatif"
)

// target is what a setting must achieve to count as a fix.
type target struct {
	describe string
	meets    func(p whatif.Prediction) bool
	// score orders settings that miss, nearest first (lower is nearer).
	score func(p whatif.Prediction) float64
}

// cachedTarget works out the target once (tune, or the options ladder for
// the verdicts decided before tune), and says its caveat once.
func (d *decider) cachedTarget() (target, bool) {
	if !d.tgtTried {
		d.tgtTried = true
		if d.fit != nil {
			if tg, ok := d.workOutTarget(); ok {
				d.tgt = &tg
			}
		}
	}
	if d.tgt == nil {
		return target{}, false
	}
	return *d.tgt, true
}

// workOutTarget works out the goal: the SLO; else halving the GC-attributable
// part of p99; else, without requests, halving GC CPU (or reaching the GC
// CPU target).
func (d *decider) workOutTarget() (target, bool) {
	r := d.Rules
	if d.lat != nil {
		t := d.attr.Tail99
		if d.SLO != nil {
			goal := d.SLO.Target
			note := ""
			if d.SLO.Quantile != 0.99 {
				// The model predicts p99; carry the observed ratio between
				// the SLO's quantile and p99 over to the prediction.
				q := analyze.NearestRank(sortedCopy(d.attr.Latencies), d.SLO.Quantile)
				if t.Observed > 0 && q > 0 {
					goal = time.Duration(float64(goal) * float64(t.Observed) / float64(q))
				}
				note = fmt.Sprintf(" (the model predicts p99; the p%g objective is carried over at the observed ratio)", d.SLO.Quantile*100)
				d.caveat("the what-if model predicts p99; the p%g objective was compared through the observed p%g/p99 ratio", d.SLO.Quantile*100, d.SLO.Quantile*100)
			}
			return target{
				describe: fmt.Sprintf("p%g ≤ %s%s", d.SLO.Quantile*100, d.SLO.Target, note),
				meets:    func(p whatif.Prediction) bool { return p99Meets(p, goal) },
				score:    func(p whatif.Prediction) float64 { return float64(p.P99 - goal) },
			}, true
		}
		gcPart := d.observed.P99 - t.WithoutGC
		if gcPart <= 0 {
			return target{}, false
		}
		goal := t.WithoutGC + time.Duration(r.TailCut*float64(gcPart))
		return target{
			describe: fmt.Sprintf("the GC-attributable part of p99 cut to %.0f%% (p99 ≤ %s)", r.TailCut*100, goal.Round(time.Microsecond)),
			meets:    func(p whatif.Prediction) bool { return p99Meets(p, goal) },
			score:    func(p whatif.Prediction) float64 { return float64(p.P99 - goal) },
		}, true
	}
	goal := math.Max(r.GCCPUTarget, r.TailCut*d.fit.Observed.GCCPUFraction)
	if d.fit.Observed.GCCPUFraction <= r.GCCPUTarget {
		goal = r.TailCut * d.fit.Observed.GCCPUFraction
	}
	return target{
		describe: fmt.Sprintf("GC CPU ≤ %.1f%%", goal*100),
		meets:    func(p whatif.Prediction) bool { return p.GCCPUFraction <= goal },
		score:    func(p whatif.Prediction) float64 { return p.GCCPUFraction - goal },
	}, true
}

// p99Meets says whether p's p99 is shown to be at most goal: a lower
// bound (the predicted cycles press harder than any observed) shows
// nothing under it.
func p99Meets(p whatif.Prediction, goal time.Duration) bool {
	return p.HasP99 && p.P99 <= goal && p.P99Bound != whatif.BoundLower
}

func sortedCopy(ds []time.Duration) []time.Duration {
	out := slices.Clone(ds)
	slices.Sort(out)
	return out
}

// fits says whether a prediction stays inside the memory budget with the
// headroom the rules ask for, without the GC taking over the CPU.
func (d *decider) fits(p whatif.Prediction) bool {
	if p.Unbounded || p.LimiterEngaged || p.OverLimit || p.PeakMemory < 0 {
		return false
	}
	if d.Budget > 0 && float64(p.PeakMemory) > (1-d.Rules.MemoryHeadroom)*float64(d.Budget) {
		return false
	}
	return p.GCCPUFraction < d.Rules.GCCPUHigh || p.GCCPUFraction <= d.observed.GCCPUFraction
}

// fitsBudget is fits with the budget itself in place of the budget less
// its headroom.
func (d *decider) fitsBudget(p whatif.Prediction) bool {
	if p.Unbounded || p.LimiterEngaged || p.OverLimit || p.PeakMemory < 0 {
		return false
	}
	if d.Budget > 0 && p.PeakMemory > d.Budget {
		return false
	}
	return p.GCCPUFraction < d.Rules.GCCPUHigh || p.GCCPUFraction <= d.observed.GCCPUFraction
}

// decideTune tries tune: a setting inside the budget meets the target. It
// gives tune (with a recommended setting, or nothing to change) and says
// whether it did.
func (d *decider) decideTune() bool {
	if d.fit == nil {
		return false
	}
	d.rule = Tune
	tg, ok := d.cachedTarget()
	if !ok {
		return false
	}
	good := d.settingsMeeting(tg)
	if len(good) == 0 {
		d.evidence("settings_meeting_target", 0, ">=", 1, "count", "no GOGC/GOMEMLIMIT in the grid meets "+tg.describe+" inside the memory budget")
		return false
	}
	d.v.ID = Tune
	if d.decideNothingToChange(tg, good) {
		return true
	}
	good, costly := d.withinMemoryFactor(good)
	best := d.smallestChange(good)
	rec := d.recommendation(best)
	d.v.Settings = rec
	d.evidence("settings_meeting_target", float64(len(good)), ">=", 1, "count", tg.describe)
	if best.HasP99 {
		d.evidence("predicted_p99_ms", ms(float64(best.P99)), "<=", ms(float64(d.observed.P99)), "ms", "predicted for the recommended setting against the model's p99 for the current one")
	}
	if d.Budget <= 0 && !best.Unbounded && !d.observed.Unbounded && best.PeakMemory > d.observed.PeakMemory {
		d.caveat("no memory budget given (--mem-budget): this setting raises the predicted peak memory from %s to %s; check that it fits where the service runs",
			units.Size(d.observed.PeakMemory), units.Size(best.PeakMemory))
	}
	if d.Budget > 0 {
		d.evidence("predicted_peak_memory_bytes", float64(best.PeakMemory), "<=", (1-d.Rules.MemoryHeadroom)*float64(d.Budget), "bytes", "the memory budget less its headroom")
	}
	tight := d.fit.LimitBoundCycles > 0 && (d.observed.LimiterEngaged || d.observed.BackToBack)
	if tight {
		d.evidence("limit_bound_cycles", float64(d.fit.LimitBoundCycles), ">", 0, "count", "the memory limit set the heap goal, with the GC running back to back or its CPU limiter engaged")
	}
	what := rec.Setting.String()
	switch {
	case tight:
		d.v.Summary = fmt.Sprintf("the memory limit is too tight: the GC runs back to back; %s meets %s", what, tg.describe)
	default:
		d.v.Summary = fmt.Sprintf("set %s: predicted to meet %s", what, tg.describe)
	}
	if costly {
		d.v.Summary += fmt.Sprintf(", at %.1f× today's peak memory (%s instead of %s; no --mem-budget given, and no setting under %g× meets it)",
			float64(best.PeakMemory)/float64(d.observed.PeakMemory), units.Size(best.PeakMemory), units.Size(d.observed.PeakMemory), d.Rules.TuneMemoryFactor)
	}
	d.v.Actions = append(d.v.Actions, fmt.Sprintf("run with %s (environment variables, or debug.SetGCPercent and debug.SetMemoryLimit at start-up)", what))
	d.v.Actions = append(d.v.Actions, fmt.Sprintf("predicted: %.1f GC/s, GC CPU %.1f%%, peak memory %s%s", best.GCPerSecond, best.GCCPUFraction*100, units.Size(best.PeakMemory), p99Note(best)))
	d.v.Actions = append(d.v.Actions, "capture again with the new setting and compare with this prediction (gcwatch analyze)")
	return true
}

// settingsMeeting lists the settings of the grid (at today's allocation
// rate) that fit the budget and meet tg.
func (d *decider) settingsMeeting(tg target) []whatif.Prediction {
	var good []whatif.Prediction
	for _, p := range d.grid {
		if d.fits(p) && tg.meets(p) {
			good = append(good, p)
		}
	}
	return good
}

// bestSetting is the setting tune recommends among those that meet the
// target (good, not empty): the smallest change within the memory factor.
func (d *decider) bestSetting(good []whatif.Prediction) (best whatif.Prediction, costly bool) {
	good, costly = d.withinMemoryFactor(good)
	return d.smallestChange(good), costly
}

// recommendation is the verdict.settings shape for a prediction, against
// the model's prediction for the current settings.
func (d *decider) recommendation(p whatif.Prediction) *Recommendation {
	cur := d.observed.Row()
	rec := &Recommendation{Setting: p.Settings.Setting(), Predicted: p.Row(), Current: &cur}
	if d.Budget > 0 && !p.Unbounded {
		h := d.Budget - p.PeakMemory
		rec.HeadroomBytes = &h
	}
	return rec
}

// decideNothingToChange gives tune with nothing to change when no setting
// changes enough: the current settings meet the target, or, without an
// SLO, no setting that meets it cuts p99 by TuneGainMin. It says so,
// recommends nothing, and reports whether it decided.
func (d *decider) decideNothingToChange(tg target, good []whatif.Prediction) bool {
	cur := d.fit.Settings()
	what := cur.String()
	if tg.meets(d.observed) || slices.ContainsFunc(good, func(p whatif.Prediction) bool { return p.Settings == cur }) {
		d.evidence("settings_meeting_target", float64(len(good)), ">=", 1, "count", tg.describe+", the current settings among them")
		d.v.Summary = fmt.Sprintf("nothing to change: the current settings (%s) already meet %s", what, tg.describe)
		d.v.Actions = append(d.v.Actions, fmt.Sprintf("keep %s; capture again when the load or the code changes", what))
		return true
	}
	// A limit that keeps the GC running back to back costs CPU more than
	// p99: lifting it is worth it whatever p99 gains.
	tight := d.fit.LimitBoundCycles > 0 && (d.observed.LimiterEngaged || d.observed.BackToBack)
	if d.SLO != nil || tight || !d.observed.HasP99 || d.observed.P99 <= 0 {
		return false
	}
	gain := func(p whatif.Prediction) float64 { return float64(d.observed.P99-p.P99) / float64(d.observed.P99) }
	best := slices.MaxFunc(good, func(a, b whatif.Prediction) int { return cmp.Compare(gain(a), gain(b)) })
	if d.evidence("predicted_p99_gain", gain(best), ">=", d.Rules.TuneGainMin, "fraction", "the largest p99 cut a setting meeting the target is predicted to give, against the model's p99 for the current settings") {
		return false
	}
	d.v.Summary = fmt.Sprintf("nothing to change: no GOGC/GOMEMLIMIT is predicted to cut p99 by %.0f%% or more (at best %.0f%%, with %s); %s stays", d.Rules.TuneGainMin*100, gain(best)*100, best.Settings, what)
	d.v.Actions = append(d.v.Actions, "give an objective (--slo p99=…) if a smaller gain matters; capture again when the load or the code changes")
	return true
}

// withinMemoryFactor keeps, without a memory budget, the settings whose
// predicted peak memory is at most TuneMemoryFactor times today's; when
// none is, it keeps them all and says they are costly.
func (d *decider) withinMemoryFactor(good []whatif.Prediction) (kept []whatif.Prediction, costly bool) {
	if d.Budget > 0 || d.observed.PeakMemory <= 0 || d.observed.Unbounded {
		return good, false
	}
	limit := d.Rules.TuneMemoryFactor * float64(d.observed.PeakMemory)
	for _, p := range good {
		if float64(p.PeakMemory) <= limit {
			kept = append(kept, p)
		}
	}
	if len(kept) == 0 {
		return good, true
	}
	return kept, false
}

// smallestChange picks, among predictions that meet the target, the
// smallest change that does it: the settings nearest the current ones,
// then the least memory, then the least GC CPU. good must not be empty.
func (d *decider) smallestChange(good []whatif.Prediction) whatif.Prediction {
	cur := d.fit.Settings()
	slices.SortStableFunc(good, func(a, b whatif.Prediction) int {
		return cmp.Or(cmp.Compare(settingsDistance(cur, a.Settings), settingsDistance(cur, b.Settings)),
			cmp.Compare(a.PeakMemory, b.PeakMemory), cmp.Compare(a.GCCPUFraction, b.GCCPUFraction))
	})
	return good[0]
}

func p99Note(p whatif.Prediction) string {
	if !p.HasP99 {
		return ""
	}
	return fmt.Sprintf(", p99 %s%s", boundWord(p.P99Bound), p.P99.Round(time.Microsecond))
}

// boundWord is what goes before a p99 that is a bound.
func boundWord(b whatif.Bound) string {
	switch b {
	case whatif.BoundUpper:
		return "at most "
	case whatif.BoundLower:
		return "at least "
	}
	return ""
}

// decideBeyondTuning gives the verdict when no rule before it did: no
// setting in the budget is enough at today's allocation rate. Is the cost
// the allocation rate's (reduce-allocation) or the live heap's
// (migration-candidate)? The cheaper remedy wins unless the model shows it
// cannot work: migration needs long marking per cycle, a live heap that
// fills the budget, and no setting inside the budget meeting the target
// even with the allocation rate cut by AllocCutIntrinsic.
func (d *decider) decideBeyondTuning() {
	r := d.Rules
	in := d.intrinsic()
	d.rule = MigrationCandidate
	markHigh := d.evidence("mark_wall_per_cycle_ms", ms(float64(in.markWall)), ">=", ms(float64(r.MarkWallHigh)), "ms",
		fmt.Sprintf("a cycle's sweep termination to mark termination, at %s scanned", units.Size(int64(in.scan))))
	heapBound := true
	if !math.IsNaN(in.liveShare) {
		heapBound = d.evidence("live_heap_share_of_budget", in.liveShare, ">=", r.LiveHeapBudgetShare, "fraction", "live heap and the runtime's other memory against the memory budget")
	} else {
		d.caveat("no memory budget given (--mem-budget): whether the heap could grow is not known")
	}
	d.rule = ReduceAllocation
	if d.tgt == nil {
		// No model or no target: what less allocation would do is unknown.
		if markHigh && heapBound {
			d.caveat("what less allocation would do could not be predicted (no cost model, or no GC time in p99 to cut): the verdict rests on the mark time and the live heap alone")
			d.migrationVerdict(in.live, in.markWall)
			return
		}
		d.reduceAllocationVerdict(nil)
		return
	}
	cut, found := d.allocCut(*d.tgt)
	if !found {
		note := fmt.Sprintf("alloc_cut_intrinsic: no GOGC/GOMEMLIMIT in the grid meets %s inside the memory budget even at %.0f%% of today's allocation rate", d.tgt.describe, (1-d.maxAllocCut())*100)
		if cut.nearest != nil {
			note += fmt.Sprintf("; nearest: %s, %s", cut.nearest.Settings, predictedNote(*cut.nearest))
		}
		if u := cut.unknown; u != nil {
			note += "; not ruled out: " + d.notRuledOut(*u, *d.tgt)
		}
		d.evidence("settings_meeting_target_at_alloc_cut", 0, ">=", 1, "count", note)
	}
	switch {
	case found && d.evidence("alloc_cut_needed", cut.cut, "<=", r.AllocCutMax, "fraction", "alloc_cut_max: "+cut.note):
		d.reduceAllocationVerdict(&cut)
	case found && d.evidence("alloc_cut_needed", cut.cut, "<=", r.AllocCutIntrinsic, "fraction", "alloc_cut_intrinsic: a deep cut, but the cost is not the live heap's"):
		d.reduceAllocationVerdict(&cut)
	case cut.unknown != nil:
		// Migration needs it shown that cutting allocation does not work;
		// the model cannot show it, so the cheaper remedy stands.
		d.caveat("whether %.0f%% less allocation meets %s is not ruled out: %s; cut the allocation and capture again before considering a migration", d.maxAllocCut()*100, d.tgt.describe, d.notRuledOut(*cut.unknown, *d.tgt))
		d.confidenceAtMost("low")
		d.reduceAllocationVerdict(nil)
	case markHigh && heapBound:
		d.migrationVerdict(in.live, in.markWall)
	default:
		d.caveat("the model predicts that even %.0f%% less allocation does not meet %s inside the budget: the budget must grow as well", d.maxAllocCut()*100, d.tgt.describe)
		d.reduceAllocationVerdict(nil)
	}
}

// intrinsicCost is what says whether the GC cost is the live heap's: the
// mark time per cycle and how much of the budget the live heap fills.
type intrinsicCost struct {
	live     int64
	scan     float64
	markWall time.Duration
	// liveShare is the live heap and the runtime's other memory over the
	// budget; NaN without a budget.
	liveShare float64
}

func (d *decider) intrinsic() intrinsicCost {
	in := intrinsicCost{liveShare: math.NaN()}
	in.live, in.scan, in.markWall = d.liveAndMark()
	if d.Budget > 0 && in.live > 0 {
		nonHeap := int64(0)
		if d.fit != nil {
			nonHeap = d.fit.NonHeap
		}
		in.liveShare = float64(in.live+nonHeap) / float64(d.Budget)
	}
	return in
}

// markHigh and heapBound are the migration rule's two conditions (a heap
// whose share of the budget is unknown counts as bound, as the rule has
// it; the verdict then lacks data).
func (in intrinsicCost) markHigh(r Thresholds) bool { return in.markWall >= r.MarkWallHigh }
func (in intrinsicCost) heapBound(r Thresholds) bool {
	return math.IsNaN(in.liveShare) || in.liveShare >= r.LiveHeapBudgetShare
}

// allocCut is the smallest cut of the allocation rate with which a setting
// inside the budget meets the target.
type allocCut struct {
	cut  float64 // the share of today's allocation rate to remove
	best whatif.Prediction
	note string
	// nearest is, when no cut up to the largest searched meets the
	// target, the setting that comes nearest at that cut (nil when none
	// fits the budget).
	nearest *whatif.Prediction
	// unknown is, when no cut meets the target, a setting at the largest
	// cut that the model cannot rule out: inside the budget itself (its
	// headroom waived: it is a margin for recommending, not a proof of
	// failure) and either meeting the target or with a p99 that is only an
	// upper bound over it. Migration needs the cut shown not to work; with
	// such a setting it is not (nil otherwise).
	unknown *whatif.Prediction
}

// minClaimedAllocRate is the least allocation rate a summary names as the
// GC's driver: below 1 KiB/s it prints as 0 KiB/s and drives nothing.
const minClaimedAllocRate = 1 << 10

// allocCutStep is the resolution the needed cut is searched at.
const allocCutStep = 0.05

// maxAllocCut is the deepest cut searched: the larger of alloc_cut_max and
// alloc_cut_intrinsic, at most all of it.
func (d *decider) maxAllocCut() float64 {
	return min(max(d.Rules.AllocCutMax, d.Rules.AllocCutIntrinsic, 0), 1)
}

// allocCut searches cuts of the allocation rate in steps of allocCutStep up
// to maxAllocCut for the smallest with which a setting in the grid fits the
// budget and meets tg. Not finding one, it names the nearest miss. The
// search runs once per target: the verdict and the options ladder share it.
func (d *decider) allocCut(tg target) (allocCut, bool) {
	if d.cut != nil {
		return *d.cut, d.cutFound
	}
	maxCut := d.maxAllocCut()
	var nearest *whatif.Prediction
	res, found := allocCut{}, false
	for i := 1; ; i++ {
		cut := min(float64(i)*allocCutStep, maxCut)
		var good []whatif.Prediction
		for _, p := range whatif.GridAt(*d.fit, d.budgetOrNone(), 1-cut, d.lat) {
			switch {
			case !d.fits(p):
			case tg.meets(p):
				good = append(good, p)
			case cut == maxCut:
				if nearest == nil || tg.score(p) < tg.score(*nearest) {
					nearest = &p
				}
			}
			if cut == maxCut && !tg.meets(p) && p.P99Bound == whatif.BoundUpper && d.fitsBudget(p) &&
				(res.unknown == nil || tg.score(p) < tg.score(*res.unknown)) {
				res.unknown = &p
			}
			if cut == maxCut && tg.meets(p) && !d.fits(p) && d.fitsBudget(p) && res.unknown == nil {
				res.unknown = &p
			}
		}
		if len(good) > 0 {
			best := d.smallestChange(good)
			res, found = allocCut{cut: cut, best: best, note: fmt.Sprintf("with %s at %.0f%% of today's allocation rate: %s", best.Settings, (1-cut)*100, predictedNote(best))}, true
			break
		}
		if cut >= maxCut {
			res.nearest = nearest
			break
		}
		res.unknown = nil
	}
	d.cut, d.cutFound = &res, found
	return res, found
}

// predictedNote is what the model predicts for p, in words.
func predictedNote(p whatif.Prediction) string {
	return fmt.Sprintf("predicted %.1f GC/s, GC CPU %.1f%%, peak memory %s%s", p.GCPerSecond, p.GCCPUFraction*100, units.Size(p.PeakMemory), p99Note(p))
}

// migrationVerdict gives the migration-candidate verdict.
func (d *decider) migrationVerdict(live int64, markWall time.Duration) {
	d.v.ID = MigrationCandidate
	d.v.Summary = fmt.Sprintf("the GC cost is intrinsic to the live heap (%s, %s of marking per cycle) and no setting inside the budget meets the target", units.Size(live), markWall.Round(time.Millisecond))
	if d.tgt != nil {
		d.v.Summary += fmt.Sprintf(", not even with %.0f%% less allocation", max(d.Rules.AllocCutMax, d.Rules.AllocCutIntrinsic)*100)
	} else {
		d.v.Summary = fmt.Sprintf("the GC cost looks intrinsic to the live heap (%s, %s of marking per cycle); no setting could be tested against a target (no cost model, or no GC time in p99 to cut)", units.Size(live), markWall.Round(time.Millisecond))
	}
	d.v.Actions = append(d.v.Actions,
		"shrink or restructure the live heap first: fewer pointers (indices instead of pointers, []T instead of []*T, off-heap or arena-like storage) cut the mark cost per byte",
		"if that cannot be done, this service is in the situation the decision record describes: compare the estimate below with the record's p99 −25% and memory −50%")
}

// reduceAllocationVerdict gives the reduce-allocation verdict; cut, when the model
// found one, says by how much and with which setting.
func (d *decider) reduceAllocationVerdict(cut *allocCut) {
	d.v.ID = ReduceAllocation
	rate := 0.0
	if d.fit != nil {
		rate = d.fit.AllocRate
		d.evidence("alloc_bytes_per_second", rate, ">", 0, "B/s", "the allocation rate sets how often the GC runs")
	}
	if cut != nil {
		d.v.Summary = fmt.Sprintf("no GOGC/GOMEMLIMIT inside the budget is enough at today's allocation rate (%s/s); %.0f%% less allocation (%s/s) meets %s with %s",
			units.Size(int64(rate)), cut.cut*100, units.Size(int64(rate*(1-cut.cut))), d.tgt.describe, cut.best.Settings)
	} else if d.cut != nil && d.cut.unknown != nil {
		d.v.Summary = fmt.Sprintf("no GOGC/GOMEMLIMIT inside the budget is enough at today's allocation rate (%s/s); whether less allocation is enough is not modelled, and nothing shows the cost to be the live heap's", units.Size(int64(rate)))
	} else if rate >= minClaimedAllocRate {
		d.v.Summary = fmt.Sprintf("no GOGC/GOMEMLIMIT inside the budget is enough; the allocation rate (%s/s) drives the GC cost, not the live heap", units.Size(int64(rate)))
	} else {
		// A rate that rounds to nothing cannot be what drives the cost.
		d.v.Summary = "no GOGC/GOMEMLIMIT inside the budget is known to be enough, and the allocation rate was not measured: whether allocation or the live heap drives the GC cost is not known"
	}
	if al := d.Run.Allocs; al != nil && len(al.Sites) > 0 {
		d.v.AllocSites = al.Sites[:min(5, len(al.Sites))]
		top := al.Sites[0]
		via := ""
		if top.Via != "" {
			via = " through " + top.Via
		}
		d.v.Actions = append(d.v.Actions, fmt.Sprintf("start with %s (%s:%d)%s: %.0f%% of the bytes allocated", top.Function, top.File, top.Line, via, top.Share*100))
	} else {
		d.v.Actions = append(d.v.Actions, "give a heap or allocs profile of the same process (curl /debug/pprof/allocs) to name the allocation sites to fix first")
	}
	d.v.Actions = append(d.v.Actions, "reuse buffers (sync.Pool), avoid per-request garbage such as fmt and string concatenation on hot paths, preallocate slices and maps")
	if cut != nil {
		d.v.Actions = append(d.v.Actions, fmt.Sprintf("with allocation cut by %.0f%%, run with %s: %s", cut.cut*100, cut.best.Settings, predictedNote(cut.best)))
	}
}

// liveAndMark returns the live heap, the bytes a cycle scans and the mark
// wall time per cycle, from the fit or, without one, from the last cycles.
func (d *decider) liveAndMark() (live int64, scan float64, markWall time.Duration) {
	if d.fit != nil {
		scan = d.fit.ScanBytes()
		return d.fit.LiveHeap, scan, time.Duration(d.fit.MarkWall.At(scan))
	}
	var n int
	var wall time.Duration
	for _, c := range d.Run.Cycles {
		if c.Partial {
			continue
		}
		if c.HeapLive > 0 {
			live = c.HeapLive
		}
		wall += c.End.Sub(c.Start)
		n++
	}
	if n > 0 {
		markWall = wall / time.Duration(n)
	}
	return live, float64(live), markWall
}

// settingsDistance measures how far settings b are from a: doublings of
// GOGC (off counts as 6400) plus doublings of the limit, with adding or
// removing a limit counting as one.
func settingsDistance(a, b whatif.Settings) float64 {
	g := func(v int) float64 {
		if v < 0 {
			return 6400
		}
		return math.Max(float64(v), 1)
	}
	d := math.Abs(math.Log2(g(b.GOGC) / g(a.GOGC)))
	switch {
	case (a.MemoryLimit < 0) != (b.MemoryLimit < 0):
		d++
	case a.MemoryLimit > 0 && b.MemoryLimit > 0:
		d += math.Abs(math.Log2(float64(b.MemoryLimit) / float64(a.MemoryLimit)))
	}
	return d
}
