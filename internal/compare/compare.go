package compare

import (
	"errors"
	"fmt"
	"math"
	"slices"
	"time"

	"github.com/gcwatch/gcwatch/internal/advice"
	"github.com/gcwatch/gcwatch/internal/analyze"
	"github.com/gcwatch/gcwatch/internal/units"
	"github.com/gcwatch/gcwatch/internal/whatif"
)

// Run is one analysed process: its analysis and, when the advisor ran,
// its verdict.
type Run struct {
	Result  *analyze.Result
	Outcome *advice.Outcome
}

// Side is BEFORE or AFTER: one or more runs of the same service, pooled
// as samples of it.
type Side struct {
	// Inputs are the paths the user named for this side.
	Inputs []string
	Runs   []Run
	// Known are the settings the user gave for this side, for when its
	// inputs do not show them.
	Known whatif.Known
}

// Options tune a comparison; start from DefaultOptions.
type Options struct {
	// Alpha is the significance level of the tests.
	Alpha float64
	// Confidence is the level of the bootstrap intervals.
	Confidence float64
	// Resamples is the number of bootstrap resamples; Seed fixes them.
	Resamples int
	Seed      uint64
}

// DefaultOptions are benchstat's level (α = 0.05), 95 % intervals and a
// thousand resamples.
func DefaultOptions() Options {
	return Options{Alpha: 0.05, Confidence: 0.95, Resamples: 1000, Seed: 15}
}

// Comparison is the answer: what each side was, one row per figure, and
// the prediction checked.
type Comparison struct {
	Before SideSummary `json:"before"`
	After  SideSummary `json:"after"`
	Alpha  float64     `json:"alpha"`
	Rows   []Row       `json:"rows"`
	// PredictionCheck is null when BEFORE's verdict recommended no setting.
	PredictionCheck *PredictionCheck `json:"prediction_check"`
	// Notes say what makes the sides hard to compare (GOMAXPROCS, Go
	// version, request sources that differ).
	Notes []string `json:"notes"`
	// Distributions are the request latencies and GC pauses of each side
	// as quantile curves, for the before/after plots.
	Distributions []Distribution `json:"distributions"`
}

// SideSummary says what a side was.
type SideSummary struct {
	Inputs     []string `json:"inputs"`
	Runs       int      `json:"runs"`
	GoVersion  string   `json:"go_version"`
	GOMAXPROCS int      `json:"gomaxprocs"`
	// GOGC and MemoryLimit are the settings the side ran with (null when
	// not known).
	GOGC        *units.GOGC  `json:"gogc"`
	MemoryLimit *units.Limit `json:"memlimit_bytes"`
	WindowMs    float64      `json:"window_ms"`
	Requests    int          `json:"requests"`
	Cycles      int          `json:"cycles"`
	// VerdictID is the verdict id of the side's runs ("mixed" when they
	// disagree, "" when the advisor did not run); Verdicts lists each
	// run's, in order.
	VerdictID      string   `json:"verdict_id"`
	VerdictSummary string   `json:"verdict_summary"`
	Verdicts       []string `json:"verdicts"`
}

// Row is one figure before and after.
type Row struct {
	Metric string `json:"metric"`
	// Unit is "per_second", "fraction", "ms", "ms_per_second" or "bytes".
	Unit   string   `json:"unit"`
	Before *float64 `json:"before"`
	After  *float64 `json:"after"`
	// Change is (after − before) / before; null where a side lacks the
	// figure or before is 0 and after is not.
	Change *float64 `json:"change"`
	// ChangeCI is the bootstrap confidence interval of Change, for
	// percentiles.
	ChangeCI *[2]float64 `json:"change_ci"`
	// BeforeCI and AfterCI are the bootstrap confidence intervals of a
	// percentile on each side (null for other figures).
	BeforeCI *[2]float64 `json:"before_ci"`
	AfterCI  *[2]float64 `json:"after_ci"`
	// Significant is null when the change cannot be tested (no samples
	// behind the figure, or too few to ever reach Alpha).
	Significant *bool    `json:"significant"`
	PValue      *float64 `json:"p_value"`
	// Test names the test behind PValue; BeforeN and AfterN are the
	// sample counts it compared, and Samples what they are.
	Test    string `json:"test,omitempty"`
	Samples string `json:"samples,omitempty"`
	BeforeN int    `json:"before_n"`
	AfterN  int    `json:"after_n"`
	// WorseWhen is "higher" or "lower": which way is a regression.
	WorseWhen string `json:"worse_when"`
	// Note says why a row has no value or no test.
	Note string `json:"note,omitempty"`
}

// Regressed reports whether the row got worse and the change is
// significant.
func (r Row) Regressed() bool {
	if r.Significant == nil || !*r.Significant || r.Before == nil || r.After == nil {
		return false
	}
	if r.WorseWhen == "lower" {
		return *r.After < *r.Before
	}
	return *r.After > *r.Before
}

// ErrNoRuns is returned when a side has nothing to compare.
var ErrNoRuns = errors.New("no run to compare")

