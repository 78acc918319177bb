package advice

import (
	"fmt"
	"math"
	"slices"
	"time"

	"github.com/gcwatch/gcwatch/internal/model"
	"github.com/gcwatch/gcwatch/internal/units"
	"github.com/gcwatch/gcwatch/internal/whatif"
)

// The options ladder's steps that are not verdicts. The other three steps
// carry the ids of the verdicts they lead to: Tune, ReduceAllocation and
// MigrationCandidate.
const (
	UpgradeGo       = "upgrade-go"
	RestructureHeap = "restructure-heap"
)

// LadderOrder is the options ladder, cheapest remedy first.
var LadderOrder = []string{Tune, ReduceAllocation, UpgradeGo, RestructureHeap, MigrationCandidate}

// Option is one remedy on the ladder, with what the model predicts for it.
//
// Modelled says whether P99Ms, GCCPUFraction and PeakMemoryBytes are
// predictions (the what-if model for tune and reduce-allocation; for
// migration-candidate the slowest requests without their GC time, no GC
// CPU, memory at the live heap). When it is false all three are null: "not
// modelled". A modelled field can still be null: p99 without request
// latencies, peak memory when it is unbounded.
//
// MeetsTarget is true or false when the prediction was compared with the
// verdict's target, null when it could not be (not modelled, an estimate,
// no target). Recommended is set on at most one option: the first
// applicable one that meets the target, when the data is sufficient and
// the verdict is that option's (tune, reduce-allocation,
// migration-candidate). gc-not-the-cause and fix-stw-delay are decided
// before the ladder and recommend none of it; so does a report with too
// little data.
type Option struct {
	ID     string `json:"id"`
	Change string `json:"change"`
	// Applicable is false for a step that does not fit this process (Go
	// already at 1.26, a heap whose marking is short); Note says why.
	Applicable bool   `json:"applicable"`
	Modelled   bool   `json:"modelled"`
	Basis      string `json:"basis"`

	P99Ms           *float64 `json:"p99_ms"`
	GCCPUFraction   *float64 `json:"gc_cpu_fraction"`
	PeakMemoryBytes *int64   `json:"peak_memory_bytes"`

	MeetsTarget *bool  `json:"meets_target"`
	Recommended bool   `json:"recommended"`
	Note        string `json:"note,omitempty"`

	// Settings (tune, reduce-allocation) is the setting the option runs
	// with, in verdict.settings' shape; its predicted row is the one the
	// figures above come from (for reduce-allocation at AllocRateFactor).
	Settings *Recommendation `json:"settings,omitempty"`
	// AllocCut (reduce-allocation) is the share of today's allocation rate
	// to remove, AllocBytesPerSecond the rate that leaves, AllocSites
	// where to start (from a heap or allocs profile).
	AllocCut            *float64          `json:"alloc_cut,omitempty"`
	AllocBytesPerSecond *float64          `json:"alloc_bytes_per_second,omitempty"`
	AllocSites          []model.AllocSite `json:"alloc_sites,omitempty"`
	// Runtime and Estimate (upgrade-go): the release the process runs, and
	// the published range applied to today's GC CPU.
	Runtime  *RuntimeVersion `json:"runtime,omitempty"`
	Estimate *Estimate       `json:"estimate,omitempty"`
	// Migration (migration-candidate) is verdict.migration: gcwatch's
	// estimate beside the decision record's figures.
	Migration *MigrationEstimate `json:"migration,omitempty"`

	// NotRuledOut is set on a step the model can neither show to meet the
	// target nor rule out (MeetsTarget null, Note says why): no later step
	// is recommended over it.
	NotRuledOut bool `json:"not_ruled_out,omitempty"`
}

// Estimate is a figure taken from a published range, not from the model
// of this process.
type Estimate struct {
	// GCCPUFractionLow and High are today's measured GC CPU less the
	// range's high and low savings.
	GCCPUFractionLow  float64 `json:"gc_cpu_fraction_low"`
	GCCPUFractionHigh float64 `json:"gc_cpu_fraction_high"`
	SavingLow         float64 `json:"gc_cpu_saving_low"`
	SavingHigh        float64 `json:"gc_cpu_saving_high"`
	Source            string  `json:"source"`
}

// greenTeaSource is where the range comes from.
const greenTeaSource = "Go 1.26 release notes (go.dev/doc/go1.26): the Green Tea collector, the default from Go 1.26, is expected to cut GC overhead by 10–40% in real programs that use the GC heavily"

