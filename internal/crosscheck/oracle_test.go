package crosscheck

import (
	"bytes"
	"cmp"
	"encoding/json"
	"fmt"
	"math"
	"os"
	"os/exec"
	"path/filepath"

	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gcwatch/gcwatch/internal/analyze"
	"github.com/gcwatch/gcwatch/internal/ingest/exectrace"
	"github.com/gcwatch/gcwatch/internal/ingest/gctrace"
	"github.com/gcwatch/gcwatch/internal/model"
)

// oracleFigures is what examples/oracle writes: the runtime's own
// accounting over the traced interval (its Figures type, read back).
type oracleFigures struct {
	GOMAXPROCS   int                `json:"gomaxprocs"`
	GOGC         int                `json:"gogc"`
	Cycles       uint64             `json:"cycles"`
	ForcedCycles uint64             `json:"forced_cycles"`
	FirstCycle   uint64             `json:"first_cycle"`
	CPU          map[string]float64 `json:"cpu_seconds"`
	PauseTotalNs uint64             `json:"pause_total_ns"`
	PauseNs      []uint64           `json:"pause_ns"`
	Pauses       struct {
		Counts []uint64  `json:"counts"`
		Bounds []float64 `json:"bounds"`
	} `json:"pauses"`
	ProcessCPU    float64 `json:"process_cpu_seconds"`
	LiveHeapStart uint64  `json:"live_heap_start_bytes"`
	LiveHeapEnd   uint64  `json:"live_heap_end_bytes"`
	Requests      []int64 `json:"request_ns"`
}

func (f *oracleFigures) cpu(class string) time.Duration {
	v, ok := f.CPU["/cpu/classes/"+class+":cpu-seconds"]
	if !ok {
		panic("no CPU class " + class)
	}
	return time.Duration(math.Round(v * 1e9))
}

// oracleRun is one run of the oracle program: its figures, and what
// gcwatch reads from its trace and its gctrace log.
type oracleRun struct {
	name  string
	fig   oracleFigures
	trace *model.Run
	log   []gctrace.Process
}

var (
	oracleOnce sync.Once
	oracleBin  string
	oracleErr  error
)

// buildOracle builds examples/oracle once per test binary.
func buildOracle(t *testing.T) string {
	t.Helper()
	oracleOnce.Do(func() {
		dir, err := os.MkdirTemp("", "gcwatch-oracle-")
		if err != nil {
			oracleErr = err
			return
		}
		oracleBin = filepath.Join(dir, "oracle")
		out, err := exec.Command("go", "build", "-o", oracleBin, "../../examples/oracle").CombinedOutput()
		if err != nil {
			oracleErr = fmt.Errorf("go build examples/oracle: %v\n%s", err, out)
		}
	})
	if oracleErr != nil {
		t.Fatal(oracleErr)
	}
	return oracleBin
}

// runOracle runs the oracle at the given GOMAXPROCS and GOGC and reads
// what it left.
func runOracle(t *testing.T, procs, gogc int) *oracleRun {
	t.Helper()
	if _, err := exec.LookPath("go"); err != nil {
		t.Skip("no go command to build the oracle")
	}
	bin := buildOracle(t)
	dir := t.TempDir()
	tracePath := filepath.Join(dir, "trace.out")
	cmd := exec.Command(bin, "-trace", tracePath, "-duration", "700ms")
	cmd.Env = append(os.Environ(), "GODEBUG=gctrace=1", fmt.Sprintf("GOMAXPROCS=%d", procs), fmt.Sprintf("GOGC=%d", gogc))
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("oracle: %v\n%s", err, stderr.Bytes())
	}
	r := &oracleRun{name: fmt.Sprintf("GOMAXPROCS=%d GOGC=%d", procs, gogc)}
	if err := json.Unmarshal(stdout.Bytes(), &r.fig); err != nil {
		t.Fatalf("oracle's figures: %v", err)
	}
	f, err := os.Open(tracePath)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if r.trace, err = exectrace.Read(f, tracePath, exectrace.Options{}); err != nil {
		t.Fatalf("exectrace.Read: %v", err)
	}
	res, err := gctrace.Parse(bytes.NewReader(stderr.Bytes()), "gctrace.log")
	if err != nil {
		t.Fatalf("gctrace.Parse: %v", err)
	}
	r.log = res.Processes
	return r
}

