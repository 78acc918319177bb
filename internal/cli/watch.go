package cli

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/gcwatch/gcwatch/internal/capture"
	"github.com/gcwatch/gcwatch/internal/outfile"
)

// watchOptions are the options of gcwatch watch.
type watchOptions struct {
	analyzeOptions
	Target        string
	When          []string
	Every         time.Duration
	Interval      time.Duration
	Seconds       int
	Keep          int
	Dir           string
	MaxCaptures   int
	Duration      time.Duration
	Cooldown      time.Duration
	LatencyMetric string
	FlightRec     string

	target     capture.Target
	conditions []capture.Condition
}

func newWatchCmd(s *streams) *cobra.Command {
	opts := &watchOptions{analyzeOptions: *newAnalyzeOptions()}
	cmd := &cobra.Command{
		Use:   "watch [flags] ADDR",
		Short: "Watch a live service and capture a trace when a condition holds, keeping the last few",
		Long: `Poll a service's Prometheus /metrics every --interval and capture an execution
trace and profiles (as gcwatch capture does) when a --when condition holds —
pause>DURATION (a GC pause longer than that since the last look) or
p50/p90/p99/p999>DURATION (request latency since the last look, from the
--latency-metric histogram) — or every --every. Each capture is analysed, its
report saved beside it (report.<format>) and its verdict printed on one line.
Only the last --keep captures are kept. Stops on Ctrl-C, after --max-captures
or after --duration; it then exits 1 if no capture was made because the
service never answered.`,
		Example: `  gcwatch watch localhost:6060 --when 'pause>5ms' --when 'p99>50ms'
  gcwatch watch localhost:6060 --every 10m --keep 6 --mem-budget 2GiB`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.Target = args[0]
			if err := opts.validateWatch(); err != nil {
				return err
			}
			return runWatch(cmd.Context(), s, opts)
		},
	}
	f := cmd.Flags()
	f.StringArrayVar(&opts.When, "when", nil, "capture when `COND` holds: pause>5ms, p99>50ms (repeatable: any)")
	f.DurationVar(&opts.Every, "every", 0, "also capture every `DURATION`")
	f.DurationVar(&opts.Interval, "interval", 5*time.Second, "how often to read the metrics")
	f.IntVar(&opts.Seconds, "seconds", 5, "how long each trace records")
	f.IntVar(&opts.Keep, "keep", 5, "how many captures to keep")
	f.StringVarP(&opts.Dir, "output", "o", "gcwatch-watch", "folder the captures go into")
	f.IntVar(&opts.MaxCaptures, "max-captures", 0, "stop after this many captures (0: no limit)")
	f.DurationVar(&opts.Duration, "duration", 0, "stop after this long (0: until interrupted)")
	f.DurationVar(&opts.Cooldown, "cooldown", 0, "least time between two captures (default twice --seconds)")
	f.StringVar(&opts.FlightRec, "flightrec", "", "also pull the snapshots a gcwatch/flightrec handler at `URL` takes of slow requests (a path on ADDR, or a full URL)")
	f.StringVar(&opts.LatencyMetric, "latency-metric", "http_request_duration_seconds", "Prometheus histogram of request latency, for p99 conditions")
	opts.bindFlags(f)
	return cmd
}

func (o *watchOptions) validateWatch() error {
	t, err := capture.ParseTarget(o.Target)
	if err != nil {
		return usageError{err}
	}
	o.target = t
	for _, w := range o.When {
		c, err := capture.ParseCondition(w)
		if err != nil {
			return usagef("--when %v", err)
		}
		o.conditions = append(o.conditions, c)
	}
	if len(o.conditions) == 0 && o.Every <= 0 && o.FlightRec == "" {
		return usagef("say when to capture: --when COND, --every DURATION and/or --flightrec URL")
	}
	if o.FlightRec != "" && !strings.Contains(o.FlightRec, "://") {
		o.FlightRec = o.target.Base + "/" + strings.TrimPrefix(o.FlightRec, "/")
	}
	if o.Interval <= 0 || o.Seconds <= 0 || o.Keep <= 0 {
		return usagef("--interval, --seconds and --keep must be positive")
	}
	if o.Cooldown == 0 {
		o.Cooldown = 2 * time.Duration(o.Seconds) * time.Second
	}
	o.Inputs = []string{o.Dir}
	return o.validate()
}

