package cli

import (
	"errors"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/gcwatch/gcwatch/internal/compare"
	"github.com/gcwatch/gcwatch/internal/outfile"
	"github.com/gcwatch/gcwatch/internal/report"
	"github.com/gcwatch/gcwatch/internal/report/plot"
)

// compareOptions are the options of gcwatch compare. Shared holds the
// flags both sides take; the --before-X and --after-X flags override them
// for one side.
type compareOptions struct {
	Shared         *analyzeOptions
	Before, After  []string
	BeforeGOGC     gogcValue
	AfterGOGC      gogcValue
	BeforeMemLimit sizeValue
	AfterMemLimit  sizeValue
	BeforeLatency  []string
	AfterLatency   []string
	BeforeBudget   sizeValue
	AfterBudget    sizeValue
	BeforeSLO      sloValue
	AfterSLO       sloValue
	FailOn         string
	Alpha          float64

	before, after *analyzeOptions
	thresholds    []compare.Threshold
}

func newCompareOptions() *compareOptions {
	return &compareOptions{
		Shared:         newAnalyzeOptions(),
		BeforeGOGC:     gogcValue{v: sizeUnset},
		AfterGOGC:      gogcValue{v: sizeUnset},
		BeforeMemLimit: sizeValue{bytes: sizeUnset, allowOff: true},
		AfterMemLimit:  sizeValue{bytes: sizeUnset, allowOff: true},
		BeforeBudget:   sizeValue{bytes: sizeUnset},
		AfterBudget:    sizeValue{bytes: sizeUnset},
		Alpha:          compare.DefaultOptions().Alpha,
	}
}

func newCompareCmd(s *streams, runF func(*compareOptions) error) *cobra.Command {
	opts := newCompareOptions()
	cmd := &cobra.Command{
		Use:   "compare [flags] BEFORE AFTER",
		Short: "Compare two sets of runs: did the change help, beyond the noise?",
		Long: `Compare a service before and after a change (a GOGC or GOMEMLIMIT setting, an
allocation fix, a Go upgrade). Each side is anything 'gcwatch analyze' accepts and
is loaded, analysed and advised exactly as analyze does. Give one input per side
as BEFORE AFTER, or several with --before and --after (repeatable): the runs of a
side are pooled as samples of one service.

One row per figure, BEFORE → AFTER with the change, tested: request percentiles
by a bootstrap of blocks of consecutive requests (requests sharing a GC cycle or
a burst of load are not independent), GC pauses and cycles by a two-sided
Mann–Whitney U test, a pause percentile's change also outside its bootstrap
interval (fixed seed: the same inputs give the same report). With 4 runs or more
a side, each run is one sample, as benchstat does: only that sees how much runs
of one service differ anyway. A change inside the noise prints as '~' with its
p-value and sample counts; '?' marks a figure that cannot be tested. When
BEFORE's verdict recommended a setting or an allocation cut and AFTER made it,
the prediction is checked against what AFTER measured. HTML and Markdown carry
before/after plots of request latency and GC pauses.

The flags for the advisor (--slo, --mem-budget, --gogc, --memlimit, ...) apply to
both sides; --before-gogc, --after-gogc, --before-memlimit, --after-memlimit,
--before-mem-budget, --after-mem-budget, --before-slo, --after-slo,
--before-latency and --after-latency set one side's.

Exit status: 0 when both sides were compared, 1 when a side cannot be used, 2
for a usage error, 3 when --fail-on-regression names a figure that got worse
past its bound and the change is significant.`,
		Example: `  gcwatch compare examples/testdata/tune-before examples/testdata/tune-after
  gcwatch compare --before monday/ --before tuesday/ --after wednesday/
  gcwatch compare --format json --fail-on-regression 'p99=+10%,gc_cpu=+2pt' old/ new/`,
		Args: cobra.MaximumNArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := opts.complete(args); err != nil {
				return err
			}
			if runF != nil {
				return runF(opts)
			}
			return runCompare(s, opts)
		},
	}
	f := cmd.Flags()
	f.StringVarP(&opts.Shared.Output, "output", "o", "", "write the comparison to `FILE` instead of standard output")
	opts.bindFlags(f)
	return cmd
}