// interval returns the trace's cycles inside the oracle's interval: from
// the one after the first forced cycle to the last forced one, which
// ends the interval.
func (r *oracleRun) interval(t reporter) []model.Cycle {
	t.Helper()
	var forced []int
	for i, c := range r.trace.Cycles {
		if c.Forced {
			forced = append(forced, i)
		}
	}
	if len(forced) < 2 {
		t.Fatalf("%d forced cycles in the trace, want the two edges", len(forced))
	}
	first, last := forced[0], forced[len(forced)-1]
	return r.trace.Cycles[first+1 : last+1]
}

// intervalPauses are the GC pauses of the interval's cycles, every one
// (a mark termination that finds more work restarts the world and pauses
// again later).
func (r *oracleRun) intervalPauses(cycles []model.Cycle) []time.Duration {
	first, last := cycles[0].N, cycles[len(cycles)-1].N
	var out []time.Duration
	for _, p := range r.trace.Pauses {
		if p.IsGC() && p.Cycle >= 0 {
			if n := r.trace.Cycles[p.Cycle].N; n >= first && n <= last {
				out = append(out, p.Duration)
			}
		}
	}
	return out
}

// TestRuntimeAgrees compares gcwatch's figures with the Go runtime's own
// accounting of the same interval (examples/oracle), at GOMAXPROCS 1, 2
// and 4 and GOGC 50 and 200. Each comparison is within one run, so it
// holds on a loaded machine; but a busy host can also deschedule the
// thread that stops the world between the runtime's clock reading and
// the trace event after it, which no reading of the trace can see. So a
// configuration whose run disagrees is run again, up to three times, and
// fails only when every run disagrees (each failed run is logged).
func TestRuntimeAgrees(t *testing.T) {
	if testing.Short() {
		t.Skip("runs a program six times or more")
	}
	for _, procs := range []int{1, 2, 4} {
		for _, gogc := range []int{50, 200} {
			t.Run(fmt.Sprintf("GOMAXPROCS=%d GOGC=%d", procs, gogc), func(t *testing.T) {
				const tries = 3
				for try := 1; ; try++ {
					r := runOracle(t, procs, gogc)
					a := &attempt{}
					a.run(r.check)
					for _, l := range a.logs {
						t.Log(l)
					}
					if len(a.errs) == 0 {
						return
					}
					if try == tries {
						for _, e := range a.errs {
							t.Error(e)
						}
						return
					}
					t.Logf("run %d disagrees, running again: %s", try, strings.Join(a.errs, "; "))
				}
			})
		}
	}
}

// reporter is what the checks need of a test: testing.T, or an attempt.
type reporter interface {
	Helper()
	Errorf(format string, args ...any)
	Fatalf(format string, args ...any)
	Logf(format string, args ...any)
}

// attempt collects one run's failures instead of failing the test.
type attempt struct{ errs, logs []string }

type stopAttempt struct{}

func (a *attempt) Helper() {}
func (a *attempt) Errorf(format string, args ...any) {
	a.errs = append(a.errs, fmt.Sprintf(format, args...))
}
func (a *attempt) Fatalf(format string, args ...any) {
	a.Errorf(format, args...)
	panic(stopAttempt{})
}
func (a *attempt) Logf(format string, args ...any) {
	a.logs = append(a.logs, fmt.Sprintf(format, args...))
}

// run calls check, which may stop early through Fatalf.
func (a *attempt) run(check func(reporter)) {
	defer func() {
		if v := recover(); v != nil {
			if _, ok := v.(stopAttempt); !ok {
				panic(v)
			}
		}
	}()
	check(a)
}