// buildOptions builds the ladder for the verdict reached; markRecommended marks the
// recommended option once the data is known to be sufficient.
func (d *decider) buildOptions() {
	tg, hasTarget := d.cachedTarget()
	in := d.intrinsic()
	d.v.Options = []Option{
		d.tuneOption(tg, hasTarget),
		d.allocOption(tg, hasTarget),
		d.upgradeOption(),
		d.restructureOption(in),
		d.migrationOption(tg, hasTarget, in),
	}
	if hasTarget {
		d.v.Target = tg.describe
	}
	// Before a rewrite, the cheaper steps that are not modelled come first
	// in what to do, as on the ladder.
	if up := d.v.Options[2]; d.v.ID == MigrationCandidate && up.Applicable && up.Estimate != nil {
		d.v.Actions = append([]string{fmt.Sprintf("first upgrade Go (%s) to 1.26 or later: the Go team expects 10–40%% less GC CPU on programs that use the GC heavily — an estimate (GC CPU %.1f–%.1f%% here), so capture again after upgrading",
			up.Runtime.Version, up.Estimate.GCCPUFractionLow*100, up.Estimate.GCCPUFractionHigh*100)}, d.v.Actions...)
	}
}

// markRecommended marks the first applicable option that meets the target, when
// the verdict is that option's. A verdict on the ladder that disagrees
// with the ladder is a bug in one of them: it is said, not hidden.
func (d *decider) markRecommended() {
	i := slices.IndexFunc(d.v.Options, func(o Option) bool {
		return o.Applicable && (o.NotRuledOut || o.MeetsTarget != nil && *o.MeetsTarget)
	})
	onLadder := d.v.ID == Tune || d.v.ID == ReduceAllocation || d.v.ID == MigrationCandidate
	if i < 0 || !onLadder || !d.v.SufficientData || d.v.Options[i].NotRuledOut {
		return
	}
	if d.v.Options[i].ID != d.v.ID {
		d.caveat("the options ladder's first option to meet the target is %s, not the verdict's: report this as a gcwatch bug", d.v.Options[i].ID)
		return
	}
	d.v.Options[i].Recommended = true
}

// predicted fills an option's figures from a model prediction.
func (o *Option) predicted(p whatif.Prediction) {
	o.Modelled = true
	cpu := p.GCCPUFraction
	o.GCCPUFraction = &cpu
	if p.HasP99 {
		v := ms(float64(p.P99))
		o.P99Ms = &v
	}
	if !p.Unbounded && p.PeakMemory >= 0 {
		v := p.PeakMemory
		o.PeakMemoryBytes = &v
	}
}

func boolPtr(b bool) *bool { return &b }

// tuneOption: a GOGC/GOMEMLIMIT setting at today's allocation rate, chosen
// as the tune verdict chooses it.
func (d *decider) tuneOption(tg target, hasTarget bool) Option {
	o := Option{ID: Tune, Applicable: true, Basis: "what-if model at today's allocation rate", Change: "a GOGC/GOMEMLIMIT setting"}
	switch {
	case d.fit == nil:
		o.Basis, o.Note = "not modelled", "no cost model could be fitted: no setting can be predicted"
		return o
	case !hasTarget:
		o.Note = "no target to meet (no GC time in p99 to cut)"
		return o
	}
	good := d.settingsMeeting(tg)
	o.MeetsTarget = boolPtr(len(good) > 0)
	cur := d.fit.Settings()
	keep := cur.String()
	switch {
	case len(good) > 0 && (tg.meets(d.observed) || slices.ContainsFunc(good, func(p whatif.Prediction) bool { return p.Settings == cur })):
		// The current settings meet it: the option is to keep them.
		o.Settings = d.recommendation(d.observed)
		o.predicted(d.observed)
		o.Change = "keep " + keep + ": the current settings meet the target"
	case len(good) > 0:
		best, costly := d.bestSetting(good)
		o.Settings = d.recommendation(best)
		o.predicted(best)
		o.Change = fmt.Sprintf("set %s (today %s)", o.Settings.Setting, keep)
		if costly {
			o.Note = fmt.Sprintf("%.1f× today's peak memory: no setting under tune_memory_factor (%g×) meets the target", float64(best.PeakMemory)/float64(d.observed.PeakMemory), d.Rules.TuneMemoryFactor)
		}
		if d.v.ID == Tune && d.v.Settings == nil {
			// decideNothingToChange: the gain is in the noise between captures.
			o.Change = fmt.Sprintf("keep %s: %s would meet the target, but is predicted to cut p99 by less than tune_gain_min (%.0f%%)",
				keep, o.Settings.Setting, d.Rules.TuneGainMin*100)
			o.Note = "the figures are that setting's; the verdict says nothing to change"
		}
	default:
		o.Change = "no GOGC/GOMEMLIMIT in the grid meets the target inside the memory budget"
		if p, fits, ok := d.nearestSetting(d.grid, tg); ok {
			o.Settings = d.recommendation(p)
			o.predicted(p)
			o.Note = nearestNote(o.Settings, fits, "")
		}
	}
	return o
}

