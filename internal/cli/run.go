package cli

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/spf13/cobra"

	"github.com/gcwatch/gcwatch/internal/analyze"
	"github.com/gcwatch/gcwatch/internal/capture"
	"github.com/gcwatch/gcwatch/internal/ingest/gctrace"
	"github.com/gcwatch/gcwatch/internal/report"
)

// runOptions are the options of gcwatch run.
type runOptions struct {
	analyzeOptions
	Argv    []string
	Dir     string
	Quiet   bool
	PProf   string
	Seconds int
	Delay   time.Duration
}

// childExit carries the child's exit status out of the command, so that
// gcwatch exits with it.
type childExit struct{ code int }

func (e childExit) Error() string { return fmt.Sprintf("the command exited with status %d", e.code) }

func newRunCmd(s *streams, runF func(*runOptions) error) *cobra.Command {
	opts := &runOptions{analyzeOptions: *newAnalyzeOptions()}
	cmd := &cobra.Command{
		Use:   "run [flags] -- CMD [ARGS...]",
		Short: "Run a Go program with GODEBUG=gctrace=1 and report on its GC when it ends",
		Long: `Start CMD with gctrace=1 added to its GODEBUG. Its standard input and output pass
through untouched, and its standard error too (--quiet-gctrace holds the gc lines
back). SIGINT and SIGTERM are forwarded to it. While it runs, a status line on
standard error (only when that is a terminal) shows cycles, the last and p99
pause, GC CPU and heap.

When it exits, its raw gctrace log, a manifest and the report (--format) are
written to the capture folder (-o DIR, default gcwatch-run-TIMESTAMP), and
gcwatch exits with the child's exit status. With --pprof ADDR, an execution
trace and profiles are also captured from the child's net/http/pprof over
--seconds, starting --pprof-delay after it starts.`,
		Example: `  gcwatch run -- ./server -addr :8080
  gcwatch run --quiet-gctrace -o run1 --format html -- go test ./...
  gcwatch run --pprof 127.0.0.1:6060 --seconds 5 -- ./server`,
		Args: cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if cmd.ArgsLenAtDash() != 0 {
				return usagef("put the command after --: gcwatch run [flags] -- CMD [ARGS...]")
			}
			opts.Argv = args
			if err := opts.validateRun(); err != nil {
				return err
			}
			if runF != nil {
				return runF(opts)
			}
			return runRun(cmd.Context(), s, opts)
		},
	}
	f := cmd.Flags()
	f.StringVarP(&opts.Dir, "output", "o", "", "capture folder to write (default gcwatch-run-TIMESTAMP)")
	f.BoolVar(&opts.Quiet, "quiet-gctrace", false, "do not pass the child's gc lines through to standard error")
	f.StringVar(&opts.PProf, "pprof", "", "also capture a trace and profiles from the child's net/http/pprof at `ADDR`")
	f.IntVar(&opts.Seconds, "seconds", 10, "with --pprof, how long the trace records")
	f.DurationVar(&opts.Delay, "pprof-delay", time.Second, "with --pprof, how long after the start to begin")
	opts.bindFlags(f)
	opts.bindPprofFlag(f)
	return cmd
}

func (o *runOptions) validateRun() error {
	if o.Dir == "" {
		o.Dir = "gcwatch-run-" + time.Now().Format("20060102-150405")
	}
	if st, err := os.Stat(o.Dir); err == nil {
		if !st.IsDir() {
			return usagef("-o %s exists and is not a folder", o.Dir)
		}
		if entries, _ := os.ReadDir(o.Dir); len(entries) > 0 {
			return usagef("-o %s is not empty: a run needs a new or empty folder", o.Dir)
		}
	}
	if o.PprofOut != "" && o.PProf == "" {
		return usagef("--pprof-out needs an execution trace: give --pprof ADDR too")
	}
	if o.PProf != "" {
		if _, err := capture.ParseTarget(o.PProf); err != nil {
			return usageError{err}
		}
		if o.Seconds <= 0 {
			return usagef("--seconds must be positive")
		}
	}
	o.Inputs = []string{o.Dir}
	if err := o.validate(); err != nil {
		return err
	}
	o.Output = filepath.Join(o.Dir, "report."+reportExt(o.format))
	return nil
}

func reportExt(f report.Format) string {
	switch f {
	case report.JSON:
		return "json"
	case report.Markdown:
		return "md"
	case report.HTML:
		return "html"
	}
	return "txt"
}