func (o *compareOptions) bindFlags(f *pflag.FlagSet) {
	sh := o.Shared
	f.StringArrayVar(&o.Before, "before", nil, "an input of the BEFORE side (`PATH`; repeatable)")
	f.StringArrayVar(&o.After, "after", nil, "an input of the AFTER side (`PATH`; repeatable)")
	sh.bindPipelineFlags(f, "both sides ran with")
	f.Var(&o.BeforeGOGC, "before-gogc", "the GOGC BEFORE ran with (a number or off)")
	f.Var(&o.AfterGOGC, "after-gogc", "the GOGC AFTER ran with (a number or off)")
	f.Var(&o.BeforeMemLimit, "before-memlimit", "the GOMEMLIMIT BEFORE ran with (`SIZE` or off)")
	f.Var(&o.AfterMemLimit, "after-memlimit", "the GOMEMLIMIT AFTER ran with (`SIZE` or off)")
	f.Var(&o.BeforeBudget, "before-mem-budget", "the memory BEFORE could use, when it differs from --mem-budget (`SIZE`)")
	f.Var(&o.AfterBudget, "after-mem-budget", "the memory AFTER could use, when it differs from --mem-budget (`SIZE`)")
	f.Var(&o.BeforeSLO, "before-slo", "BEFORE's latency objective, when it differs from --slo (e.g. p99=50ms)")
	f.Var(&o.AfterSLO, "after-slo", "AFTER's latency objective, when it differs from --slo (e.g. p99=50ms)")
	f.StringArrayVar(&o.BeforeLatency, "before-latency", nil, "request-latency log of BEFORE (`FILE`; repeatable)")
	f.StringArrayVar(&o.AfterLatency, "after-latency", nil, "request-latency log of AFTER (`FILE`; repeatable)")
	sh.bindSpanFlags(f)
	f.StringVar(&o.FailOn, "fail-on-regression", "", "exit 3 when one of these figures got significantly worse past its bound, e.g. `'p99=+10%,gc_cpu=+2pt'` (names: p50, p99, p99.9, gc, gc_cpu, pause_p50, pause_p99, pause_max, time_to_stop, assist, live_heap, peak_heap)")
	f.Float64Var(&o.Alpha, "alpha", o.Alpha, "significance level of the tests")
}

// complete resolves the inputs of each side and each side's options, and
// checks the flags.
func (o *compareOptions) complete(args []string) error {
	switch {
	case len(args) > 0 && (len(o.Before) > 0 || len(o.After) > 0):
		return usagef("give BEFORE AFTER as arguments or with --before and --after, not both")
	case len(args) == 2:
		o.Before, o.After = args[:1], args[1:]
	case len(args) == 1:
		return usagef("compare needs BEFORE and AFTER: got only %q", args[0])
	}
	if len(o.Before) == 0 || len(o.After) == 0 {
		return usagef("compare needs BEFORE and AFTER (arguments, or --before and --after)")
	}
	if slices.Contains(o.Before, "-") && slices.Contains(o.After, "-") {
		return usagef("standard input (-) can be given only once")
	}
	if !(o.Alpha > 0 && o.Alpha < 1) {
		return usagef("--alpha must be between 0 and 1, not %g", o.Alpha)
	}
	ths, err := compare.ParseThresholds(o.FailOn)
	if err != nil {
		return usagef("--fail-on-regression: %v", err)
	}
	o.thresholds = ths
	side := func(inputs []string, gogc gogcValue, limit, budget sizeValue, slo sloValue, latency []string) (*analyzeOptions, error) {
		so := *o.Shared
		so.Inputs = inputs
		so.Worst = 0
		if gogc.v != sizeUnset {
			so.GOGC = gogc
		}
		if limit.bytes != sizeUnset {
			so.MemLimit = limit
		}
		if budget.bytes != sizeUnset {
			so.MemBudget = budget
		}
		if slo.target > 0 {
			so.SLO = slo
		}
		so.Latency = append(slices.Clone(o.Shared.Latency), latency...)
		// The output must not overwrite an input of either side.
		guarded := so
		guarded.Inputs = slices.Concat(o.Before, o.After, o.BeforeLatency, o.AfterLatency)
		if err := guarded.validate(); err != nil {
			return nil, err
		}
		so.format, so.infer, so.rules = guarded.format, guarded.infer, guarded.rules
		return &so, nil
	}
	if o.before, err = side(o.Before, o.BeforeGOGC, o.BeforeMemLimit, o.BeforeBudget, o.BeforeSLO, o.BeforeLatency); err != nil {
		return err
	}
	o.after, err = side(o.After, o.AfterGOGC, o.AfterMemLimit, o.AfterBudget, o.AfterSLO, o.AfterLatency)
	return err
}

