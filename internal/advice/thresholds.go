package advice

import (
	"encoding/json"
	"fmt"
	"io"
	"math"
	"reflect"
	"strconv"
	"strings"
	"time"
)

// Thresholds are every number the verdict rules compare against, in one
// place. DefaultThresholds documents the defaults and why; a config file
// (Thresholds.Load) or --threshold NAME=VALUE flags (Set) override them. The
// JSON names are the names users write.
type Thresholds struct {
	// GCShareSmall: below this GC-attributable share of the slowest 1 % of
	// requests' time, GC is not what makes the tail. 10 %: less than that
	// and removing the GC entirely would move p99 by less than the noise
	// between two captures of the same service.
	GCShareSmall float64 `json:"gc_share_small"`
	// GCCPUHigh: GC CPU above this is worth acting on even when the tail
	// does not show it (or there are no requests). 25 % is the GC's own
	// background target during marking; a service above it all the time
	// pays for a quarter of its CPU.
	GCCPUHigh float64 `json:"gc_cpu_high"`
	// GCCPUTarget: the GC CPU a tuned service should stay under when no SLO
	// is given and no requests are known. 10 %.
	GCCPUTarget float64 `json:"gc_cpu_target"`
	// TailCut: without an SLO, a setting must cut the GC-attributable part
	// of p99 (or, without requests, the GC CPU) to at most this fraction of
	// what was observed: 0.5, "at least in half".
	TailCut float64 `json:"tail_cut"`
	// MemoryHeadroom: the share of the memory budget a recommended setting
	// must leave free at its predicted peak: 5 %, the GC guide's advice for
	// containers (5–10 %).
	MemoryHeadroom float64 `json:"memory_headroom"`
	// TuneGainMin: without an SLO, a setting is recommended only when the
	// model predicts it cuts p99 by at least this share; below it the
	// verdict says there is nothing to change. 10 %, as GCShareSmall: a
	// smaller change is inside the noise between two captures, and asking
	// for it would send a tuned service ever further (GOGC=200, then 400…).
	TuneGainMin float64 `json:"tune_gain_min"`
	// TuneMemoryFactor: without a memory budget, a setting whose predicted
	// peak memory exceeds this multiple of today's is chosen only when no
	// setting below it meets the target, and the summary then says what it
	// costs. 2: twice today's memory is as far as gcwatch goes unasked.
	TuneMemoryFactor float64 `json:"tune_memory_factor"`
	// TimeToStopMin and TimeToStopShare: a GC pause is a stop-the-world
	// delay when the world took at least TimeToStopMin to stop and that is
	// at least TimeToStopShare of the pause. 1 ms and 50 %: a healthy stop
	// takes tens of microseconds.
	TimeToStopMin   time.Duration `json:"time_to_stop_min"`
	TimeToStopShare float64       `json:"time_to_stop_share"`
	// STWDelayShare: the verdict is fix-stw-delay when time spent stopping
	// the world is at least this share of all GC stop-the-world time. 50 %.
	STWDelayShare float64 `json:"stw_delay_share"`
	// StarvedMinDelays and StarvedLastToStopShare tell a process starved of
	// CPU from one slow to stop. A goroutine that cannot be preempted is
	// the last to stop at most of the pauses it delays; when threads are
	// descheduled (a CPU quota below GOMAXPROCS, a busy host) whichever
	// goroutine was running on the thread the OS put aside is last, a
	// different one at each pause. With at least StarvedMinDelays delayed
	// GC pauses whose last goroutine is known, and no goroutine last at
	// more than StarvedLastToStopShare of them, the process was starved:
	// the verdict is gc-not-the-cause and the action is about CPU. 4 and
	// 50 %: below 4 pauses one goroutine's share says little; the
	// non-preemptible example's loop is last at three quarters of its
	// delayed pauses or more, also when starved itself, while in starved
	// services no goroutine is last at more than one pause in five.
	// Pauses, not stopping time: one long stall can hold most of a starved
	// run's stopping time.
	StarvedMinDelays       int     `json:"starved_min_delays"`
	StarvedLastToStopShare float64 `json:"starved_last_to_stop_share"`
	// StarvedThrottledShare, StarvedCPUShare and StarvedRunnableShare
	// read the CPU the process was given as a capture measured it outside
	// the trace. The cgroup was throttled (ran out of its CPU quota) in at
	// least StarvedThrottledShare of its enforcement periods: 10 %, one
	// period in ten in which every thread of the cgroup waited for the
	// next. Or the process used less than StarvedCPUShare of GOMAXPROCS ×
	// wall time (process_cpu_seconds_total) while its requests' goroutines
	// waited for a P for at least StarvedRunnableShare of the time they
	// wanted the CPU (runnable over running plus runnable): 50 % and 25 %.
	// Low CPU alone is an idle process; waiting goroutines say every P
	// was held, and Ps held with less CPU than there are Ps means the OS
	// did not run their threads. Judgements, not calibrated on recordings.
	StarvedThrottledShare float64 `json:"starved_throttled_share"`
	StarvedCPUShare       float64 `json:"starved_cpu_share"`
	StarvedRunnableShare  float64 `json:"starved_runnable_share"`
	// LiveHeapBudgetShare: the live heap (with the runtime's other memory)
	// takes at least this share of the memory budget, so the heap cannot
	// grow enough for GOGC to space cycles out: the cost is the live heap's.
	// 50 %: at GOGC=100 the heap needs twice the live heap.
	LiveHeapBudgetShare float64 `json:"live_heap_budget_share"`
	// MarkWallHigh: a mark phase at least this long per cycle is a high
	// mark cost: every cycle has a request-visible footprint whatever its
	// frequency. 10 ms.
	MarkWallHigh time.Duration `json:"mark_wall_high"`
	// AllocCutMax: reduce-allocation wins over migration-candidate when the
	// model predicts that cutting the allocation rate by at most this share
	// meets the target inside the budget (with a setting the grid holds).
	// 0.5: halving what a few hot paths allocate is an ordinary code fix
	// (reused buffers, fewer temporary objects); it is far cheaper than a
	// rewrite.
	AllocCutMax float64 `json:"alloc_cut_max"`
	// AllocCutIntrinsic: migration-candidate needs the model to predict that
	// even cutting the allocation rate by this share leaves the target unmet
	// inside the budget: only then is the cost the live heap's, not the
	// allocation's. 0.75, a quarter of today's allocation, more than code
	// fixes usually reach.
	AllocCutIntrinsic float64 `json:"alloc_cut_intrinsic"`
	// UpgradeMarkShare: the options ladder offers upgrading Go (to 1.26,
	// whose Green Tea collector marks faster) to a process on an older
	// runtime when marking — mark assists and background workers — is at
	// least this share of its GC CPU. 0.5: the release's gain is in
	// marking; where stop-the-world time is most of the GC CPU it buys
	// little.
	UpgradeMarkShare float64 `json:"upgrade_mark_share"`
	// MinCycles, MinTailRequests and MinWindow: below these, the verdict's
	// confidence is low (few cycles, a tail of a handful of requests, a
	// short capture). 10 cycles, 10 tail requests (1000 requests), 10 s.
	MinCycles       int           `json:"min_cycles"`
	MinTailRequests int           `json:"min_tail_requests"`
	MinWindow       time.Duration `json:"min_window"`
	// SufficientCycles, SufficientTailRequests and SufficientWindow: below
	// these the inputs are not enough data for any verdict. The verdict id
	// is kept as the leading hypothesis, but the headline says "not enough
	// data: …" with what is missing, nothing is recommended,
	// Verdict.SufficientData is false and --fail-on does not fire. 3
	// complete cycles (the fewest the cost model fits on), 3 requests in
	// the slowest 1 % (so 300 requests: a p99 of one or two requests is one
	// outlier), 100 ms observed (shorter, one burst or one pause is every
	// figure).
	SufficientCycles       int           `json:"sufficient_cycles"`
	SufficientTailRequests int           `json:"sufficient_tail_requests"`
	SufficientWindow       time.Duration `json:"sufficient_window"`
	// NoiseSigmas: a measured figure that carries its standard error (the
	// GC share of the tail) must clear its threshold by this many standard
	// errors before a rule acts on it; closer than that, the rule keeps the
	// verdict that recommends nothing (gc-not-the-cause), its confidence is
	// low and the verdict says which threshold it sits beside. 1: the
	// evidence must clear the threshold by its own noise. Captures of
	// examples/httpsvc under one load gave shares from 0 to 0.30, each
	// within one of its standard errors of 0.10 (docs/verdicts.md).
	NoiseSigmas float64 `json:"noise_sigmas"`
	// FitErrorMax: the what-if model's error predicting the observed GC
	// frequency or CPU above which its predictions are a caveat. 20 %.
	FitErrorMax float64 `json:"fit_error_max"`
}

