package cli

import (
	"errors"
	"fmt"
	"io"
	"net/url"
	"os"
	"slices"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/gcwatch/gcwatch/internal/advice"
	"github.com/gcwatch/gcwatch/internal/analyze"
	"github.com/gcwatch/gcwatch/internal/ingest"
	"github.com/gcwatch/gcwatch/internal/ingest/exectrace"
	"github.com/gcwatch/gcwatch/internal/report"
	"github.com/gcwatch/gcwatch/internal/report/plot"
	"github.com/gcwatch/gcwatch/internal/whatif"
)

// analyzeOptions are the options of gcwatch analyze.
type analyzeOptions struct {
	Inputs   []string
	Format   string
	Output   string
	TaskType string
	Infer    string // auto, always, never
	Worst    int
	Workers  int
	Color    string // auto, always, never
	Progress bool

	// What the user tells the advisor.
	SLO        sloValue
	MemBudget  sizeValue
	GOGC       gogcValue
	MemLimit   sizeValue
	Config     string
	Thresholds []string
	FailOn     string
	Latency    []string
	ProcStart  string
	PprofOut   string
	// Service and Span choose the spans of an OpenTelemetry trace export
	// that are requests; TraceURL links them in the HTML report.
	Service  string
	Instance string
	Span     string
	TraceURL string

	format       report.Format
	infer        exectrace.InferMode
	processStart *time.Time
	rules        advice.Thresholds
	// results are the analyses of the last buildDocument, kept for
	// --pprof-out.
	results []*analyze.Result
}

// newAnalyzeOptions returns the options with every flag unset.
func newAnalyzeOptions() *analyzeOptions {
	return &analyzeOptions{
		MemBudget: sizeValue{bytes: sizeUnset},
		GOGC:      gogcValue{v: sizeUnset},
		MemLimit:  sizeValue{bytes: sizeUnset, allowOff: true},
	}
}

func newAnalyzeCmd(s *streams, runF func(*analyzeOptions) error) *cobra.Command {
	opts := newAnalyzeOptions()
	cmd := &cobra.Command{
		Use:   "analyze [flags] INPUT...",
		Short: "Report GC pauses, cycles, GC CPU, MMU and request latency from traces and gctrace logs",
		Long: `Analyse execution traces (runtime/trace, Go 1.11 to today) and GODEBUG=gctrace=1
logs. Inputs are recognised by their content, may be gzip-compressed, and may be
folders (every usable file inside; a capture folder is one process). "-" reads
standard input. A trace and a gctrace log of the same process are lined up and
analysed together.

Results go to standard output (or -o FILE); diagnostics go to standard error.
Each process gets a verdict (gc-not-the-cause, tune, reduce-allocation,
fix-stw-delay or migration-candidate) with its evidence; --mem-budget, --slo,
--gogc and --memlimit tell the advisor what the service may use and must meet.

Exit status: 0 when something was analysed (warnings included), 1 when an input
cannot be used, 2 for a usage error, 3 when --fail-on names a verdict reached
on enough data (a verdict whose headline says "not enough data" never fails).`,
		Example: `  gcwatch analyze examples/testdata/allocheavy-p2-gogc100
  gcwatch analyze --mem-budget 2GiB --slo p99=50ms capture/
  gcwatch analyze --format json -o report.json trace.out gctrace.log
  kubectl logs pod | gcwatch analyze -`,
		Args: cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.Inputs = args
			if err := opts.validate(); err != nil {
				return err
			}
			if runF != nil {
				return runF(opts)
			}
			return runAnalyze(s, opts)
		},
	}
	f := cmd.Flags()
	f.StringVarP(&opts.Output, "output", "o", "", "write the report to `FILE` instead of standard output; with --format markdown, -o FILE.md puts the plots (PNG) in FILE_files/ and -o DIR writes DIR/report.md and the plots beside it")
	opts.bindFlags(f)
	opts.bindPprofFlag(f)
	return cmd
}

