package whatif

import (
	"math"

	"github.com/gcwatch/gcwatch/internal/units"
)

// Off is the GOGC value for GOGC=off; NoLimit is the MemoryLimit for no
// GOMEMLIMIT.
const (
	Off     = -1
	NoLimit = -1
)

// Settings are the two GC knobs the what-if model varies.
type Settings struct {
	// GOGC in percent; Off (any negative value) turns the GOGC goal off.
	GOGC int
	// MemoryLimit is GOMEMLIMIT in bytes; NoLimit (any negative value)
	// means none.
	MemoryLimit int64
}

// Setting is the settings as gcwatch's JSON writes them.
func (s Settings) Setting() units.Setting {
	return units.Setting{GOGC: units.GOGC(max(s.GOGC, Off)), MemoryLimit: units.Limit(max(s.MemoryLimit, NoLimit))}
}

// String formats the settings the way a user would set them:
// "GOGC=200 GOMEMLIMIT=off".
func (s Settings) String() string { return s.Setting().String() }

// Known are the settings the user told us, for when the inputs did not
// show them. A nil field is unknown.
type Known struct {
	GOGC        *int   // negative: off
	MemoryLimit *int64 // negative: none
}

// Constants of the runtime's pacer (runtime/mgcpacer.go, Go 1.21+).
const (
	// heapMinimum is the smallest heap goal at GOGC=100; the runtime
	// scales it by GOGC/100.
	heapMinimum = 4 << 20
	// limitHeadroomPercent and limitMinHeadroom are the slack the pacer
	// leaves under the memory limit for pacing errors: 3 % of the goal the
	// limit would allow, at least 1 MiB.
	limitHeadroomPercent = 3
	limitMinHeadroom     = 1 << 20
	// limiterCap is the share of CPU the GC CPU limiter lets the GC take in
	// the long run: its bucket fills with GC time and drains with mutator
	// time, so it engages once the GC would take more than half.
	limiterCap = 0.5
	// forcedPeriod is the runtime's forced GC period (forcegcperiod): with
	// GOGC on, a cycle runs at least every two minutes.
	forcedPeriodSeconds = 120
	// sweepMinHeapDistance is the runway the pacer keeps above the heap at
	// the end of a cycle for the sweeper, when not limited by memory.
	sweepMinHeapDistance = 1 << 20
)

// gogcGoal is the heap goal GOGC sets after a cycle that marked live bytes
// with roots bytes of stacks and globals: live + (live+roots)·GOGC/100, at
// least the heap minimum scaled by GOGC/100 and the sweeper's runway above
// the live heap. It is +Inf for GOGC off.
func gogcGoal(gogc int, live, roots float64) float64 {
	if gogc < 0 {
		return math.Inf(1)
	}
	g := float64(gogc) / 100
	return max(live+(live+roots)*g, heapMinimum*g, live+sweepMinHeapDistance)
}

// limitGoal is the heap goal a memory limit allows when the runtime holds
// nonHeap bytes outside heap objects: the rest of the limit, less the
// pacer's headroom, and never below the live heap. It is +Inf without a
// limit.
func limitGoal(limit int64, nonHeap, live float64) float64 {
	if limit < 0 {
		return math.Inf(1)
	}
	room := float64(limit) - nonHeap
	if room <= 0 {
		// Memory outside the heap alone fills the limit: the runtime
		// then sets the goal to the live heap and runs GC continuously.
		return live
	}
	headroom := math.Max(room*limitHeadroomPercent/100, limitMinHeadroom)
	goal := room - headroom
	if room < 2*headroom {
		goal = headroom
	}
	return math.Max(goal, live)
}

// nonHeapFromLimitGoal inverts limitGoal: the memory outside heap objects
// that makes a limit produce the observed goal.
func nonHeapFromLimitGoal(limit int64, goal float64) float64 {
	room := goal / (1 - limitHeadroomPercent/100.0)
	if room*limitHeadroomPercent/100 < limitMinHeadroom {
		room = goal + limitMinHeadroom
	}
	return float64(limit) - room
}
