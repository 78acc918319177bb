package capture

import (
	"bufio"
	"bytes"
	"context"
	"debug/buildinfo"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/gcwatch/gcwatch/internal/outfile"
)

// RunOptions tune Run.
type RunOptions struct {
	// Dir is the capture folder the gctrace log and manifest go to.
	Dir string
	// Stdin, Stdout and Stderr are the child's streams' far ends: stdin and
	// stdout pass through untouched; stderr passes through line by line
	// (gc lines too unless QuietGCTrace).
	Stdin          io.Reader
	Stdout, Stderr io.Writer
	QuietGCTrace   bool
	// OnLine, when set, sees every line of the child's stderr that fits in
	// maxLine (for a live status line); it runs on the reading goroutine.
	OnLine func(line string)
	// Signals are forwarded to the child; nil means SIGINT and SIGTERM.
	Signals []os.Signal
	// Env is the child's environment; nil means os.Environ().
	Env []string
	Now func() time.Time
	// Cgroup is where the child's cgroup files are read (the system's
	// when zero).
	Cgroup CgroupFS
}

// RunResult is how the child ended.
type RunResult struct {
	// ExitCode is the child's exit status; for a child killed by a signal,
	// 128 plus the signal number, as shells report it.
	ExitCode int
	Signaled bool
	Manifest Manifest
	// GCTracePath is the child's stderr as written, the gctrace log.
	GCTracePath string
}

// WithGCTrace returns env with gctrace=1 added to GODEBUG, keeping any
// other GODEBUG settings (and replacing an earlier gctrace value).
func WithGCTrace(env []string) []string {
	out := make([]string, 0, len(env)+1)
	godebug := ""
	for _, kv := range env {
		if v, ok := strings.CutPrefix(kv, "GODEBUG="); ok {
			godebug = v
			continue
		}
		out = append(out, kv)
	}
	var parts []string
	for _, p := range strings.Split(godebug, ",") {
		if p != "" && !strings.HasPrefix(p, "gctrace=") {
			parts = append(parts, p)
		}
	}
	parts = append(parts, "gctrace=1")
	return append(out, "GODEBUG="+strings.Join(parts, ","))
}

// Run starts argv with GODEBUG=gctrace=1, passes its streams through,
// forwards signals to it, and keeps its stderr as the gctrace log in
// opts.Dir. It returns when the child has exited (an error only when the
// child could not be started or the log not written).
func Run(ctx context.Context, argv []string, opts RunOptions) (*RunResult, error) {
	if len(argv) == 0 {
		return nil, errors.New("no command to run")
	}
	now := time.Now
	if opts.Now != nil {
		now = opts.Now
	}
	if err := os.MkdirAll(opts.Dir, 0o755); err != nil {
		return nil, fmt.Errorf("cannot make the capture folder: %w", err)
	}
	logPath := filepath.Join(opts.Dir, "gctrace.log")
	logFile, err := outfile.CreateNew(logPath)
	if err != nil {
		return nil, fmt.Errorf("cannot write the gctrace log: %w", err)
	}
	defer logFile.Close()
	env := opts.Env
	if env == nil {
		env = os.Environ()
	}
	env = WithGCTrace(env)
	cmd := exec.Command(argv[0], argv[1:]...)
	cmd.Env = env
	cmd.Stdin = opts.Stdin
	cmd.Stdout = opts.Stdout
	stderr, err := cmd.StderrPipe()
	if err != nil {
		return nil, err
	}
	res := &RunResult{GCTracePath: logPath, Manifest: Manifest{Tool: "gcwatch run", Command: argv}}
	res.Manifest.fromEnv(env)
	res.Manifest.Started = now().UTC()
	// Listen for the signals before the child starts, so that none sent
	// once it runs is lost (or kills gcwatch instead of reaching it).
	sigs := opts.Signals
	if sigs == nil {
		sigs = []os.Signal{os.Interrupt, syscall.SIGTERM}
	}
	sigc := make(chan os.Signal, 4)
	signal.Notify(sigc, sigs...)
	defer signal.Stop(sigc)
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("cannot start %s: %w", argv[0], err)
	}
	// The cgroup is found while the child lives; its counters outlive it.
	cg := watchCgroup(opts.Cgroup, cmd.Process.Pid, now())
	res.Manifest.GoVersion = binaryGoVersion(cmd.Path)
	done := make(chan struct{})
	var forwarding sync.WaitGroup
	forwarding.Go(func() {
		for {
			select {
			case s := <-sigc:
				cmd.Process.Signal(s)
			case <-ctx.Done():
				cmd.Process.Signal(os.Interrupt)
				select {
				case <-done:
				case <-time.After(5 * time.Second):
					cmd.Process.Kill()
				}
				return
			case <-done:
				return
			}
		}
	})
	copyErr := copyStderr(stderr, logFile, opts)
	waitErr := cmd.Wait()
	close(done)
	forwarding.Wait()
	res.Manifest.Finished = now().UTC()
	res.Manifest.CgroupCPU = cg.finish(now())
	res.ExitCode = cmd.ProcessState.ExitCode()
	if ws, ok := cmd.ProcessState.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
		res.Signaled = true
		res.ExitCode = 128 + int(ws.Signal())
	}
	code := res.ExitCode
	res.Manifest.ExitCode = &code
	var exitErr *exec.ExitError
	if waitErr != nil && !errors.As(waitErr, &exitErr) {
		return res, fmt.Errorf("waiting for %s: %w", argv[0], waitErr)
	}
	if copyErr != nil {
		return res, fmt.Errorf("reading %s's standard error: %w", argv[0], copyErr)
	}
	if err := logFile.Sync(); err != nil {
		return res, err
	}
	res.Manifest.Files = []File{{Name: "gctrace.log", Bytes: fileSize(logPath), Status: "ok"}}
	res.Manifest.mergeFrom(opts.Dir)
	return res, res.Manifest.write(opts.Dir)
}