// nearestSetting is the prediction that comes nearest the target when none
// meets it, among those that fit the budget. When none fits (fits false),
// it is the nearest among those whose peak stays inside the budget (the
// headroom or the CPU limiter ruled them out), else the smallest peak.
func (d *decider) nearestSetting(ps []whatif.Prediction, tg target) (p whatif.Prediction, fits, ok bool) {
	var best, inBudget, smallest *whatif.Prediction
	for i := range ps {
		q := &ps[i]
		switch {
		case q.Unbounded || q.PeakMemory < 0:
		case d.fits(*q):
			if best == nil || tg.score(*q) < tg.score(*best) {
				best = q
			}
		case d.Budget > 0 && q.PeakMemory <= d.Budget:
			if inBudget == nil || tg.score(*q) < tg.score(*inBudget) {
				inBudget = q
			}
		case smallest == nil || q.PeakMemory < smallest.PeakMemory:
			smallest = q
		}
	}
	for _, q := range []*whatif.Prediction{best, inBudget, smallest} {
		if q != nil {
			return *q, q == best, true
		}
	}
	return whatif.Prediction{}, false, false
}

// nearestNote names the nearest miss, and whether it fits.
func nearestNote(rec *Recommendation, fits bool, at string) string {
	note := fmt.Sprintf("the nearest: %s%s", rec.Setting, at)
	if !fits {
		note = "no setting fits the memory budget with its headroom (or keeps the GC off its CPU limiter); " + note + ", which does not"
	}
	return note
}

// allocOption: cutting the allocation rate, by the least share with which
// a setting inside the budget meets the target (the search the verdict
// runs), at the profile's top sites.
func (d *decider) allocOption(tg target, hasTarget bool) Option {
	o := Option{ID: ReduceAllocation, Applicable: true, Change: "cut the allocation rate"}
	var sites string
	if al := d.Run.Allocs; al != nil && len(al.Sites) > 0 {
		o.AllocSites = al.Sites[:min(5, len(al.Sites))]
		top := al.Sites[0]
		sites = fmt.Sprintf(", starting with %s (%.0f%% of the bytes allocated)", top.Function, top.Share*100)
	}
	switch {
	case d.fit == nil:
		o.Basis, o.Note, o.Change = "not modelled", "no cost model could be fitted: what less allocation would do cannot be predicted", o.Change+sites
		return o
	case !hasTarget:
		o.Basis, o.Note, o.Change = "not modelled", "no target to meet (no GC time in p99 to cut)", o.Change+sites
		return o
	}
	if len(d.settingsMeeting(tg)) > 0 {
		return d.allocOptionKeeping(tg, o, sites)
	}
	cut, found := d.allocCut(tg)
	o.MeetsTarget = boolPtr(found)
	rate := d.fit.AllocRate
	if !found {
		o.Basis = fmt.Sprintf("what-if model at %.0f%% of today's allocation rate", (1-d.maxAllocCut())*100)
		o.Change = fmt.Sprintf("no setting inside the budget meets the target even with %.0f%% less allocation", d.maxAllocCut()*100)
		p, fits, ok := whatif.Prediction{}, true, cut.nearest != nil
		if ok {
			p = *cut.nearest
		} else {
			p, fits, ok = d.nearestSetting(whatif.GridAt(*d.fit, d.budgetOrNone(), 1-d.maxAllocCut(), d.lat), tg)
		}
		if ok {
			o.Settings = d.recommendation(p)
			o.predicted(p)
			o.Note = nearestNote(o.Settings, fits, fmt.Sprintf(" at %.0f%% of today's allocation rate", (1-d.maxAllocCut())*100))
		}
		if u := cut.unknown; u != nil {
			// Not shown to fail: the model cannot say.
			o.MeetsTarget, o.NotRuledOut = nil, true
			o.Settings = d.recommendation(*u)
			o.predicted(*u)
			o.Change = fmt.Sprintf("cut the allocation rate%s: whether that meets the target is not modelled", sites)
			o.Note = d.notRuledOut(*u, tg)
		}
		return o
	}
	o.Basis = fmt.Sprintf("what-if model at %.0f%% of today's allocation rate", (1-cut.cut)*100)
	c, after := cut.cut, rate*(1-cut.cut)
	o.AllocCut, o.AllocBytesPerSecond = &c, &after
	o.Settings = d.recommendation(cut.best)
	o.predicted(cut.best)
	o.Change = fmt.Sprintf("cut the allocation rate by %.0f%% (%s/s to %s/s)%s, with %s",
		c*100, units.Size(int64(rate)), units.Size(int64(after)), sites, o.Settings.Setting)
	return o
}