// bindFlags binds the flags every command that writes a report shares
// (analyze, capture, run): the format, what counts as a request, and what
// the advisor is told.
func (opts *analyzeOptions) bindFlags(f *pflag.FlagSet) {
	opts.bindPipelineFlags(f, "the process ran with")
	f.IntVar(&opts.Worst, "worst", 10, "how many of the longest pauses to list")
	f.StringArrayVar(&opts.Latency, "latency", nil, "request-latency log of the same process (`FILE`: JSONL or CSV, one request a line with a wall-clock start and a duration, or OpenTelemetry spans as OTLP JSON or the stdout exporter writes them; repeatable)")
	f.StringVar(&opts.ProcStart, "process-start", "", "wall-clock `TIME` the process started (RFC 3339), to line up a latency log with a gctrace log")
	opts.bindSpanFlags(f)
	f.StringVar(&opts.TraceURL, "trace-url", "", "link the slowest requests from OpenTelemetry spans to a tracing UI in the HTML report: a `URL` with {trace_id} (and optionally {span_id}), e.g. 'https://jaeger.example/trace/{trace_id}'")
	f.StringVar(&opts.FailOn, "fail-on", "", "exit 3 when a process's verdict is one of these comma-separated `IDS` (for CI)")
}

// bindSpanFlags binds the flags that choose the spans of an OpenTelemetry
// trace export that are requests.
func (opts *analyzeOptions) bindSpanFlags(f *pflag.FlagSet) {
	f.StringVar(&opts.Service, "service", "", "in an OpenTelemetry trace export, read the spans of the service with this service.name (`NAME`; needed when several services have request spans)")
	f.StringVar(&opts.Instance, "service-instance", "", "in an OpenTelemetry trace export whose service has several instances, read the spans of this one (`ID`: its service.instance.id, or \"pid N on HOST\" as the error lists them)")
	f.StringVar(&opts.Span, "span", "", "in an OpenTelemetry trace export, count the spans with this `NAME` as requests (default: server spans, else root spans)")
}

// bindPipelineFlags binds the flags of every command that runs the
// pipeline on its inputs (analyze, capture, run, compare): the format, what
// counts as a request, how the trace is read, and what the advisor is told.
// ranWith finishes the help of --gogc and --memlimit ("the process ran
// with").
func (opts *analyzeOptions) bindPipelineFlags(f *pflag.FlagSet, ranWith string) {
	f.StringVarP(&opts.Format, "format", "f", "text", "output format: text, json, markdown or html")
	f.StringVar(&opts.TaskType, "task", "", "count only tasks of this `TYPE` as requests (default: every top-level task)")
	f.StringVar(&opts.Infer, "infer", "auto", "infer requests from net/http and gRPC server goroutines: auto (when a trace has no tasks), always or never")
	f.IntVar(&opts.Workers, "workers", 0, "trace generations parsed in parallel (0: up to 2, by CPU count)")
	f.StringVar(&opts.Color, "color", "auto", "colour in the text output: auto, always or never")
	f.BoolVar(&opts.Progress, "progress", true, "show progress on standard error when it is a terminal")
	f.Var(&opts.SLO, "slo", "latency objective, e.g. `p99=50ms`")
	f.Var(&opts.MemBudget, "mem-budget", "memory the process may use, e.g. its container limit (`SIZE`: 2GiB, 512MiB)")
	f.Var(&opts.GOGC, "gogc", "the GOGC "+ranWith+", when the inputs do not show it (a number or off)")
	f.Var(&opts.MemLimit, "memlimit", "the GOMEMLIMIT "+ranWith+", when the inputs do not show it (`SIZE` or off)")
	f.StringVar(&opts.Config, "config", "", "read verdict thresholds from `FILE` (JSON: {\"thresholds\": {NAME: VALUE}})")
	f.StringArrayVar(&opts.Thresholds, "threshold", nil, "override one verdict threshold, `NAME=VALUE` (repeatable; names: "+strings.Join(advice.ThresholdNames(), ", ")+")")
}

