package cli

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/spf13/cobra"

	"github.com/gcwatch/gcwatch/internal/capture"
)

// captureOptions are the options of gcwatch capture.
type captureOptions struct {
	analyzeOptions
	Target   string
	Seconds  int
	Dir      string
	Report   string
	MaxBytes sizeValue
	Timeout  time.Duration

	target     capture.Target
	created    bool // the capture folder did not exist before
	timeoutSet bool // --timeout was given
}

func newCaptureCmd(s *streams, runF func(*captureOptions) error) *cobra.Command {
	opts := &captureOptions{analyzeOptions: *newAnalyzeOptions(), MaxBytes: sizeValue{bytes: capture.DefaultMaxBytes}}
	cmd := &cobra.Command{
		Use:   "capture [flags] ADDR",
		Short: "Capture a trace and profiles from a running service's net/http/pprof, then analyse them",
		Long: `Fetch an execution trace over --seconds from a service that serves net/http/pprof
(ADDR is host:port or a URL), with its heap and allocs profiles and, when it serves
them, Prometheus /metrics (GOGC, GOMEMLIMIT, GOMAXPROCS, Go version) or expvar
/debug/vars. Everything is saved in a capture folder (-o DIR, default a new
timestamped folder) with a manifest, then analysed as 'gcwatch analyze DIR' would.
The report goes to standard output (or --report FILE).

Ctrl-C, or the trace request running past --timeout, stops the capture and
keeps what was fetched; a trace cut short is analysed as far as it is
complete, with a warning.`,
		Example: `  gcwatch capture localhost:6060
  gcwatch capture http://10.0.0.5:8080/debug/pprof --seconds 30 --mem-budget 2GiB
  gcwatch capture 127.0.0.1:6060 --seconds 3 -o cap --format json`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.Target = args[0]
			opts.timeoutSet = cmd.Flags().Changed("timeout")
			if err := opts.validateCapture(); err != nil {
				return err
			}
			if runF != nil {
				return runF(opts)
			}
			return runCapture(cmd.Context(), s, opts)
		},
	}
	f := cmd.Flags()
	f.IntVar(&opts.Seconds, "seconds", 10, "how long the trace records")
	f.StringVarP(&opts.Dir, "output", "o", "", "capture folder to write (default gcwatch-capture-TIMESTAMP)")
	f.StringVar(&opts.Report, "report", "", "write the report to `FILE` instead of standard output")
	f.Var(&opts.MaxBytes, "max-bytes", "largest download accepted (`SIZE`, more than 0; a larger answer is an error)")
	f.DurationVar(&opts.Timeout, "timeout", 0, "stop each request after this long, keeping the part of the trace received (positive; default 1.5 × --seconds + 10s for the trace, 10s for the others)")
	opts.bindFlags(f)
	opts.bindPprofFlag(f)
	return cmd
}

func (o *captureOptions) validateCapture() error {
	t, err := capture.ParseTarget(o.Target)
	if err != nil {
		return usageError{err}
	}
	o.target = t
	if o.Seconds <= 0 || o.Seconds > 3600 {
		return usagef("--seconds must be between 1 and 3600, not %d", o.Seconds)
	}
	if o.Timeout < 0 || o.timeoutSet && o.Timeout == 0 {
		return usagef("--timeout must be positive, not %s", o.Timeout)
	}
	if o.MaxBytes.bytes <= 0 {
		return usagef("--max-bytes must be positive (a size such as 512MiB), not %d", o.MaxBytes.bytes)
	}
	if o.Dir == "" {
		o.Dir = "gcwatch-capture-" + time.Now().Format("20060102-150405")
	}
	st, err := os.Stat(o.Dir)
	o.created = err != nil
	if err == nil {
		if !st.IsDir() {
			return usagef("-o %s exists and is not a folder", o.Dir)
		}
		if entries, _ := os.ReadDir(o.Dir); len(entries) > 0 {
			return usagef("-o %s is not empty: a capture needs a new or empty folder", o.Dir)
		}
	}
	o.Inputs = []string{o.Dir}
	o.Output = o.Report
	return o.validate()
}

// interruptible returns a context cancelled by SIGINT or SIGTERM.
func interruptible(ctx context.Context) (context.Context, context.CancelFunc) {
	if ctx == nil {
		ctx = context.Background()
	}
	return signal.NotifyContext(ctx, os.Interrupt, syscall.SIGTERM)
}

func runCapture(ctx context.Context, s *streams, o *captureOptions) error {
	ctx, stop := interruptible(ctx)
	defer stop()
	if isTerminal(s.Err) {
		fmt.Fprintf(s.Err, "gcwatch: capturing %ds of %s%s into %s (Ctrl-C stops and keeps what was fetched)\n", o.Seconds, o.target.Base, o.target.Prefix, o.Dir)
	}
	res, err := capture.Fetch(ctx, o.target, o.Dir, capture.Options{Seconds: o.Seconds, MaxBytes: o.MaxBytes.bytes, Timeout: o.Timeout, QuickTimeout: o.Timeout})
	var cut *capture.CutShortError
	if errors.As(err, &cut) {
		fmt.Fprintf(s.Err, "gcwatch: warning: the trace was cut short (%s after %d bytes); analysing its complete generations\n", cut.Why, cut.Bytes)
		err = nil
	}
	if res != nil && (res.Answered || err == nil) {
		// One line per failed download: the trace's failure is the error.
		// A service that answered nothing (refused, unreachable) is one
		// line: the trace's error says it for every download.
		for _, f := range res.Manifest.Files {
			if f.Status != "ok" && (f.Name != "trace.out" || err == nil && cut == nil) {
				printDiag(s.Err, "note: %s: %s", f.Name, f.Status) // the status quotes the server
			}
		}
	}
	if err != nil {
		if o.created && !fileHasData(o.Dir, "heap.pb.gz") && !fileHasData(o.Dir, "allocs.pb.gz") {
			os.RemoveAll(o.Dir) // nothing worth keeping, in a folder we made
			return fmt.Errorf("capture failed: %w", err)
		}
		return fmt.Errorf("capture failed (what was fetched is in %s): %w", o.Dir, err)
	}
	fmt.Fprintf(s.Err, "gcwatch: capture saved in %s\n", o.Dir)
	return runAnalyze(s, &o.analyzeOptions)
}

func fileHasData(dir, name string) bool {
	st, err := os.Stat(dir + string(os.PathSeparator) + name)
	return err == nil && st.Size() > 0
}