func (r *oracleRun) check(t reporter) {
	fig := &r.fig
	cycles := r.interval(t)

	// Cycles and forced cycles: exact.
	forced := 0
	for _, c := range cycles {
		if c.Forced {
			forced++
		}
	}
	if uint64(len(cycles)) != fig.Cycles || uint64(forced) != fig.ForcedCycles {
		t.Errorf("cycles %d (forced %d), runtime %d (forced %d)", len(cycles), forced, fig.Cycles, fig.ForcedCycles)
	}

	// Pauses: the total within 5 % of MemStats.PauseTotalNs (or 2 µs a
	// pause, for runs whose pauses are a few µs each), every cycle's within
	// 5 % or 50 µs of its PauseNs, every pause inside its histogram
	// bucket.
	//
	// One disturbance no reading of a trace can see: when the host
	// deschedules the thread that stops the world between the runtime's
	// reading of its clock and the trace event after it, the trace's pause
	// runs on by the time the thread was off CPU (milliseconds on a busy
	// machine with more Ps than cores). That only ever makes the trace's
	// pause longer. A run may have a few such cycles (at most one in ten,
	// at least one): they are logged and left out of the totals, and the
	// histogram, which cannot be split by cycle, is then not compared. A
	// cycle shorter than the runtime's is always an error.
	var total, want, outTrace, outRuntime time.Duration
	byCycle := map[int]time.Duration{}
	for _, p := range r.trace.Pauses {
		if p.IsGC() && p.Cycle >= 0 {
			byCycle[r.trace.Cycles[p.Cycle].N] += p.Duration
		}
	}
	var disturbed []int
	for i, c := range cycles {
		d := byCycle[c.N]
		total += d
		if i >= len(fig.PauseNs) {
			continue
		}
		rt := time.Duration(fig.PauseNs[i])
		if diff := (d - rt).Abs(); diff <= 50*time.Microsecond || diff <= rt/20 {
			continue
		}
		if d > rt {
			disturbed = append(disturbed, c.N)
			outTrace += d
			outRuntime += rt
			t.Logf("cycle %d: pauses %v in the trace, runtime's PauseNs %v: the stopping thread was held up", c.N, d, rt)
			continue
		}
		t.Errorf("cycle %d: pauses %v, runtime's PauseNs %v", c.N, d, rt)
		for _, p := range r.trace.Pauses {
			if p.IsGC() && p.Cycle >= 0 && r.trace.Cycles[p.Cycle].N == c.N {
				t.Logf("  %+v", p)
			}
		}
	}
	if len(disturbed) > max(1, len(cycles)/10) {
		t.Errorf("cycles %v: the trace's pauses run longer than the runtime's in %d of %d cycles", disturbed, len(disturbed), len(cycles))
	}
	want = time.Duration(fig.PauseTotalNs) - outRuntime
	total -= outTrace
	t.Logf("pause total %v, runtime %v (%+.1f%%)", total, want, 100*(float64(total)/float64(want)-1))
	if (total - want).Abs() > max(want/20, time.Duration(len(cycles))*2*time.Microsecond) {
		t.Errorf("pause total %v, runtime's PauseTotalNs %v: off by more than 5%%", total, want)
	}
	if len(disturbed) == 0 {
		checkHistogram(t, r.intervalPauses(cycles), fig.Pauses.Counts, fig.Pauses.Bounds)
	}

	// CPU by source over the interval's cycles.
	var stw, assist, background, idle time.Duration
	for _, c := range cycles {
		stw += c.CPU.SweepTermination + c.CPU.MarkTermination
		assist += c.CPU.Assist
		background += c.CPU.Background
		idle += c.CPU.Idle
	}
	runtimeAssist := fig.cpu("gc/mark/assist")
	t.Logf("assist %v, runtime %v; pause CPU %v, runtime %v; background %v, runtime %v; idle %v, runtime %v",
		assist, runtimeAssist, stw, fig.cpu("gc/pause"), background, fig.cpu("gc/mark/dedicated"), idle, fig.cpu("gc/mark/idle"))
	// The targets are 5 % for assists and 2 points for GC CPU. They hold
	// whenever the process had its CPUs: at GOMAXPROCS=1, and at 2 on an
	// otherwise idle 2-core host. When the host takes CPU away (other load,
	// or more Ps than cores) the trace counts more assist and worker time
	// than the runtime does, the more so the busier the host: part of it is
	// gcMarkDone's ragged barrier, which the trace cannot see, the rest is
	// not explained yet (docs/gc-figures.md). So a run whose process got
	// less than 90 % of GOMAXPROCS × wall in CPU (getrusage) holds the
	// trace's figures only to never being below the runtime's, and logs
	// the excess.
	capacity := fig.cpu("total")
	gcFraction := float64(stw+assist+background) / float64(capacity)
	runtimeFraction := float64(fig.cpu("gc/total")-fig.cpu("gc/mark/idle")) / float64(capacity)
	hadCPUs := r.fig.ProcessCPU >= 0.9*capacity.Seconds()
	t.Logf("GC CPU without idle marking %.2f%%, runtime %.2f%%; the process got %.0f%% of GOMAXPROCS × wall in CPU",
		100*gcFraction, 100*runtimeFraction, 100*r.fig.ProcessCPU/capacity.Seconds())
	lowAssist, highAssist := runtimeAssist-runtimeAssist/20-time.Millisecond, runtimeAssist+runtimeAssist/20+time.Millisecond
	lowCPU, highCPU := runtimeFraction-0.02, runtimeFraction+0.02
	if !hadCPUs {
		highAssist, highCPU = time.Duration(math.MaxInt64), math.Inf(1)
	}
	if assist < lowAssist || assist > highAssist {
		t.Errorf("mark assist %v, runtime %v: outside [%v, %v]", assist, runtimeAssist, lowAssist, highAssist)
	}
	if gcFraction < lowCPU || gcFraction > highCPU {
		t.Errorf("GC CPU %.2f%%, runtime %.2f%%: outside [%.2f%%, %.2f%%]", 100*gcFraction, 100*runtimeFraction, 100*lowCPU, 100*highCPU)
	}
	// From the trace and the log together (a trace lined up with its
	// gctrace log): the trace's stop-the-world CPU, the log's mark work.
	if len(r.log) == 1 {
		logged := map[int]model.Cycle{}
		for _, c := range r.log[0].Cycles {
			logged[c.N] = c
		}
		both := stw
		type excess struct {
			n                  int
			assist, background time.Duration // the trace's less the log's
		}
		var worst []excess
		for _, c := range cycles {
			if lc, ok := logged[int(r.fig.FirstCycle)+c.N-cycles[0].N]; ok {
				both += lc.CPU.Assist + lc.CPU.Background
				worst = append(worst, excess{lc.N, c.CPU.Assist - lc.CPU.Assist, c.CPU.Background - lc.CPU.Background})
			}
		}
		if !hadCPUs {
			// Where the trace's mark work exceeds the runtime's: the cycles
			// with the most, by the log's own per-cycle fields.
			slices.SortFunc(worst, func(a, b excess) int { return cmp.Compare(b.assist+b.background, a.assist+a.background) })
			for _, e := range worst[:min(3, len(worst))] {
				t.Logf("gc %d: the trace has %v more assist and %v more worker time than the log", e.n, e.assist, e.background)
			}
		}
		f := float64(both) / float64(capacity)
		t.Logf("GC CPU from the trace and the log %.2f%%, runtime %.2f%%", 100*f, 100*runtimeFraction)
		if math.Abs(f-runtimeFraction) > 0.02 {
			t.Errorf("GC CPU from the trace and the log %.2f%%, runtime %.2f%%: off by more than 2 points", 100*f, 100*runtimeFraction)
		}
	}
	if stw > time.Duration(r.fig.GOMAXPROCS)*(total+outTrace) {
		t.Errorf("pause CPU %v is more than GOMAXPROCS × the pauses (%v)", stw, total+outTrace)
	}
	// The sources never take more than the procs had.
	g := r.trace.GCCPU
	if sum := g.STW + g.Assist + g.Dedicated + g.Fractional + g.Idle + g.Sweep; sum > g.Capacity {
		t.Errorf("GC CPU sources sum to %v, more than the capacity %v", sum, g.Capacity)
	}

	// The live heap after each forced edge cycle is the runtime's.
	firstEdge := r.trace.Cycles[slices.IndexFunc(r.trace.Cycles, func(c model.Cycle) bool { return c.Forced })]
	if got := firstEdge.HeapLive; got != int64(fig.LiveHeapStart) {
		t.Errorf("live heap after the first edge cycle %d, runtime %d", got, fig.LiveHeapStart)
	}
	if got := cycles[len(cycles)-1].HeapLive; got != int64(fig.LiveHeapEnd) {
		t.Errorf("live heap after the last edge cycle %d, runtime %d", got, fig.LiveHeapEnd)
	}
	r.checkLog(t, cycles)
	r.checkRequests(t)
}