func (o *analyzeOptions) validate() error {
	f, err := report.ParseFormat(o.Format)
	if err != nil {
		return usageError{err}
	}
	o.format = f
	if o.Worst < 0 {
		return usagef("--worst must be 0 or more, not %d", o.Worst)
	}
	if o.infer, err = exectrace.ParseInferMode(o.Infer); err != nil {
		return usagef("--infer must be auto, always or never, not %q", o.Infer)
	}
	if o.Workers < 0 {
		return usagef("--workers must be 0 or more, not %d", o.Workers)
	}
	switch o.Color {
	case "auto", "always", "never":
	default:
		return usagef("--color must be auto, always or never, not %q", o.Color)
	}
	guard := guardFor(o) // walks the input folders once for both checks
	if err := checkOutput(guard, o.Output, o.format == report.Markdown); err != nil {
		return err
	}
	if err := o.validatePprofOut(guard); err != nil {
		return err
	}
	if n := strings.Count(strings.Join(o.Inputs, "\x00")+"\x00", "-\x00"); n > 1 {
		return usagef("standard input (-) can be given only once")
	}
	if err := validTraceURL(o.TraceURL); err != nil {
		return err
	}
	if o.ProcStart != "" {
		t, err := time.Parse(time.RFC3339Nano, o.ProcStart)
		if err != nil {
			return usagef("--process-start %q: want an RFC 3339 time such as 2026-11-26T10:00:00.000Z", o.ProcStart)
		}
		o.processStart = &t
	}
	o.rules = advice.DefaultThresholds()
	if o.Config != "" {
		f, err := os.Open(o.Config)
		if err != nil {
			return usagef("--config: %s: cannot read it: %v", o.Config, systemReason(err))
		}
		defer f.Close()
		if err := o.rules.Load(f, o.Config); err != nil {
			return usagef("--config: %v", err)
		}
	}
	for _, t := range o.Thresholds {
		name, val, ok := strings.Cut(t, "=")
		if !ok {
			return usagef("--threshold %q: want NAME=VALUE", t)
		}
		if err := o.rules.Set(strings.TrimSpace(name), strings.TrimSpace(val)); err != nil {
			return usagef("--threshold: %v", err)
		}
	}
	for _, id := range splitList(o.FailOn) {
		if !slices.Contains(verdictIDs, id) {
			return usagef("--fail-on: %q is not a verdict (want %s)", id, strings.Join(verdictIDs, ", "))
		}
	}
	return nil
}

var verdictIDs = []string{advice.NotTheCause, advice.Tune, advice.ReduceAllocation, advice.FixSTWDelay, advice.MigrationCandidate}

