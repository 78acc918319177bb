// Command gen records the real gctrace logs the gctrace tests read:
//
//	real-go126.log             this program's own workload run with GODEBUG=gctrace=1
//	gobuild-multiprocess.log   GODEBUG=gctrace=1 go build -a of a small std package
//	gobuild-std-cut.log        excerpt of GODEBUG=gctrace=1 GOGC=25 go build -a std
//
// Run it through go generate in the gctrace package. The logs are stderr
// exactly as written; only the last is an excerpt, and it is cut at whole
// compile blocks, never inside a line.
package main

import (
	"bytes"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"regexp"
	"runtime"
	"strings"
	"sync/atomic"
	"time"
)

const childEnv = "GCTRACE_GEN_CHILD"

func main() {
	if os.Getenv(childEnv) == "1" {
		workload()
		return
	}
	out := flag.String("o", "real-go126.log", "where to write the workload's stderr")
	gobuild := flag.String("gobuild", "gobuild-multiprocess.log", "where to write go build's stderr")
	pkg := flag.String("pkg", "strings", "package for go build -a")
	std := flag.String("std", "", "where to write the go build -a std excerpt (skipped when empty: it takes minutes)")
	from := flag.String("from", "", "with -std: excerpt this stderr of an earlier GODEBUG=gctrace=1 GOGC=25 go build -a std instead of building")
	flag.Parse()
	if *std != "" {
		if err := recordStd(*std, *from); err != nil {
			fmt.Fprintln(os.Stderr, "gen:", err)
			os.Exit(1)
		}
		return
	}
	if err := record(*out, *gobuild, *pkg); err != nil {
		fmt.Fprintln(os.Stderr, "gen:", err)
		os.Exit(1)
	}
}

func record(out, gobuild, pkg string) error {
	self, err := os.Executable()
	if err != nil {
		return err
	}
	cmd := exec.Command(self)
	cmd.Env = append(os.Environ(), "GODEBUG=gctrace=1", childEnv+"=1")
	if err := runToFile(cmd, out); err != nil {
		return fmt.Errorf("workload: %w", err)
	}
	// A build cache of its own: the go command caches each compile's
	// output and replays it on later cache hits, so building in the shared
	// cache would make every later build print these gc lines.
	cache, err := os.MkdirTemp("", "gctrace-gen-cache-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(cache)
	cmd = exec.Command("go", "build", "-a", "-o", os.DevNull, pkg)
	cmd.Env = append(os.Environ(), "GODEBUG=gctrace=1", "GOCACHE="+cache)
	if err := runToFile(cmd, gobuild); err != nil {
		return fmt.Errorf("go build: %w", err)
	}
	return nil
}

// recordStd builds the standard library with gc records on until a build
// prints a cut one, and keeps the compile blocks around the cut records.
// A compiler that exits while its runtime prints a record leaves it cut;
// GOGC=25 makes records, and so cuts, more frequent.
func recordStd(path, from string) error {
	if from != "" {
		log, err := os.ReadFile(from)
		if err != nil {
			return err
		}
		ex := cutExcerpt(string(log))
		if ex == "" {
			return fmt.Errorf("%s holds no cut gc record", from)
		}
		return os.WriteFile(path, []byte(ex), 0o644)
	}
	for try := 0; try < 3; try++ {
		cache, err := os.MkdirTemp("", "gctrace-gen-cache-")
		if err != nil {
			return err
		}
		var stderr bytes.Buffer
		cmd := exec.Command("go", "build", "-a", "-o", os.DevNull, "std")
		cmd.Env = append(os.Environ(), "GODEBUG=gctrace=1", "GOGC=25", "GOCACHE="+cache)
		cmd.Stderr = &stderr
		err = cmd.Run()
		os.RemoveAll(cache)
		if err != nil {
			return fmt.Errorf("go build std: %w", err)
		}
		if ex := cutExcerpt(stderr.String()); ex != "" {
			return os.WriteFile(path, []byte(ex), 0o644)
		}
	}
	return fmt.Errorf("three builds of std printed no cut gc record")
}

// cutStart is the start of a record whose number survived.
var cutStart = regexp.MustCompile(`^gc \d+ @`)

// cutExcerpt returns, for each line holding a gc record that kept its
// number but does not end in " P" (cut), the lines from the "# package"
// line before it up to the next one. Lines of the go command's own records
// in between come along.
func cutExcerpt(log string) string {
	lines := strings.SplitAfter(log, "\n")
	keep := make([]bool, len(lines))
	any := false
	for i, l := range lines {
		t := strings.TrimRight(l, "\n")
		if !cutStart.MatchString(t) || strings.HasSuffix(t, " P") || strings.HasSuffix(t, " (forced)") {
			continue
		}
		any = true
		from := i
		for from > 0 && !strings.HasPrefix(lines[from], "# ") {
			from--
		}
		to := i + 1
		for to < len(lines) && !strings.HasPrefix(lines[to], "# ") {
			to++
		}
		for j := from; j < to; j++ {
			keep[j] = true
		}
	}
	if !any {
		return ""
	}
	var b strings.Builder
	for i, l := range lines {
		if keep[i] {
			b.WriteString(l)
		}
	}
	return b.String()
}

// runToFile runs cmd with its stderr going to path.
func runToFile(cmd *exec.Cmd, path string) error {
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("%w: %s", err, stderr.Bytes())
	}
	return os.WriteFile(path, stderr.Bytes(), 0o644)
}

// sink keeps allocations alive so the live heap grows and shrinks.
var sink [][]byte

// workload allocates in phases, writes application output to stderr
// (some of it without a newline, so that the runtime's gc line lands in
// the middle of it, and some from a second goroutine, whose lines cut gc
// lines the runtime prints piece by piece), forces a few collections and
// changes GOMAXPROCS.
func workload() {
	fmt.Fprintln(os.Stderr, "app: starting workload")
	var stop atomic.Bool
	done := make(chan struct{})
	go chatter(&stop, done)
	defer func() { stop.Store(true); <-done }()
	for phase := 0; phase < 6; phase++ {
		if phase == 2 {
			runtime.GOMAXPROCS(1)
			fmt.Fprintln(os.Stderr, "app: GOMAXPROCS set to 1")
		}
		for i := 0; i < 6000; i++ {
			buf := make([]byte, 8<<10)
			if i%4 == 0 {
				sink = append(sink, buf)
			}
			if i%1000 == 999 {
				fmt.Fprintf(os.Stderr, "app: phase %d step %d %s\n", phase, i, strings.Repeat(".", i%7))
			}
		}
		// No newline: the forced collection's line is printed straight
		// after this text on the same line.
		fmt.Fprintf(os.Stderr, "app: phase %d done, collecting... ", phase)
		runtime.GC()
		fmt.Fprintln(os.Stderr, "collected")
		sink = sink[:len(sink)/3]
	}
	sink = nil
	runtime.GC()
	fmt.Fprintln(os.Stderr, "app: finished")
}

// chatter logs like a busy service until stopped.
func chatter(stop *atomic.Bool, done chan<- struct{}) {
	defer close(done)
	for i := 0; !stop.Load(); i++ {
		fmt.Fprintf(os.Stderr, "app: request %d handled in %dus\n", i, 50+i%450)
		time.Sleep(100 * time.Microsecond)
	}
}