// checkHistogram checks that the pauses fit the runtime's histogram
// delta: every pause can be put in the bucket the runtime counted it in,
// moving a pause across a bound only when it is within 5 µs or 5 % of it
// (the trace's clock ticks in 64 ns on amd64, its pause begins a little
// before the runtime's clock starts — the stop request is traced before
// the scheduler lock is taken — and, for mark termination, ends a little
// before the runtime takes the end time: the heap goal is traced before
// the sweeper and scavenger are paced). Such a placement exists exactly
// when, at every bound b, the runtime's count below b lies between ours
// below b−tolerance and ours below b+tolerance.
func checkHistogram(t reporter, pauses []time.Duration, counts []uint64, bounds []float64) {
	t.Helper()
	secs := make([]float64, len(pauses))
	for i, p := range pauses {
		secs[i] = p.Seconds()
	}
	slices.Sort(secs)
	below := func(x float64) int { n, _ := slices.BinarySearch(secs, x); return n }
	var total uint64
	for _, c := range counts {
		total += c
	}
	if total != uint64(len(pauses)) {
		t.Errorf("%d pauses, the runtime's histogram counted %d", len(pauses), total)
		return
	}
	runtimeBelow := 0
	for i := 1; i < len(bounds); i++ {
		runtimeBelow += int(counts[i-1])
		b := bounds[i]
		tol := max(0.05*b, 5e-6)
		if lo, hi := below(b-tol), below(b+tol); runtimeBelow < lo || runtimeBelow > hi {
			t.Errorf("below %gs the runtime counted %d pauses; the trace has %d to %d within %gs of it", b, runtimeBelow, lo, hi, tol)
		}
	}
}