// maxLine is the longest stretch of the child's stderr held in memory: a
// longer line is passed on in pieces of this size as they come, so that a
// child writing without newlines cannot make gcwatch grow with it. gc
// lines are a few hundred bytes, so a piece is never one.
const maxLine = 64 << 10

// copyStderr copies the child's stderr to the log as written, and line by
// line to the terminal (holding gc lines back when asked).
func copyStderr(r io.Reader, log io.Writer, opts RunOptions) error {
	br := bufio.NewReaderSize(r, maxLine)
	lineStart := true // the next piece starts a line
	for {
		piece, err := br.ReadSlice('\n')
		if len(piece) > 0 {
			if _, werr := log.Write(piece); werr != nil {
				return werr
			}
			whole := lineStart && err != bufio.ErrBufferFull
			gc := lineStart && isGCLine(piece)
			if opts.Stderr != nil && !(opts.QuietGCTrace && gc) {
				opts.Stderr.Write(piece)
			}
			if opts.OnLine != nil && whole {
				opts.OnLine(string(bytes.TrimRight(piece, "\n")))
			}
			lineStart = piece[len(piece)-1] == '\n'
		}
		switch {
		case err == io.EOF:
			return nil
		case err == bufio.ErrBufferFull:
			// a long line: its next piece follows
		case err != nil:
			return err
		}
	}
}

// isGCLine says whether a line is the runtime's gctrace output.
func isGCLine(line []byte) bool {
	return bytes.HasPrefix(line, []byte("gc ")) && bytes.Contains(line, []byte(" ms clock, "))
}

func envValue(env []string, name string) string {
	for i := len(env) - 1; i >= 0; i-- {
		if v, ok := strings.CutPrefix(env[i], name+"="); ok {
			return v
		}
	}
	return ""
}

func fileSize(path string) int64 {
	st, err := os.Stat(path)
	if err != nil {
		return 0
	}
	return st.Size()
}

// binaryGoVersion is the Go release a program was built with, from its
// build information; "" for a program that is not a Go binary, and for
// the go command itself (go run builds the program with a toolchain it
// may choose, so its own version says nothing of the child's).
func binaryGoVersion(path string) string {
	bi, err := buildinfo.ReadFile(path)
	if err != nil || bi.Path == "cmd/go" {
		return ""
	}
	return bi.GoVersion
}