// Compare compares the two sides.
func Compare(before, after Side, opts Options) (*Comparison, error) {
	if len(before.Runs) == 0 {
		return nil, fmt.Errorf("BEFORE: %w", ErrNoRuns)
	}
	if len(after.Runs) == 0 {
		return nil, fmt.Errorf("AFTER: %w", ErrNoRuns)
	}
	b, a := gather(before, "BEFORE"), gather(after, "AFTER")
	c := &Comparison{Before: summarize(before, b), After: summarize(after, a), Alpha: opts.Alpha, Notes: []string{}}
	c.Notes = mismatches(c, b, a)
	c.Rows = rows(b, a, opts)
	if minP(len(before.Runs), len(after.Runs)) < opts.Alpha {
		overRuns(c.Rows, before, after, opts)
	} else {
		c.Notes = append(c.Notes, fmt.Sprintf("%d and %d runs: too few to test over runs, so the tests compare requests, pauses and cycles within them: they tell whether these runs differ, not whether two runs of one service would anyway (another moment, a busier machine); with 4 runs a side (--before, --after) each run is one sample", len(before.Runs), len(after.Runs)))
	}
	c.Distributions = distributions(b, a)
	c.PredictionCheck = checkPrediction(before, after, c)
	return c, nil
}

// Find returns the row of metric, or nil.
func (c *Comparison) Find(metric string) *Row {
	for i := range c.Rows {
		if c.Rows[i].Metric == metric {
			return &c.Rows[i]
		}
	}
	return nil
}

func summarize(s Side, g *gathered) SideSummary {
	sum := SideSummary{Inputs: slices.Clone(s.Inputs), Runs: len(s.Runs), Verdicts: []string{},
		WindowMs: g.window * 1000, Requests: len(g.requests), Cycles: g.cycles}
	if sum.Inputs == nil {
		sum.Inputs = []string{}
	}
	first := s.Runs[0].Result.Run
	sum.GoVersion, sum.GOMAXPROCS = first.GoVersion, first.GOMAXPROCS
	if gogc, ok := runGOGC(s, 0); ok {
		g := units.GOGC(max(gogc, whatif.Off))
		sum.GOGC = &g
	}
	if limit, ok := runLimit(s, 0); ok {
		l := units.Limit(max(limit, whatif.NoLimit))
		sum.MemoryLimit = &l
	}
	for _, r := range s.Runs {
		if r.Outcome == nil {
			continue
		}
		v := r.Outcome.Verdict
		sum.Verdicts = append(sum.Verdicts, v.ID)
		switch sum.VerdictID {
		case "":
			sum.VerdictID, sum.VerdictSummary = v.ID, v.Summary
		case v.ID:
		default:
			sum.VerdictID, sum.VerdictSummary = "mixed", ""
		}
	}
	return sum
}

// runGOGC is the GOGC run i of s ran with: from its inputs, else from what
// the user said.
func runGOGC(s Side, i int) (int, bool) {
	if g := s.Runs[i].Result.Run.GOGC; g != nil {
		return *g, true
	}
	if s.Known.GOGC != nil {
		return *s.Known.GOGC, true
	}
	return 0, false
}

// runLimit is the memory limit run i of s ran with. A run whose inputs
// show GOGC but no limit (a capture's environment without GOMEMLIMIT) ran
// without one.
func runLimit(s Side, i int) (int64, bool) {
	run := s.Runs[i].Result.Run
	switch {
	case run.MemoryLimit != nil:
		return *run.MemoryLimit, true
	case s.Known.MemoryLimit != nil:
		return *s.Known.MemoryLimit, true
	case run.GOGC != nil:
		return whatif.NoLimit, true
	}
	return 0, false
}

// mismatches lists what makes the sides' figures hard to compare.
func mismatches(c *Comparison, b, a *gathered) []string {
	notes := []string{}
	if p, q := c.Before.GOMAXPROCS, c.After.GOMAXPROCS; p != q && p > 0 && q > 0 {
		notes = append(notes, fmt.Sprintf("BEFORE ran with GOMAXPROCS %d and AFTER with %d: GC CPU is a share of different capacities, and pauses and latency change with the processors alone", p, q))
	}
	for _, g := range []*gathered{b, a} {
		if len(g.procs) > 1 {
			notes = append(notes, fmt.Sprintf("%s pools runs with GOMAXPROCS %v", g.name, g.procs))
		}
	}
	if v, w := c.Before.GoVersion, c.After.GoVersion; v != w && v != "" && w != "" {
		notes = append(notes, fmt.Sprintf("BEFORE ran %s and AFTER %s: a change may be the runtime's", v, w))
	}
	if b.latencySource != a.latencySource && b.latencySource != "" && a.latencySource != "" {
		notes = append(notes, fmt.Sprintf("requests are %s on BEFORE and %s on AFTER: their latencies measure different spans", b.latencySource, a.latencySource))
	}
	for _, g := range []*gathered{b, a} {
		if g.window <= 0 {
			notes = append(notes, g.name+" has an empty observed window: its rates are not known")
		}
	}
	return notes
}

func ms(d time.Duration) float64 { return float64(d) / 1e6 }

// ptr returns &v, or nil when v is NaN (a figure a side lacks).
func ptr(v float64) *float64 {
	if math.IsNaN(v) {
		return nil
	}
	return &v
}