func runWatch(ctx context.Context, s *streams, o *watchOptions) error {
	ctx, stop := interruptible(ctx)
	defer stop()
	if o.Duration > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, o.Duration)
		defer cancel()
	}
	if err := os.MkdirAll(o.Dir, 0o755); err != nil {
		return fmt.Errorf("cannot make %s: %w", o.Dir, err)
	}
	w := &capture.Watcher{Target: o.target, LatencyMetric: o.LatencyMetric}
	var lastCapture, lastEvery time.Time
	lastEvery = time.Now()
	captures := 0
	tick := time.NewTicker(o.Interval)
	defer tick.Stop()
	snaps := &capture.Snapshots{URL: o.FlightRec}
	// answered is set once the service has answered anything; a watch
	// that ends without a capture from a service that never did failed.
	answered := false
	lastWarning := ""
	warn := func(msg string) { // the same warning each interval is said once
		if msg != lastWarning {
			printDiag(s.Err, "warning: %s", msg)
			lastWarning = msg
		}
	}
	w.Warn = warn
	end := func() error {
		if captures == 0 && !answered && !w.Answered && !snaps.Answered {
			if lastWarning != "" {
				return fmt.Errorf("no capture was made: the service never answered (%s)", lastWarning)
			}
			return fmt.Errorf("no capture was made: the service never answered")
		}
		return nil
	}
	for {
		if o.FlightRec != "" {
			n, err := o.pullSnapshots(ctx, s, snaps)
			captures += n
			if err != nil && ctx.Err() == nil {
				warn(err.Error())
			}
			if err == nil {
				answered = true
			}
			if n > 0 {
				o.prune(s)
			}
			if o.MaxCaptures > 0 && captures >= o.MaxCaptures {
				return nil
			}
		}
		reason := ""
		if len(o.conditions) > 0 {
			r, err := w.Poll(ctx)
			switch {
			case ctx.Err() != nil:
				return end()
			case err != nil:
				warn(err.Error())
			case r != nil:
				for _, c := range o.conditions {
					holds, why, err := c.Holds(r)
					if err != nil {
						return err
					}
					if holds {
						reason = why
						break
					}
				}
			}
		}
		if reason == "" && o.Every > 0 && time.Since(lastEvery) >= o.Every {
			reason = fmt.Sprintf("every %s", o.Every)
		}
		if reason != "" && time.Since(lastCapture) >= o.Cooldown {
			lastCapture, lastEvery = time.Now(), time.Now()
			reached, err := o.captureOnce(ctx, s, reason)
			answered = answered || reached
			if err != nil {
				if ctx.Err() != nil {
					return end()
				}
				warn("capture failed: " + err.Error())
			} else {
				captures++
			}
			o.prune(s)
			if o.MaxCaptures > 0 && captures >= o.MaxCaptures {
				return nil
			}
		}
		select {
		case <-ctx.Done():
			return end()
		case <-tick.C:
		}
	}
}

// pullSnapshots saves and analyses the flight recorder's new snapshots.
func (o *watchOptions) pullSnapshots(ctx context.Context, s *streams, snaps *capture.Snapshots) (int, error) {
	infos, err := snaps.New(ctx)
	if err != nil {
		return 0, err
	}
	n := 0
	for _, in := range infos {
		dir := filepath.Join(o.Dir, fmt.Sprintf("capture-%s-flightrec-%d", in.Time.UTC().Format("20060102T150405.000Z"), in.ID))
		reason := "flight recorder: " + in.Trigger.Reason
		if in.Trigger.Path != "" {
			reason = fmt.Sprintf("flight recorder: %s %s took %s", in.Trigger.Method, in.Trigger.Path, in.Trigger.Duration.Round(time.Microsecond))
		}
		if err := snaps.Save(ctx, in, dir); err != nil {
			return n, err
		}
		if err := o.report(s, dir, reason); err != nil {
			return n, err
		}
		n++
		if o.MaxCaptures > 0 && n >= o.MaxCaptures {
			break
		}
	}
	return n, nil
}

// captureOnce captures into a new timestamped folder, analyses it and
// prints the verdict in one line. It says whether the service answered.
func (o *watchOptions) captureOnce(ctx context.Context, s *streams, reason string) (bool, error) {
	name := "capture-" + time.Now().UTC().Format("20060102T150405.000Z")
	dir := filepath.Join(o.Dir, name)
	fmt.Fprintf(s.Err, "gcwatch: %s; capturing %ds into %s\n", reason, o.Seconds, dir)
	res, err := capture.Fetch(ctx, o.target, dir, capture.Options{Seconds: o.Seconds})
	answered := res != nil && res.Answered
	if err != nil {
		return answered, err
	}
	return answered, o.report(s, dir, reason)
}

// report analyses one capture folder, saves its report beside it and
// prints the verdict in one line.
func (o *watchOptions) report(s *streams, dir, reason string) error {
	outfile.WriteNew(filepath.Join(dir, "trigger.txt"), []byte(reason+"\n"))
	ao := o.analyzeOptions
	ao.Inputs = []string{dir}
	ao.Output = filepath.Join(dir, "report."+reportExt(ao.format))
	ao.Progress = false
	doc, err := analyzeAndWrite(&streams{In: s.In, Out: io.Discard, Err: s.Err}, &ao)
	if err != nil && doc == nil {
		return err
	}
	line := dir
	for _, p := range doc.Processes {
		if p.Verdict != nil {
			line += fmt.Sprintf(": %s — %s", p.Verdict.ID, p.Verdict.Summary)
		}
	}
	fmt.Fprintf(s.Out, "%s %s (%s)\n", time.Now().UTC().Format(time.RFC3339), line, reason)
	return nil
}

// prune keeps the last o.Keep capture folders.
func (o *watchOptions) prune(s *streams) {
	entries, err := os.ReadDir(o.Dir)
	if err != nil {
		return
	}
	var caps []string
	for _, e := range entries {
		if e.IsDir() && strings.HasPrefix(e.Name(), "capture-") {
			caps = append(caps, e.Name())
		}
	}
	slices.Sort(caps)
	for len(caps) > o.Keep {
		os.RemoveAll(filepath.Join(o.Dir, caps[0]))
		caps = caps[1:]
	}
}