// sideOf analyses one side as analyze does and returns it for compare.
func sideOf(s *streams, name string, o *analyzeOptions) (compare.Side, error) {
	procs, _, _, err := analyzeInputs(s, o)
	if err != nil {
		return compare.Side{}, fmt.Errorf("%s: %w", name, err)
	}
	side := compare.Side{Inputs: o.Inputs, Known: o.known()}
	for _, p := range procs {
		side.Runs = append(side.Runs, compare.Run{Result: p.Result, Outcome: p.Outcome})
	}
	if len(side.Runs) == 0 {
		return side, fmt.Errorf("%s (%s): no process to compare in the inputs", name, strings.Join(o.Inputs, " "))
	}
	return side, nil
}

// errRegression is returned when --fail-on-regression is met.
var errRegression = errors.New("a figure named by --fail-on-regression regressed")

func runCompare(s *streams, o *compareOptions) error {
	// -o may replace neither side's inputs: checked before any analysis.
	guard := guardFor(o.before)
	guard.Add(guardedPaths(o.after), outfile.IsOutput)
	markdown := o.before.format == report.Markdown
	if err := checkOutput(guard, o.Shared.Output, markdown); err != nil {
		return err
	}
	before, err := sideOf(s, "BEFORE", o.before)
	if err != nil {
		return err
	}
	after, err := sideOf(s, "AFTER", o.after)
	if err != nil {
		return err
	}
	copts := compare.DefaultOptions()
	copts.Alpha = o.Alpha
	c, err := compare.Compare(before, after, copts)
	if err != nil {
		return err
	}
	for _, n := range c.Notes {
		printDiag(s.Err, "note: %s", n) // notes name inputs
	}
	doc := report.NewCompareDocument(c, versionString())
	sh := o.Shared
	color := sh.Color == "always" || (sh.Color == "auto" && sh.Output == "" && isTerminal(s.Out) && os.Getenv("NO_COLOR") == "")
	ropts := report.Options{Color: color}
	if o.before.format.ShowsFigures() {
		if ropts.Figures, err = plot.ForComparison(c); err != nil {
			return err
		}
	}
	err = writeReport(s.Out, guard, sh.Output, markdown, func(w io.Writer, files *report.Files) error {
		ropts.Files = files
		return report.RenderCompare(w, doc, o.before.format, ropts)
	})
	if err != nil {
		return err
	}
	regs, notes := c.Regressions(o.thresholds)
	for _, n := range notes {
		fmt.Fprintf(s.Err, "gcwatch: --fail-on-regression: %s\n", n)
	}
	for _, r := range regs {
		fmt.Fprintf(s.Err, "gcwatch: regression: %s\n", r)
	}
	if len(regs) > 0 {
		return errRegression
	}
	return nil
}