// DefaultThresholds returns the defaults documented on Thresholds.
func DefaultThresholds() Thresholds {
	return Thresholds{
		GCShareSmall:           0.10,
		GCCPUHigh:              0.25,
		GCCPUTarget:            0.10,
		TailCut:                0.5,
		MemoryHeadroom:         0.05,
		TuneGainMin:            0.10,
		TuneMemoryFactor:       2,
		TimeToStopMin:          time.Millisecond,
		TimeToStopShare:        0.5,
		STWDelayShare:          0.5,
		LiveHeapBudgetShare:    0.5,
		MarkWallHigh:           10 * time.Millisecond,
		AllocCutMax:            0.5,
		AllocCutIntrinsic:      0.75,
		MinCycles:              10,
		MinTailRequests:        10,
		MinWindow:              10 * time.Second,
		SufficientCycles:       3,
		SufficientTailRequests: 3,
		SufficientWindow:       100 * time.Millisecond,
		FitErrorMax:            0.20,
		NoiseSigmas:            1,

		StarvedMinDelays:       4,
		StarvedLastToStopShare: 0.5,
		StarvedThrottledShare:  0.1,
		StarvedCPUShare:        0.5,
		StarvedRunnableShare:   0.25,
		UpgradeMarkShare:       0.5,
	}
}

