package cli

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/spf13/cobra"

	"github.com/gcwatch/gcwatch/internal/analyze"
	"github.com/gcwatch/gcwatch/internal/report"
	"github.com/gcwatch/gcwatch/internal/trace"
)

// analyzeOptions are the options of gcwatch analyze.
type analyzeOptions struct {
	Inputs   []string
	Format   string
	Output   string
	TaskType string
	Worst    int
	Workers  int
	Color    string // auto, always, never
	Progress bool

	format report.Format
}

func newAnalyzeCmd(s *streams, runF func(*analyzeOptions) error) *cobra.Command {
	opts := &analyzeOptions{}
	cmd := &cobra.Command{
		Use:   "analyze [flags] INPUT...",
		Short: "Report GC pauses, cycles, GC CPU, MMU and request latency from traces and gctrace logs",
		Long: `Analyse execution traces (runtime/trace, Go 1.11 to today) and GODEBUG=gctrace=1
logs. Inputs are recognised by their content, may be gzip-compressed, and may be
folders (every usable file inside; a capture folder is one process). "-" reads
standard input. A trace and a gctrace log of the same process are lined up and
analysed together.

Results go to standard output (or -o FILE); diagnostics go to standard error.
Exit status: 0 when something was analysed (warnings included), 1 when an input
cannot be used, 2 for a usage error.`,
		Example: `  gcwatch analyze examples/testdata/allocheavy
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
	f.StringVarP(&opts.Format, "format", "f", "text", "output format: text, json, markdown or html")
	f.StringVarP(&opts.Output, "output", "o", "", "write the report to `FILE` instead of standard output")
	f.StringVar(&opts.TaskType, "task", "", "count only tasks of this `TYPE` as requests (default: every top-level task)")
	f.IntVar(&opts.Worst, "worst", 10, "how many of the longest pauses to list")
	f.IntVar(&opts.Workers, "workers", 0, "trace generations parsed in parallel (0: up to 2, by CPU count)")
	f.StringVar(&opts.Color, "color", "auto", "colour in the text report: auto, always or never")
	f.BoolVar(&opts.Progress, "progress", true, "show progress on standard error when it is a terminal")
	return cmd
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
	if o.Workers < 0 {
		return usagef("--workers must be 0 or more, not %d", o.Workers)
	}
	switch o.Color {
	case "auto", "always", "never":
	default:
		return usagef("--color must be auto, always or never, not %q", o.Color)
	}
	if o.Output != "" {
		out, _ := filepath.Abs(o.Output)
		for _, in := range o.Inputs {
			if a, _ := filepath.Abs(in); a == out {
				return usagef("-o %s would overwrite an input", o.Output)
			}
		}
	}
	if n := strings.Count(strings.Join(o.Inputs, "\x00")+"\x00", "-\x00"); n > 1 {
		return usagef("standard input (-) can be given only once")
	}
	return nil
}

func runAnalyze(s *streams, o *analyzeOptions) error {
	lo := trace.Options{Stdin: s.In}
	lo.Trace.Workers = o.Workers
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
	loaded, err := trace.Load(o.Inputs, lo)
	if progress {
		fmt.Fprint(s.Err, "\r\x1b[K")
	}
	if err != nil {
		return err
	}
	for _, n := range loaded.Notes {
		fmt.Fprintf(s.Err, "gcwatch: note: %s\n", n)
	}
	aopts := analyze.DefaultOptions()
	aopts.WorstPauses = o.Worst
	aopts.TaskType = o.TaskType
	var results []*analyze.Result
	for _, run := range loaded.Runs {
		res := analyze.Analyze(run, aopts)
		for _, w := range res.Warnings {
			fmt.Fprintf(s.Err, "gcwatch: warning: %s\n", w)
		}
		results = append(results, res)
	}
	doc := report.Build(results, versionString(), slices.Clone(loaded.Notes))
	color := o.Color == "always" || (o.Color == "auto" && o.Output == "" && isTerminal(s.Out) && os.Getenv("NO_COLOR") == "")
	return writeOutput(s.Out, o.Output, func(w io.Writer) error {
		return report.Render(w, doc, o.format, report.Options{Color: color})
	})
}

// writeOutput writes to stdout, or to path through a temporary file in the
// same folder that replaces path only when writing succeeded, so that a
// failed run never leaves a half-written report.
func writeOutput(stdout io.Writer, path string, write func(io.Writer) error) error {
	if path == "" || path == "-" {
		return write(stdout)
	}
	tmp, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".*")
	if err != nil {
		return fmt.Errorf("cannot write the report: %w", err)
	}
	defer os.Remove(tmp.Name())
	if err := write(tmp); err != nil {
		tmp.Close()
		return fmt.Errorf("writing %s: %w", path, err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("writing %s: %w", path, err)
	}
	if err := os.Chmod(tmp.Name(), 0o644); err != nil {
		return fmt.Errorf("writing %s: %w", path, err)
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return fmt.Errorf("writing %s: %w", path, errors.Unwrap(err))
	}
	return nil
}
