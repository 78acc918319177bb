package main

import (
	"bytes"
	"compress/gzip"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"time"
)

func main() {
	if err := record(os.Args[1:]); err != nil {
		fmt.Fprintf(os.Stderr, "record: %v\n", err)
		os.Exit(1)
	}
}

func record(args []string) error {
	fs := flag.NewFlagSet("record", flag.ContinueOnError)
	out := fs.String("out", "testdata", "folder to write the recordings into")
	only := fs.String("only", "", "comma-separated scenario names to record (default all)")
	list := fs.Bool("list", false, "list the scenarios and exit")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *list {
		for _, s := range scenarios {
			fmt.Printf("%-24s %s\n", s.name, s.about)
		}
		return nil
	}
	chosen, err := choose(*only)
	if err != nil {
		return err
	}
	bin, err := os.MkdirTemp("", "gcwatch-record-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(bin)
	goVersion, err := goEnv("GOVERSION")
	if err != nil {
		return err
	}
	built := map[string]string{}
	for _, s := range chosen {
		exe, ok := built[s.program]
		if !ok {
			exe = filepath.Join(bin, s.program)
			if err := run(exec.Command("go", "build", "-o", exe, "./"+s.program)); err != nil {
				return fmt.Errorf("build %s: %w", s.program, err)
			}
			built[s.program] = exe
		}
		// Record into a staging folder and replace the scenario's folder
		// only when the recording is good, so a failed run leaves the
		// previous recording in place.
		// A name with a folder in it (proof/allocheavy) records into that
		// folder under out.
		dir := filepath.Join(*out, s.name)
		staging := filepath.Join(filepath.Dir(dir), "."+filepath.Base(dir)+".new")
		start := time.Now()
		err := recordOne(s, exe, staging, goVersion)
		for try := 2; errors.Is(err, errMissed) && try <= 3; try++ {
			fmt.Printf("%-24s %v; trying again\n", s.name, err)
			err = recordOne(s, exe, staging, goVersion)
		}
		if err == nil {
			err = replace(dir, staging)
		}
		if err != nil {
			os.RemoveAll(staging)
			return fmt.Errorf("scenario %s: %w", s.name, err)
		}
		fmt.Printf("%-24s %v\n", s.name, time.Since(start).Round(time.Millisecond))
	}
	return nil
}

// replace puts the staging folder where dir was.
func replace(dir, staging string) error {
	if err := os.RemoveAll(dir); err != nil {
		return err
	}
	return os.Rename(staging, dir)
}

func choose(only string) ([]scenario, error) {
	if only == "" {
		return scenarios, nil
	}
	var chosen []scenario
	for _, name := range strings.Split(only, ",") {
		i := slices.IndexFunc(scenarios, func(s scenario) bool { return s.name == name })
		if i < 0 {
			return nil, fmt.Errorf("no scenario %q (see -list)", name)
		}
		chosen = append(chosen, scenarios[i])
	}
	return chosen, nil
}

// recordOne runs one scenario and writes its folder from scratch.
func recordOne(s scenario, exe, dir, goVersion string) error {
	if err := os.RemoveAll(dir); err != nil {
		return err
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	args := append([]string{"-trace", filepath.Join(dir, "trace.out")}, s.args...)
	shown := append([]string{"-trace", "trace.out"}, s.args...)
	if s.allocs {
		args = append(args, "-allocs", filepath.Join(dir, "allocs.pb.gz"))
		shown = append(shown, "-allocs", "allocs.pb.gz")
	}
	cmd := exec.Command(exe, args...)
	cmd.Env = s.environ(os.Environ())
	load := loadAverage()
	started := time.Now()
	cap, err := capture(cmd)
	if err != nil {
		return err
	}
	if err := check(s, dir, cap); err != nil {
		return err
	}
	files := map[string]fileMeta{
		"trace.out":   {About: "execution trace written by the program with runtime/trace around the load (after setup and warm-up)"},
		"gctrace.log": {About: "the process's stderr, byte for byte: GODEBUG=gctrace=1 lines and the program's own log lines"},
	}
	if err := os.WriteFile(filepath.Join(dir, "gctrace.log"), cap.stderr, 0o644); err != nil {
		return err
	}
	if s.gzipTrace {
		if err := gzipFile(filepath.Join(dir, "trace.out"), "trace.out"); err != nil {
			return err
		}
		delete(files, "trace.out")
		files["trace.out.gz"] = fileMeta{About: "execution trace written by the program with runtime/trace around the load (after setup and warm-up), gzip-compressed"}
	}
	if s.allocs {
		files["allocs.pb.gz"] = fileMeta{About: "the allocs profile (pprof), written by the program when the trace window closed"}
	}
	if s.gzip {
		if err := writeGzip(filepath.Join(dir, "gctrace.log.gz"), cap.stderr); err != nil {
			return err
		}
		files["gctrace.log.gz"] = fileMeta{About: "gzip copy of gctrace.log"}
	}
	if s.container {
		if err := os.WriteFile(filepath.Join(dir, "gctrace.container.log"), cap.containerLog(), 0o644); err != nil {
			return err
		}
		files["gctrace.container.log"] = fileMeta{About: "both output streams of the same process wrapped one line per JSON object as Docker's json-file log driver stores them " +
			`({"log":LINE,"stream":"stdout"|"stderr","time":RFC3339Nano UTC}); "time" is when the recorder read the line from the pipe`}
	}
	for name, f := range files {
		st, err := os.Stat(filepath.Join(dir, name))
		if err != nil {
			return err
		}
		f.Bytes = st.Size()
		files[name] = f
	}
	return writeMeta(dir, s, goVersion, started, load, files, shown, cap.stdout)
}

// environ is base without the settings a scenario controls, plus the
// scenario's own and GODEBUG=gctrace=1.
func (s scenario) environ(base []string) []string {
	var out []string
	for _, kv := range base {
		name, _, _ := strings.Cut(kv, "=")
		switch name {
		case "GODEBUG", "GOGC", "GOMAXPROCS", "GOMEMLIMIT", "GOTRACEBACK":
			continue
		}
		out = append(out, kv)
	}
	out = append(out, "GODEBUG=gctrace=1")
	for name, v := range s.env.vars() {
		out = append(out, name+"="+v)
	}
	return out
}

func (e env) vars() map[string]string {
	m := map[string]string{}
	for name, v := range map[string]string{"GOMAXPROCS": e.GOMAXPROCS, "GOGC": e.GOGC, "GOMEMLIMIT": e.GOMEMLIMIT} {
		if v != "" {
			m[name] = v
		}
	}
	return m
}

// check refuses a recording that would make a useless test input.
func check(s scenario, dir string, cap *captured) error {
	head := make([]byte, 16)
	f, err := os.Open(filepath.Join(dir, "trace.out"))
	if err != nil {
		return err
	}
	defer f.Close()
	if _, err := f.Read(head); err != nil || !bytes.HasPrefix(head, []byte("go 1.")) {
		return fmt.Errorf("%s: not an execution trace (header %q)", f.Name(), head)
	}
	if s.env.GOGC == "off" {
		// The collector is off: no gc lines, and no cycles to count.
	} else if !bytes.Contains(cap.stderr, []byte("\ngc 1 @")) && !bytes.HasPrefix(cap.stderr, []byte("gc 1 @")) {
		return fmt.Errorf("no gctrace lines on stderr of %s", s.program)
	}
	// The runtime writes a gctrace line in pieces; a cycle that ends as
	// the program exits can leave "gc " without the rest of its line.
	if last := cap.stderr[bytes.LastIndexByte(cap.stderr, '\n')+1:]; bytes.HasPrefix(last, []byte("gc ")) {
		return fmt.Errorf("%w: the gctrace log ends in a line cut short by the exit (%q)", errMissed, last)
	}
	var sum struct {
		Requests int
		P99      float64 `json:"p99_ms"`
		Before   uint64  `json:"gc_cycles_before_trace"`
		AtStart  uint64  `json:"gc_cycles_at_trace_start"`
		AtStop   uint64  `json:"gc_cycles_at_trace_stop"`
		Extra    struct {
			Limiter uint64 `json:"gc_limiter_last_enabled_cycle"`
		}
	}
	if err := json.Unmarshal(lastLine(cap.stdout), &sum); err != nil || sum.Requests == 0 {
		return fmt.Errorf("program summary missing or empty: %q", cap.stdout)
	}
	if n := sum.AtStop - sum.AtStart; n < uint64(s.minCycles) {
		return fmt.Errorf("%w: %d GC cycles in the trace window, want at least %d", errMissed, n, s.minCycles)
	}
	if s.maxP99 > 0 && sum.P99 > s.maxP99 {
		return fmt.Errorf("%w: the service fell behind its load (p99 %.1f ms, want at most %g): the machine was too busy", errMissed, sum.P99, s.maxP99)
	}
	if s.limiter && sum.Extra.Limiter <= sum.Before {
		return fmt.Errorf("%w: the GC CPU limiter did not engage inside the trace window", errMissed)
	}
	return nil
}

// errMissed is a run that did not show what its scenario is about.
var errMissed = errors.New("run missed its scenario")

// loadAverage is the host's 1-minute load average as /proc/loadavg gives
// it ("" where there is none): a recording made beside other work is
// noisier, and meta.json says so.
func loadAverage() string {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return ""
	}
	first, _, _ := strings.Cut(string(b), " ")
	return first
}

func lastLine(b []byte) []byte {
	b = bytes.TrimRight(b, "\n")
	if i := bytes.LastIndexByte(b, '\n'); i >= 0 {
		return b[i+1:]
	}
	return b
}

// gzipFile replaces path with path.gz, named inside as name.
func gzipFile(path, name string) error {
	data, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	if err := writeGzipNamed(path+".gz", name, gzip.BestCompression, data); err != nil {
		return err
	}
	return os.Remove(path)
}

func writeGzip(path string, data []byte) error {
	return writeGzipNamed(path, "gctrace.log", gzip.DefaultCompression, data)
}

func writeGzipNamed(path, name string, level int, data []byte) error {
	var buf bytes.Buffer
	zw, err := gzip.NewWriterLevel(&buf, level)
	if err != nil {
		return err
	}
	zw.Name = name
	if _, err := zw.Write(data); err != nil {
		return err
	}
	if err := zw.Close(); err != nil {
		return err
	}
	return os.WriteFile(path, buf.Bytes(), 0o644)
}

func goEnv(name string) (string, error) {
	out, err := exec.Command("go", "env", name).Output()
	if err != nil {
		return "", fmt.Errorf("go env %s: %w", name, err)
	}
	return strings.TrimSpace(string(out)), nil
}

func run(cmd *exec.Cmd) error {
	cmd.Stdout, cmd.Stderr = os.Stdout, os.Stderr
	return cmd.Run()
}