// notRuledOut says why the model cannot rule out a cut of the allocation
// at setting u (allocCut.unknown).
func (d *decider) notRuledOut(u whatif.Prediction, tg target) string {
	at := fmt.Sprintf("at %.0f%% of today's allocation rate, %s", u.AllocRateFactor*100, u.Settings)
	if tg.meets(u) {
		note := fmt.Sprintf("%s is predicted to meet the target inside the budget, but not its %.0f%% headroom", at, d.Rules.MemoryHeadroom*100)
		if u.P99Bound == whatif.BoundUpper {
			note += fmt.Sprintf(" (p99 at most %s, an upper bound)", u.P99.Round(time.Microsecond))
		}
		return note
	}
	return fmt.Sprintf("%s has a p99 of at most %s, an upper bound over the target: no observed GC cycle was as calm as the predicted ones (or too few requests stayed clear of the GC), so the prediction keeps the queueing they caused", at, u.P99.Round(time.Microsecond))
}

// allocOptionKeeping is the reduce-allocation option when a setting
// already meets the target at today's rate (tune, the cheaper step, does
// it): the alternative that changes the code and not the settings, the
// least cut (allocCutStep steps up to maxAllocCut) with which today's
// settings meet the target.
func (d *decider) allocOptionKeeping(tg target, o Option, sites string) Option {
	cur := d.fit.Settings()
	keep := cur.String()
	rate := d.fit.AllocRate
	maxCut := d.maxAllocCut()
	var p whatif.Prediction
	cut := 0.0
	for i := 0; ; i++ {
		cut = min(float64(i)*allocCutStep, maxCut)
		p = whatif.PredictAt(*d.fit, cur, 1-cut, d.lat)
		if (d.fits(p) && tg.meets(p)) || cut >= maxCut {
			break
		}
	}
	met := d.fits(p) && tg.meets(p)
	o.MeetsTarget = boolPtr(met)
	o.Settings = d.recommendation(p)
	o.predicted(p)
	o.Basis = fmt.Sprintf("what-if model at %.0f%% of today's allocation rate, with today's settings", (1-cut)*100)
	switch {
	case met && cut == 0:
		o.Change = "no cut needed: today's settings (" + keep + ") meet the target"
	case met:
		after := rate * (1 - cut)
		o.AllocCut, o.AllocBytesPerSecond = &cut, &after
		o.Change = fmt.Sprintf("cut the allocation rate by %.0f%% (%s/s to %s/s)%s, keeping %s", cut*100, units.Size(int64(rate)), units.Size(int64(after)), sites, keep)
		o.Note = "the code change instead of the setting: a setting meets the target at today's allocation rate (tune)"
	default:
		o.Change = fmt.Sprintf("with today's settings (%s), even %.0f%% less allocation does not meet the target", keep, maxCut*100)
		o.Note = "a setting meets the target at today's allocation rate (tune)"
	}
	return o
}

