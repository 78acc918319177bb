package cli

import (
	"errors"
	"fmt"
	"io"
	"os"
	"runtime"
	"runtime/debug"
	"strings"

	"github.com/spf13/cobra"

	"github.com/gcwatch/gcwatch/internal/report"
)

// Exit codes.
const (
	exitOK     = 0
	exitError  = 1
	exitUsage  = 2
	exitFailOn = 3 // a verdict named by --fail-on was reached
)

// usageError marks an error in how gcwatch was called.
type usageError struct{ err error }

func (e usageError) Error() string { return e.err.Error() }
func (e usageError) Unwrap() error { return e.err }

func usagef(format string, args ...any) error {
	return usageError{fmt.Errorf(format, args...)}
}

// streams are the command's standard streams, injected so that tests can
// use buffers.
type streams struct {
	In  io.Reader
	Out io.Writer
	Err io.Writer
}

// isTerminal reports whether w is a character device (a terminal).
func isTerminal(w any) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	st, err := f.Stat()
	return err == nil && st.Mode()&os.ModeCharDevice != 0
}

// Main runs gcwatch with args and returns the exit code.
func Main(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	s := &streams{In: stdin, Out: stdout, Err: stderr}
	root := newRootCmd(s)
	root.SetArgs(args)
	err := root.Execute()
	if err == nil {
		return exitOK
	}
	var child childExit
	if errors.As(err, &child) {
		return child.code // gcwatch run exits as its child did
	}
	printDiag(stderr, "%v", err)
	if errors.Is(err, errFailOn) || errors.Is(err, errRegression) {
		return exitFailOn
	}
	var ue usageError
	if errors.As(err, &ue) {
		fmt.Fprintf(stderr, "Run 'gcwatch --help' for usage.\n")
		return exitUsage
	}
	return exitError
}

// printDiag writes one line to standard error, "gcwatch: " and the
// message. Messages quote inputs (file names, trace strings, a server's
// answer), so their control characters are shown escaped.
func printDiag(w io.Writer, format string, args ...any) {
	fmt.Fprintln(w, "gcwatch: "+report.TerminalText(fmt.Sprintf(format, args...)))
}

func newRootCmd(s *streams) *cobra.Command {
	root := &cobra.Command{
		Use:   "gcwatch",
		Short: "Go GC pause profiler and advisor",
		Long: `gcwatch tells how much of a Go service's latency and CPU the garbage collector
takes, from execution traces (runtime/trace) and GODEBUG=gctrace=1 logs, whether
a GOGC/GOMEMLIMIT setting would fix it, and whether the service is a candidate for
a language without a GC.

Start with 'gcwatch analyze' on captured files, 'gcwatch capture' or 'gcwatch run'
for a live service, and 'gcwatch report' across a fleet.`,
		SilenceUsage:  true,
		SilenceErrors: true,
		Args:          unknownCommand,
		RunE: func(cmd *cobra.Command, args []string) error {
			return cmd.Help()
		},
	}
	root.SuggestionsMinimumDistance = 2
	root.SetIn(s.In)
	root.SetOut(s.Out)
	root.SetErr(s.Err)
	root.SetFlagErrorFunc(func(cmd *cobra.Command, err error) error {
		return usageError{err}
	})
	root.AddCommand(newAnalyzeCmd(s, nil), newCaptureCmd(s, nil), newRunCmd(s, nil), newWatchCmd(s), newReportCmd(s), newCompareCmd(s, nil), newVersionCmd(s))
	// Unknown sub-commands and bad arguments are usage errors too.
	for _, c := range root.Commands() {
		wrapArgs(c)
	}
	wrapArgs(root)
	return root
}

// unknownCommand refuses an argument to gcwatch itself: a command it does
// not know, with the near-miss names it does ("analyse": analyze).
func unknownCommand(cmd *cobra.Command, args []string) error {
	if len(args) == 0 {
		return nil
	}
	msg := fmt.Sprintf("unknown command %q", args[0])
	if sugg := cmd.SuggestionsFor(args[0]); len(sugg) > 0 {
		msg += fmt.Sprintf("; did you mean %s?", strings.Join(sugg, " or "))
	}
	return errors.New(msg)
}

// wrapArgs makes argument-count errors usage errors.
func wrapArgs(c *cobra.Command) {
	if c.Args == nil {
		return
	}
	check := c.Args
	c.Args = func(cmd *cobra.Command, args []string) error {
		if err := check(cmd, args); err != nil {
			return usageError{err}
		}
		return nil
	}
}

// version is set by the linker (-ldflags "-X ...cli.version=v1.2.3") for
// releases; otherwise the module's build information is used.
var version = ""

func versionString() string {
	v := version
	if v == "" {
		v = "devel"
		if bi, ok := debug.ReadBuildInfo(); ok && bi.Main.Version != "" && bi.Main.Version != "(devel)" {
			v = bi.Main.Version
		}
	}
	return fmt.Sprintf("gcwatch %s (%s, %s/%s)", v, runtime.Version(), runtime.GOOS, runtime.GOARCH)
}

func newVersionCmd(s *streams) *cobra.Command {
	return &cobra.Command{
		Use:   "version",
		Short: "Print gcwatch's version",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			_, err := fmt.Fprintln(s.Out, versionString())
			return err
		},
	}
}