// checkLog compares the gctrace log of the same process with the trace,
// cycle by cycle: its ->Z live heap equals the trace's to the MB rounding
// it prints, and its pauses are the runtime's.
func (r *oracleRun) checkLog(t reporter, cycles []model.Cycle) {
	t.Helper()
	if len(r.log) != 1 {
		t.Fatalf("%d processes in the gctrace log, want 1", len(r.log))
	}
	byN := map[int]model.Cycle{}
	for _, c := range r.log[0].Cycles {
		byN[c.N] = c
	}
	for i, c := range cycles {
		n := int(r.fig.FirstCycle) + i
		lc, ok := byN[n]
		if !ok {
			t.Errorf("gc %d is not in the log", n)
			continue
		}
		const mb = 1 << 20
		if c.HeapLive >= 0 && lc.HeapLive >= 0 && (c.HeapLive-lc.HeapLive > mb || lc.HeapLive-c.HeapLive > mb) {
			t.Errorf("gc %d: live heap %d in the trace, %d (±1 MB) in the log", n, c.HeapLive, lc.HeapLive)
		}
	}

	// GC CPU from the log alone, over the same interval: the cycles from
	// the first edge (whose end starts the interval) to the last.
	p := r.log[0]
	var within []model.Cycle
	for _, c := range p.Cycles {
		if c.N >= int(r.fig.FirstCycle)-1 && c.N <= int(r.fig.FirstCycle)+len(cycles)-1 {
			within = append(within, c)
		}
	}
	if len(within) != len(cycles)+1 {
		t.Errorf("the log has %d of the interval's %d cycles and its first edge", len(within), len(cycles)+1)
		return
	}
	p.Cycles = within
	run := p.Run(model.Input{Path: "gctrace.log"}, model.IngestStats{})
	g := analyze.Analyze(run, analyze.DefaultOptions()).GC
	// The run's window starts at the first edge's start; the runtime's
	// interval at its end: compare amounts of CPU over the interval.
	edge := within[0]
	capacity := float64(r.fig.cpu("total"))
	runtimeGC := float64(r.fig.cpu("gc/total") - r.fig.cpu("gc/mark/idle"))
	edgeCPU := float64(edge.CPU.SweepTermination + edge.CPU.MarkTermination + edge.CPU.Assist + edge.CPU.Background)
	logGC := g.CPUFraction*float64(analyze.Capacity(run)) - edgeCPU
	_, calibrated := analyze.CalibratedSTW(run)
	t.Logf("GC CPU from the gctrace log alone %.2f%%, runtime %.2f%% (pauses calibrated from P%%: %v)", 100*logGC/capacity, 100*runtimeGC/capacity, calibrated)
	if calibrated && math.Abs(logGC-runtimeGC)/capacity > 0.02 {
		t.Errorf("GC CPU from the gctrace log %.2f%%, runtime %.2f%%: off by more than 2 points", 100*logGC/capacity, 100*runtimeGC/capacity)
	}
}

// checkRequests compares the request percentiles with the program's own
// timing of each task: within 1 % (and 2 µs) at p50, p90 and p99. The
// program reads its clock just outside the task's two events, so a pause
// or preemption between a reading and its event lengthens its timing
// alone; that moves a percentile only when it lands on the request at
// that rank, and a run where it does is run again.
func (r *oracleRun) checkRequests(t reporter) {
	t.Helper()
	var got []time.Duration
	for _, q := range r.trace.Requests.All() {
		if !q.Open {
			got = append(got, q.End.Sub(q.Start))
		}
	}
	slices.Sort(got)
	want := r.fig.Requests
	if len(got) < len(want) {
		t.Fatalf("%d requests in the trace, the program timed %d", len(got), len(want))
	}
	for _, q := range []float64{0.5, 0.9, 0.99} {
		g := got[int(math.Ceil(q*float64(len(got))))-1]
		w := time.Duration(want[int(math.Ceil(q*float64(len(want))))-1])
		tol := w/100 + 2*time.Microsecond
		t.Logf("request p%g: %v from the trace, %v timed by the program (%+.2f%%)", 100*q, g, w, 100*(float64(g)/float64(w)-1))
		if (g - w).Abs() > tol {
			t.Errorf("p%g: %v from the trace, %v timed by the program", 100*q, g, w)
		}
	}
}