// durationType is the type of the duration thresholds, written in files
// and flags as Go durations ("1ms").
var durationType = reflect.TypeOf(time.Duration(0))

// Set overrides one threshold by its JSON name: a number, or a Go duration
// for the durations.
func (t *Thresholds) Set(name, value string) error {
	v := reflect.ValueOf(t).Elem()
	for i := 0; i < v.NumField(); i++ {
		f := v.Type().Field(i)
		if f.Tag.Get("json") != name {
			continue
		}
		fv := v.Field(i)
		switch {
		case f.Type == durationType:
			d, err := time.ParseDuration(value)
			if err != nil || d < 0 {
				return fmt.Errorf("threshold %s: %q is not a duration (example: 1ms)", name, value)
			}
			fv.SetInt(int64(d))
		case f.Type.Kind() == reflect.Int:
			n, err := strconv.Atoi(value)
			if err != nil || n < 0 {
				return fmt.Errorf("threshold %s: %q is not a whole number", name, value)
			}
			fv.SetInt(int64(n))
		case f.Type.Kind() == reflect.Float64:
			x, err := strconv.ParseFloat(value, 64)
			if err != nil || x < 0 || math.IsNaN(x) || math.IsInf(x, 0) {
				return fmt.Errorf("threshold %s: %q is not a finite number ≥ 0", name, value)
			}
			fv.SetFloat(x)
		}
		return nil
	}
	return fmt.Errorf("no threshold named %q (known: %s)", name, strings.Join(ThresholdNames(), ", "))
}

// ThresholdNames lists the names Set accepts.
func ThresholdNames() []string {
	var names []string
	t := reflect.TypeOf(Thresholds{})
	for i := 0; i < t.NumField(); i++ {
		names = append(names, t.Field(i).Tag.Get("json"))
	}
	return names
}

// Load reads a config file — a JSON object with a "thresholds"
// object of NAME: VALUE (numbers, or duration strings) — over t.
func (t *Thresholds) Load(r io.Reader, name string) error {
	var cfg struct {
		Thresholds map[string]json.RawMessage `json:"thresholds"`
	}
	dec := json.NewDecoder(r)
	dec.DisallowUnknownFields()
	if err := dec.Decode(&cfg); err != nil {
		return fmt.Errorf("%s: %w", name, err)
	}
	for k, raw := range cfg.Thresholds {
		val := strings.Trim(string(raw), `"`)
		if err := t.Set(k, val); err != nil {
			return fmt.Errorf("%s: %w", name, err)
		}
	}
	return nil
}