func runRun(ctx context.Context, s *streams, o *runOptions) error {
	if ctx == nil {
		ctx = context.Background()
	}
	status := newStatusLine(s.Err, isTerminal(s.Err))
	defer status.stop()
	ropts := capture.RunOptions{
		Dir: o.Dir, Stdin: s.In, Stdout: s.Out, Stderr: status, QuietGCTrace: o.Quiet,
		OnLine: status.observe,
	}
	var pprofWG sync.WaitGroup
	pctx, cancelPProf := context.WithCancel(ctx)
	defer cancelPProf()
	if o.PProf != "" {
		t, _ := capture.ParseTarget(o.PProf)
		pprofWG.Go(func() {
			select {
			case <-time.After(o.Delay):
			case <-pctx.Done():
				return
			}
			_, err := capture.Fetch(pctx, t, o.Dir, capture.Options{Seconds: o.Seconds})
			if err != nil {
				status.note(fmt.Sprintf("gcwatch: note: --pprof capture: %v", err))
			}
		})
	}
	res, err := capture.Run(ctx, o.Argv, ropts)
	cancelPProf()
	pprofWG.Wait()
	status.stop()
	if err != nil && res == nil {
		return err
	}
	if err != nil {
		printDiag(s.Err, "warning: %v", err)
	}
	if aerr := runAnalyze(&streams{In: s.In, Out: io.Discard, Err: s.Err}, &o.analyzeOptions); aerr != nil {
		printDiag(s.Err, "no report: %v", aerr)
	} else {
		fmt.Fprintf(s.Err, "gcwatch: report written to %s (capture in %s)\n", o.Output, o.Dir)
	}
	if res.ExitCode != 0 {
		return childExit{res.ExitCode}
	}
	return nil
}

// statusLine shows a live summary of the child's GC on a terminal, and
// passes the child's standard error through around it.
type statusLine struct {
	mu       sync.Mutex
	w        io.Writer
	terminal bool
	shown    bool
	cycles   int
	pauses   []time.Duration
	last     time.Duration
	cpu      int
	heap     int64
	done     chan struct{}
	stopped  bool
}

func newStatusLine(w io.Writer, terminal bool) *statusLine {
	s := &statusLine{w: w, terminal: terminal, done: make(chan struct{})}
	if terminal {
		go s.tick()
	}
	return s
}

func (s *statusLine) tick() {
	t := time.NewTicker(250 * time.Millisecond)
	defer t.Stop()
	for {
		select {
		case <-t.C:
			s.mu.Lock()
			s.draw()
			s.mu.Unlock()
		case <-s.done:
			return
		}
	}
}

// Write passes the child's stderr through, clearing the status line first.
func (s *statusLine) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.clear()
	return s.w.Write(p)
}

func (s *statusLine) note(msg string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.clear()
	fmt.Fprintln(s.w, msg)
}

// observe reads gc lines as they come.
func (s *statusLine) observe(line string) {
	if !strings.Contains(line, "gc ") {
		return
	}
	r, err := gctrace.Parse(strings.NewReader(line+"\n"), "stderr")
	if err != nil || len(r.Processes) == 0 || len(r.Processes[0].Cycles) == 0 {
		return
	}
	c := r.Processes[0].Cycles[0]
	s.mu.Lock()
	defer s.mu.Unlock()
	s.cycles = c.N
	s.last = max(c.SweepTermination, c.MarkTermination)
	s.pauses = append(s.pauses, c.SweepTermination, c.MarkTermination)
	s.cpu = c.CumulativeCPUPercent
	s.heap = c.HeapEnd
}

func (s *statusLine) clear() {
	if s.shown {
		fmt.Fprint(s.w, "\r\x1b[K")
		s.shown = false
	}
}

func (s *statusLine) draw() {
	if !s.terminal || s.stopped || s.cycles == 0 {
		return
	}
	sorted := slices.Clone(s.pauses)
	slices.Sort(sorted)
	p99 := analyze.NearestRank(sorted, 0.99)
	fmt.Fprintf(s.w, "\r\x1b[Kgcwatch: gc %d, last pause %s, p99 pause %s, GC CPU %d%%, heap %d MiB",
		s.cycles, s.last.Round(time.Microsecond), p99.Round(time.Microsecond), s.cpu, s.heap>>20)
	s.shown = true
}

func (s *statusLine) stop() {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.stopped {
		return
	}
	s.stopped = true
	close(s.done)
	s.clear()
}