// upgradeOption: Go 1.26's Green Tea collector, for a process on an older
// runtime whose GC cost is marking. An estimate from the published range,
// never a prediction: it is not modelled and meets no target.
func (d *decider) upgradeOption() Option {
	rv := runtimeVersion(d.Run)
	o := Option{ID: UpgradeGo, Basis: "not modelled", Runtime: &rv, Change: "upgrade Go to 1.26 or later (the Green Tea collector is its default)"}
	g := d.Analysis.GC.CPU
	mark := g.Assist + g.Background
	markShare := 0.0
	if total := g.STW + mark; total > 0 {
		markShare = mark / total
	}
	switch {
	case rv.OlderThanGreenTea == nil:
		o.Note = rv.describe() + ": if it is older than go1.26, upgrading may cut GC CPU by 10–40% (an estimate)"
		return o
	case !*rv.OlderThanGreenTea:
		o.Note = rv.describe() + ": Green Tea is already the default"
		return o
	case d.Analysis.GC.CPUSource == "" || markShare < d.Rules.UpgradeMarkShare:
		o.Note = fmt.Sprintf("%s, but marking is %.0f%% of the GC CPU (under upgrade_mark_share, %.0f%%): Green Tea speeds up marking", rv.describe(), markShare*100, d.Rules.UpgradeMarkShare*100)
		return o
	}
	o.Applicable = true
	o.Change = fmt.Sprintf("upgrade Go from %s to 1.26 or later (the Green Tea collector is its default)", rv.Version)
	o.Basis = "estimate: the Go team's published range applied to today's GC CPU"
	cpu := d.gcCPU
	o.Estimate = &Estimate{GCCPUFractionLow: cpu * (1 - greenTeaSavingHigh), GCCPUFractionHigh: cpu * (1 - greenTeaSavingLow),
		SavingLow: greenTeaSavingLow, SavingHigh: greenTeaSavingHigh, Source: greenTeaSource}
	o.Note = fmt.Sprintf("an estimate, not a prediction: GC CPU %.1f–%.1f%% instead of %.1f%% if this program gains as the Go team's examples did (%s; marking is %.0f%% of the GC CPU); not all programs do, so capture again after upgrading",
		o.Estimate.GCCPUFractionLow*100, o.Estimate.GCCPUFractionHigh*100, cpu*100, rv.describe(), markShare*100)
	return o
}

// restructureOption: fewer pointers in the live heap. It cuts the mark
// cost per byte by an amount that depends on the heap's shape, which no
// input shows: not modelled.
func (d *decider) restructureOption(in intrinsicCost) Option {
	o := Option{ID: RestructureHeap, Basis: "not modelled",
		Change: "restructure the live heap with fewer pointers (indices instead of pointers, []T instead of []*T, pointer-free keys and values, off-heap or arena-like storage)"}
	if !in.markHigh(d.Rules) {
		o.Note = fmt.Sprintf("marking takes %s per cycle (under mark_wall_high, %s): the heap's pointers are not where the GC cost is", in.markWall.Round(time.Microsecond), d.Rules.MarkWallHigh)
		return o
	}
	o.Applicable = true
	o.Note = fmt.Sprintf("marking takes %s per cycle over %s of live heap; how much fewer pointers save depends on the heap's shape, which the inputs do not show", in.markWall.Round(time.Millisecond), units.Size(in.live))
	return o
}

// migrationOption: removing the GC, in the decision record's terms. Its
// figures are the slowest requests without their GC time, no GC CPU and
// memory at the live heap; it applies only where the cost is intrinsic to
// the live heap (the migration rule's conditions).
func (d *decider) migrationOption(tg target, hasTarget bool, in intrinsicCost) Option {
	o := Option{ID: MigrationCandidate, Basis: "not modelled", Migration: d.v.Migration,
		Change: fmt.Sprintf("move the service to a language without a GC (the decision record's services: p99 %+.0f%%, memory %+.0f%%)", adrP99Change*100, adrMemoryChange*100)}
	r := d.Rules
	o.Applicable = in.markHigh(r) && in.heapBound(r)
	if !o.Applicable {
		o.Note = fmt.Sprintf("the GC cost is not intrinsic to the live heap (marking %s per cycle, mark_wall_high %s", in.markWall.Round(time.Microsecond), r.MarkWallHigh)
		if !math.IsNaN(in.liveShare) {
			o.Note += fmt.Sprintf("; live heap %.0f%% of the budget, live_heap_budget_share %.0f%%", in.liveShare*100, r.LiveHeapBudgetShare*100)
		}
		o.Note += ")"
	}
	m := d.v.Migration
	p := whatif.Prediction{GCCPUFraction: 0, Unbounded: true}
	if m != nil {
		p.P99, p.HasP99 = time.Duration(m.P99WithoutGCMs*1e6), true
	}
	live := int64(-1)
	if m != nil && m.LiveHeapBytes > 0 {
		live = m.LiveHeapBytes
	} else if in.live > 0 {
		live = in.live
	}
	if live > 0 {
		p.PeakMemory, p.Unbounded = live, false
	}
	if m == nil && live <= 0 {
		return o
	}
	o.predicted(p)
	o.Basis = "no GC: p99 of the slowest requests without their GC time, no GC CPU, memory at the live heap"
	if m == nil {
		o.Basis = "no GC: no GC CPU, memory at the live heap (no request latency to say p99)"
	}
	if hasTarget && (p.HasP99 || d.lat == nil) {
		o.MeetsTarget = boolPtr(tg.meets(p))
	}
	if o.Applicable && o.MeetsTarget != nil && !*o.MeetsTarget {
		o.Note = "even without the GC the target is not met: the rest of the tail is over it"
	}
	return o
}