func splitList(s string) []string {
	var out []string
	for _, p := range strings.Split(s, ",") {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}

// advisorRequest is what the advisor is told beyond the inputs.
func (o *analyzeOptions) advisorRequest(res *analyze.Result) advice.Case {
	req := advice.Case{Run: res.Run, Analysis: res, Rules: o.rules, Budget: -1}
	if o.SLO.target > 0 {
		req.SLO = &advice.SLO{Quantile: o.SLO.quantile, Target: o.SLO.target}
	}
	if o.MemBudget.bytes >= 0 {
		req.Budget = o.MemBudget.bytes
	}
	req.Known = o.known()
	return req
}

// known is what --gogc and --memlimit say the process ran with.
func (o *analyzeOptions) known() whatif.Known {
	var k whatif.Known
	if o.GOGC.v != sizeUnset {
		g := o.GOGC.v
		k.GOGC = &g
	}
	if o.MemLimit.bytes != sizeUnset {
		l := o.MemLimit.bytes
		k.MemoryLimit = &l
	}
	return k
}

func runAnalyze(s *streams, o *analyzeOptions) error {
	_, err := analyzeAndWrite(s, o)
	return err
}

// analyzeAndWrite runs the pipeline, writes the report and returns it.
func analyzeAndWrite(s *streams, o *analyzeOptions) (*report.Document, error) {
	doc, failed, err := buildDocument(s, o)
	if err != nil {
		return nil, err
	}
	color := o.Color == "always" || (o.Color == "auto" && o.Output == "" && isTerminal(s.Out) && os.Getenv("NO_COLOR") == "")
	ropts := report.Options{Color: color, HTMLCommand: htmlCommand(o), TraceURL: o.TraceURL}
	if o.format.ShowsFigures() {
		if ropts.Figures, err = plot.ForDocument(doc); err != nil {
			return nil, err
		}
	}
	guard := guardFor(o)
	err = writeReport(s.Out, guard, o.Output, o.format == report.Markdown, func(w io.Writer, files *report.Files) error {
		ropts.Files = files
		return report.Render(w, doc, o.format, ropts)
	})
	if err == nil && o.PprofOut != "" {
		err = writeProfiles(s.Err, guard, o, o.results)
	}
	if err == nil && failed {
		return doc, errFailOn
	}
	return doc, err
}

// buildDocument runs the pipeline — load, analyse, advise — and returns
// the report document, and whether a --fail-on verdict was reached.
// Diagnostics go to s.Err.
func buildDocument(s *streams, o *analyzeOptions) (*report.Document, bool, error) {
	procs, notes, failed, err := analyzeInputs(s, o)
	if err != nil {
		return nil, false, err
	}
	return report.Build(procs, versionString(), notes), failed, nil
}

// analyzeInputs loads o.Inputs and analyses and advises each process, as
// analyze does; it returns them with the notes about the inputs, and
// whether a --fail-on verdict was reached. Diagnostics go to s.Err.
func analyzeInputs(s *streams, o *analyzeOptions) ([]report.Input, []string, bool, error) {
	lo := ingest.Options{Stdin: s.In, Latency: o.Latency, ProcessStart: o.processStart}
	lo.Spans.Service, lo.Spans.Instance, lo.Spans.Span = o.Service, o.Instance, o.Span
	lo.Trace.Workers = o.Workers
	lo.Trace.InferRequests = o.infer
	lo.Trace.TaskType = o.TaskType
	lo.Trace.Stacks = o.PprofOut != ""
	lo.Trace.Phase = StreamPhase
	o.results = nil
	progress := o.Progress && isTerminal(s.Err)
	if progress {
		lo.Progress = func(name string, done, total int64) {
			if total > 0 {
				fmt.Fprintf(s.Err, "\rreading %s: %d%% (%d of %d MB)\x1b[K", name, done*100/total, done>>20, total>>20)
			} else {
				fmt.Fprintf(s.Err, "\rreading %s: %d MB\x1b[K", name, done>>20)
			}
		}
	}
	gcPhase(ingestGOGC)
	loaded, err := ingest.Load(o.Inputs, lo)
	gcPhase(analysisGOGC)
	if progress {
		fmt.Fprint(s.Err, "\r\x1b[K")
	}
	if err != nil {
		return nil, nil, false, err
	}
	for _, n := range loaded.Notes {
		printDiag(s.Err, "note: %s", n)
	}
	aopts := analyze.DefaultOptions()
	aopts.WorstPauses = o.Worst
	aopts.TaskType = o.TaskType
	var procs []report.Input
	failed := false
	for _, run := range loaded.Runs {
		res := analyze.Analyze(run, aopts)
		if o.PprofOut != "" {
			o.results = append(o.results, res)
		}
		for _, w := range res.Warnings {
			printDiag(s.Err, "warning: %s", w)
		}
		req := o.advisorRequest(res)
		out := advice.Decide(req)
		if slices.Contains(splitList(o.FailOn), out.Verdict.ID) {
			// A verdict on too little data is a hypothesis: CI must not
			// fail on it.
			if out.Verdict.SufficientData {
				failed = true
			} else {
				printDiag(s.Err, "note: --fail-on ignores the verdict %s: not enough data to act on", out.Verdict.ID)
			}
		}
		procs = append(procs, report.Input{Result: res, Outcome: &out, Budget: req.Budget})
	}
	return procs, slices.Clone(loaded.Notes), failed, nil
}

// errFailOn is returned when a verdict named by --fail-on was reached.
var errFailOn = errors.New("a verdict named by --fail-on was reached")

// validTraceURL checks --trace-url: an http or https URL with {trace_id}
// in it.
func validTraceURL(s string) error {
	if s == "" {
		return nil
	}
	if !strings.Contains(s, "{trace_id}") {
		return usagef("--trace-url %q: want a URL with {trace_id} in it, e.g. 'https://jaeger.example/trace/{trace_id}'", s)
	}
	u, err := url.Parse(strings.NewReplacer("{trace_id}", "0", "{span_id}", "0").Replace(s))
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return usagef("--trace-url %q: want an http or https URL, e.g. 'https://jaeger.example/trace/{trace_id}'", s)
	}
	return nil
}
