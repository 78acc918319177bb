package analyze

import (
	"cmp"
	"fmt"
	"slices"
	"sync"
	"time"

	"github.com/gcwatch/gcwatch/internal/model"
)

// Options tune an analysis. The zero value is not useful; start from
// DefaultOptions.
type Options struct {
	// WorstPauses is how many of the longest pauses the result lists.
	WorstPauses int
	// WorstRequests is how many of the slowest requests the attribution
	// lists.
	WorstRequests int
	// TaskType, when set, keeps only requests of that type. When no
	// request has it, regions of that type are the requests.
	TaskType string
}

// DefaultOptions returns the options gcwatch uses unless told otherwise.
func DefaultOptions() Options {
	return Options{WorstPauses: 10, WorstRequests: 10}
}

// Result is everything the reports show about one run.
type Result struct {
	Run         *model.Run
	GC          GC
	NonGCSTW    []STWByReason
	Latency     Latency
	Cycles      []CycleRow
	WorstPauses []PauseRow
	// LiveHeap is the live heap and goal after each cycle.
	LiveHeap []HeapPoint
	MMU      *model.MMU
	// Attribution splits request latency by cause; nil without requests.
	Attribution *Attribution
	// Requests are what Latency and Attribution were computed over (the
	// run's requests, or its user regions made requests), and Counted the
	// indices in Requests of the ones they count (selected and ended).
	Requests *model.Requests
	Counted  []int32
	Warnings []string

	// LatencyOverTime is the counted requests' latency per window of
	// LatencyWindow (by end time; empty windows left out).
	LatencyOverTime []LatencyWindow
	LatencyWindow   time.Duration
}

// GC summarises the collector's cost over the window.
type GC struct {
	Cycles        int
	ForcedCycles  int
	PartialCycles int
	// STW is the distribution of GC stop-the-world pauses (sweep
	// termination and mark termination, each one a pause).
	STW Distribution
	// CPUFraction is the GC's share of the available CPU (0..1); CPUSource
	// says where it came from ("trace", "gctrace" or "" when unknown).
	CPUFraction float64
	CPUSource   string
	CPU         CPUShares
	// MarkAssistTotal is the executing time of mark assists (traces only;
	// nil when unknown).
	MarkAssistTotal *time.Duration
	// PerSecond is the GC frequency over the window.
	PerSecond float64
	// AllocRate is the allocation rate in bytes per second derived from
	// consecutive cycles' heap sizes; -1 when unknown.
	AllocRate float64
	// Window is the length of the observed window.
	Window time.Duration
}

// CPUShares splits the GC CPU fraction by kind (fractions of capacity).
type CPUShares struct {
	STW        float64
	Assist     float64
	Background float64
	Idle       float64 // not counted in CPUFraction: idle workers use Ps nobody wanted
}

// STWByReason groups non-GC stop-the-world pauses.
type STWByReason struct {
	Reason string
	Distribution
}

// Latency summarises request latency.
type Latency struct {
	// Source is "task", "region", "log", "inferred" or "none".
	Source   string
	Requests int
	// Open counts requests cut by the window, left out of the percentiles.
	Open int
	Distribution
}

// CycleRow is one cycle as the reports show it.
type CycleRow struct {
	N                int
	Start            model.Time
	Forced           bool
	Partial          bool
	SweepTermination time.Duration
	Mark             time.Duration
	MarkTermination  time.Duration
	Assist           time.Duration
	HeapStart        int64
	HeapEnd          int64
	HeapLive         int64
	HeapGoal         int64
	Stacks           int64
	Globals          int64
	From             model.CycleSource
}

// PauseRow is a pause with the cycle it belongs to.
type PauseRow struct {
	model.Pause
	// CycleN is the runtime's GC number of the pause's cycle, or 0.
	CycleN int
}

// HeapPoint is the heap after a cycle.
type HeapPoint struct {
	At   model.Time
	Live int64
	Goal int64
}

// Analyze computes the result for one run.
func Analyze(run *model.Run, opts Options) *Result {
	res := &Result{Run: run, Warnings: slices.Clone(run.Warnings)}
	res.Cycles = cycleRows(run.Cycles)
	res.GC = gcSummary(run)
	if g := res.GC; g.CPUSource == "trace" && run.GOMAXPROCS > 1 && g.CPU.Assist+g.CPU.Background >= 0.05 {
		res.Warnings = append(res.Warnings, fmt.Sprintf("mark assist and worker time (%.1f%% of the CPU) come from the trace alone: when the process gets less CPU than GOMAXPROCS (more Ps than free cores, a busy host or a CPU quota), the trace also counts time its threads wait, descheduled, inside GC bookkeeping the runtime does not time (gcMarkDone's wait for every P, runtime locks), which can add several points; a gctrace log of the same process, given with the trace, has the runtime's own figures", 100*(g.CPU.Assist+g.CPU.Background)))
	}
	if _, calibrated := CalibratedSTW(run); res.GC.CPUSource == "gctrace" && res.GC.CPU.STW >= 0.01 && !calibrated {
		g := res.GC
		res.Warnings = append(res.Warnings, fmt.Sprintf("the stop-the-world part of the GC CPU (%.1f%%) comes from a gctrace log, which counts every P for the whole of each pause; the runtime's own accounting counts a P only once it has stopped, so this part is an upper bound (an execution trace measures it)", 100*g.CPU.STW))
	}
	res.NonGCSTW = nonGCSTW(run.Pauses)
	res.WorstPauses = worstPauses(run, opts.WorstPauses)
	res.LiveHeap = liveHeap(run.Cycles)
	reqs := run.Requests
	var sel []int32
	res.Latency, sel = latency(reqs, opts.TaskType)
	if res.Latency.Source == "none" && run.Regions.Len() > 0 {
		// No tasks: user regions are the next best request spans.
		reqs = regionRequests(run.Regions, opts.TaskType)
		res.Latency, sel = latency(reqs, "")
		if res.Latency.Requests > 0 {
			res.Warnings = append(res.Warnings, "no tasks in the trace: requests are user regions (the outermost of each goroutine), and only their overlap with stop-the-world pauses is attributed")
		}
	}
	res.Requests, res.Counted = reqs, sel
	// The latency over time and the attribution only read the requests:
	// the first runs alongside (a million requests take a fraction of a
	// second each).
	var wg sync.WaitGroup
	wg.Go(func() { res.LatencyOverTime, res.LatencyWindow = latencyOverTime(run, reqs, sel) })
	if res.Latency.Requests > 0 {
		res.Attribution = attributeSelected(run, reqs, sel, opts.WorstRequests)
		// The attribution ranked every counted request's latency.
		res.Latency.Distribution = distributeDescending(res.Attribution.Latencies)
	}
	wg.Wait()
	res.MMU = run.MMU
	if res.MMU == nil && len(run.Cycles) > 0 {
		res.MMU = synthesizeMMU(run)
	}
	if run.Duration() <= 0 {
		res.Warnings = append(res.Warnings, "the observed window is empty: rates and fractions are not known")
	} else if len(run.Cycles) < 3 {
		res.Warnings = append(res.Warnings, fmt.Sprintf("only %d GC cycle(s) in %s: figures rest on little data", len(run.Cycles), run.Duration().Round(time.Millisecond)))
	}
	return res
}

func cycleRows(cycles []model.Cycle) []CycleRow {
	rows := make([]CycleRow, len(cycles))
	for i, c := range cycles {
		rows[i] = CycleRow{
			N: c.N, Start: c.Start, Forced: c.Forced, Partial: c.Partial,
			SweepTermination: c.SweepTermination, Mark: c.Mark, MarkTermination: c.MarkTermination,
			Assist:    c.CPU.Assist,
			HeapStart: c.HeapStart, HeapEnd: c.HeapEnd, HeapLive: c.HeapLive, HeapGoal: c.HeapGoal,
			Stacks: c.Stacks, Globals: c.Globals, From: c.From,
		}
	}
	return rows
}

func gcSummary(run *model.Run) GC {
	g := GC{Window: run.Duration(), AllocRate: -1}
	for _, c := range run.Cycles {
		g.Cycles++
		if c.Forced {
			g.ForcedCycles++
		}
		if c.Partial {
			g.PartialCycles++
		}
	}
	var stw []time.Duration
	for _, p := range run.Pauses {
		if p.IsGC() {
			stw = append(stw, p.Duration)
		}
	}
	g.STW = Distribute(stw)
	if g.Window > 0 {
		g.PerSecond = float64(g.Cycles-g.PartialCycles) / g.Window.Seconds()
	}
	g.CPUFraction, g.CPU, g.CPUSource = gcCPU(run)
	if run.Fidelity.Trace {
		a := run.GCCPU.Assist
		g.MarkAssistTotal = &a
	}
	g.AllocRate = allocRate(run.Cycles)
	return g
}

// gcCPU returns the GC CPU fraction. From a trace: stop-the-world CPU
// (each proc from when it stopped until the runtime's pause ended) plus
// assist plus dedicated and fractional worker time over the CPU capacity.
// From gctrace alone: the sum of each cycle's cpu fields (idle excluded)
// over GOMAXPROCS × wall, the runtime's P% definition but for the pauses
// (see below).
func gcCPU(run *model.Run) (float64, CPUShares, string) {
	if run.Fidelity.Trace && run.GCCPU.Capacity > 0 {
		c := run.GCCPU
		capacity := float64(c.Capacity)
		assist, bg, idle := c.Assist, c.Dedicated+c.Fractional, c.Idle
		source := "trace"
		if da, dbg, di, n := loggedMarkCPU(run); n > 0 {
			assist, bg, idle = max(assist+da, 0), max(bg+dbg, 0), max(idle+di, 0)
			source = "trace and gctrace"
		}
		s := CPUShares{
			STW:        float64(c.STW) / capacity,
			Assist:     float64(assist) / capacity,
			Background: float64(bg) / capacity,
			Idle:       float64(idle) / capacity,
		}
		return s.STW + s.Assist + s.Background, s, source
	}
	capacity := float64(Capacity(run))
	if capacity <= 0 || len(run.Cycles) == 0 {
		return 0, CPUShares{}, ""
	}
	var stw, assist, bg, idle time.Duration
	for _, c := range run.Cycles {
		// A pause's CPU is the first and last "ms cpu" fields. The runtime
		// prints them as min(GOMAXPROCS, CPUs) × the pause's clock, which
		// runs from before it starts stopping the world until the world
		// runs again; Ps that went on running goroutines while others
		// stopped count in full. Its own /cpu/classes/gc/pause counts only
		// the Ps already stopped, so this is above the runtime's figure,
		// the more so the slower the stop (a loaded machine, long
		// non-preemptible loops). calibratedSTW does better when it can.
		stw += c.CPU.SweepTermination + c.CPU.MarkTermination
		assist += c.CPU.Assist
		bg += c.CPU.Background
		idle += c.CPU.Idle
	}
	if cal, ok := CalibratedSTW(run); ok {
		stw = cal
	}
	s := CPUShares{
		STW:        float64(stw) / capacity,
		Assist:     float64(assist) / capacity,
		Background: float64(bg) / capacity,
		Idle:       float64(idle) / capacity,
	}
	return s.STW + s.Assist + s.Background, s, "gctrace"
}

// loggedMarkCPU is, for a trace lined up with a gctrace log, how much the
// log's assist, background and idle cpu fields differ from the trace's
// measure of the same cycles, over the n cycles both saw. The log's fields
// are the runtime's own counters (runtime/metrics adds the same); the
// trace counts a goroutine's assist or worker run until it stops the world
// for mark termination, unable to see where it entered gcMarkDone before
// that, which with more Ps than free cores is milliseconds a cycle. So
// where both saw a cycle, the GC CPU takes the log's mark work and the
// trace's stop-the-world CPU (which the log cannot measure).
func loggedMarkCPU(run *model.Run) (assist, bg, idle time.Duration, n int) {
	if run.WholeLog == nil {
		return 0, 0, 0, 0
	}
	logged := make(map[int]model.Cycle, len(run.WholeLog.Cycles))
	for _, c := range run.WholeLog.Cycles {
		logged[c.N] = c
	}
	for _, c := range run.Cycles {
		g, ok := logged[c.N]
		if c.From != model.FromBoth || !ok || c.Partial {
			continue
		}
		assist += g.CPU.Assist - c.CPU.Assist
		bg += g.CPU.Background - (c.CPU.Dedicated + c.CPU.Fractional)
		idle += g.CPU.Idle - c.CPU.Idle
		n++
	}
	return assist, bg, idle, n
}

// CalibratedSTW is a gctrace run's stop-the-world CPU as the runtime
// counts it, when the log's own cumulative GC CPU can tell it. Each gc
// line's "P%" is the runtime's GC CPU since the process started (idle
// marking excluded, with its real pause CPU), truncated to a whole
// percent, over GOMAXPROCS × the time since the start. Between the end of
// the first cycle and the end of the last, the runtime's GC CPU is then
// the difference of the two cumulative amounts; less the assist and
// background fields (the same counters the runtime adds), it leaves the
// pauses' CPU. The truncation makes each amount uncertain by 1 % of its
// span since the start, so this is used only when that leaves the window's
// figure within 1.5 points (a log from near the process start: gcwatch
// run, a captured stderr) and GOMAXPROCS did not change; the result is
// kept between 0 and GOMAXPROCS × the pauses' clock. The first cycle's own
// pauses keep their printed CPU.
func CalibratedSTW(run *model.Run) (time.Duration, bool) {
	n := len(run.Cycles)
	procs := run.GOMAXPROCS
	if run.Fidelity.Trace || n < 3 || procs <= 0 || len(run.ProcsChanges) > 1 {
		return 0, false
	}
	first, last := run.Cycles[0], run.Cycles[n-1]
	if first.CumulativeCPUPercent < 0 || last.CumulativeCPUPercent < 0 || first.Partial || last.Partial || last.End <= first.End {
		return 0, false
	}
	total := func(c model.Cycle) float64 { return float64(procs) * float64(c.End) } // CPU ns since the start
	window := float64(procs) * float64(last.End-first.End)
	if uncertain := 0.005 * (total(first) + total(last)); uncertain > 0.015*window {
		return 0, false
	}
	// Each percent is truncated: the midpoint of [P, P+1).
	gc := (float64(last.CumulativeCPUPercent)+0.5)/100*total(last) - (float64(first.CumulativeCPUPercent)+0.5)/100*total(first)
	var most, mark time.Duration
	for _, c := range run.Cycles[1:] {
		// At most every P for the whole of each pause. (Not the printed
		// pause cpu: the runtime prints it with GOMAXPROCS capped at the
		// machine's CPU count, while its own accounting counts every P.)
		most += time.Duration(procs) * (c.SweepTermination + c.MarkTermination)
		mark += c.CPU.Assist + c.CPU.Background
	}
	stw := min(max(time.Duration(gc)-mark, 0), most)
	return first.CPU.SweepTermination + first.CPU.MarkTermination + stw, true
}

// Capacity is the CPU time the run's Ps offered over its window: the
// integral of GOMAXPROCS.
func Capacity(run *model.Run) time.Duration {
	if run.Duration() <= 0 {
		return 0
	}
	procs := run.GOMAXPROCS
	at := run.Start
	var total time.Duration
	for _, ch := range run.ProcsChanges {
		if ch.At <= at {
			procs = ch.Procs
			continue
		}
		end := min(ch.At, run.End)
		total += time.Duration(procs) * end.Sub(at)
		at, procs = end, ch.Procs
		if at >= run.End {
			break
		}
	}
	if at < run.End {
		total += time.Duration(procs) * run.End.Sub(at)
	}
	return total
}

// allocRate derives bytes allocated per second from consecutive complete
// cycles. After cycle i the runtime resets its heap-in-use count to the
// marked heap (HeapLive), and from then on the count only grows by
// allocation until cycle i+1's mark termination (HeapEnd). So the bytes
// allocated between the end of cycle i and the end of cycle i+1 are
// HeapEnd[i+1] − HeapLive[i].
func allocRate(cycles []model.Cycle) float64 {
	var bytes int64
	var span time.Duration
	for i := 0; i+1 < len(cycles); i++ {
		a, b := cycles[i], cycles[i+1]
		if a.Partial || b.Partial || a.HeapLive < 0 || b.HeapEnd < 0 || b.End <= a.End {
			continue
		}
		if d := b.HeapEnd - a.HeapLive; d >= 0 {
			bytes += d
			span += b.End.Sub(a.End)
		}
	}
	if span <= 0 {
		return -1
	}
	return float64(bytes) / span.Seconds()
}

func nonGCSTW(pauses []model.Pause) []STWByReason {
	by := map[string][]time.Duration{}
	for _, p := range pauses {
		if !p.IsGC() {
			by[p.Reason] = append(by[p.Reason], p.Duration)
		}
	}
	out := make([]STWByReason, 0, len(by))
	for reason, ds := range by {
		out = append(out, STWByReason{Reason: reason, Distribution: Distribute(ds)})
	}
	slices.SortFunc(out, func(a, b STWByReason) int {
		return cmp.Or(cmp.Compare(b.Total, a.Total), cmp.Compare(a.Reason, b.Reason))
	})
	return out
}

func worstPauses(run *model.Run, n int) []PauseRow {
	rows := make([]PauseRow, 0, len(run.Pauses))
	for _, p := range run.Pauses {
		r := PauseRow{Pause: p}
		if p.Cycle >= 0 && p.Cycle < len(run.Cycles) {
			r.CycleN = run.Cycles[p.Cycle].N
		}
		rows = append(rows, r)
	}
	slices.SortStableFunc(rows, func(a, b PauseRow) int {
		return cmp.Or(cmp.Compare(b.Duration, a.Duration), cmp.Compare(a.Start, b.Start))
	})
	if n >= 0 && len(rows) > n {
		rows = rows[:n]
	}
	return rows
}

func liveHeap(cycles []model.Cycle) []HeapPoint {
	var out []HeapPoint
	for _, c := range cycles {
		if c.HeapLive < 0 && c.HeapGoal < 0 {
			continue
		}
		out = append(out, HeapPoint{At: c.End, Live: c.HeapLive, Goal: c.HeapGoal})
	}
	return out
}

// latency selects the requests (by default every top-level task) and
// counts them; their distribution comes from the attribution, which ranks
// them. It returns the indices in reqs of the selected requests that
// ended.
func latency(reqs *model.Requests, taskType string) (Latency, []int32) {
	l := Latency{Source: "none"}
	n := reqs.Len()
	fromLog, fromTasks, children := false, false, false
	for i := range n {
		k := reqs.Kind(i)
		fromLog = fromLog || k == model.RequestLog
		fromTasks = fromTasks || k == model.RequestTask
		children = children || reqs.Parent(i) != 0
	}
	// ids are the requests' ids, sorted, for finding parents: a sorted
	// slice is a fraction of a map's size for a million requests.
	var ids []uint64
	if children && taskType == "" {
		ids = make([]uint64, 0, n)
		for i := range n {
			if reqs.Kind(i) == model.RequestTask { // parents are tasks; other kinds number their own
				ids = append(ids, reqs.ID(i))
			}
		}
		slices.Sort(ids)
	}
	selected := make([]int32, 0, n)
	for i := range n {
		kind := reqs.Kind(i)
		// A latency log given with the inputs is what the service's
		// clients saw: it is the request latency, the tasks only its
		// in-process part.
		if fromLog && kind != model.RequestLog {
			continue
		}
		// Tasks say where requests begin and end; spans inferred from
		// server goroutines (asked for alongside them) only approximate it.
		if fromTasks && kind == model.RequestInferred {
			continue
		}
		if taskType != "" && reqs.Type(i) != taskType {
			continue
		}
		// By default only top-level tasks are requests: a child whose parent
		// is in the run is part of its parent's latency. A parent begun
		// before the trace started is not in the run; its children count.
		if taskType == "" && kind == model.RequestTask {
			if p := reqs.Parent(i); p != 0 {
				if _, found := slices.BinarySearch(ids, p); found {
					continue
				}
			}
		}
		if l.Source == "none" {
			l.Source = string(kind)
		}
		if reqs.Open(i) {
			l.Open++
			continue
		}
		selected = append(selected, int32(i))
	}
	l.Requests = len(selected)
	if len(selected) < cap(selected)/2 {
		selected = slices.Clone(selected) // kept through the analysis
	}
	return l, selected
}

// regionRequests makes requests of user regions when a trace has no tasks:
// regions of the given type, or by default each goroutine's outermost ones
// (a region inside another on the same goroutine is part of it).
func regionRequests(regions *model.Regions, typ string) *model.Requests {
	var rs []model.Region
	for r := range regions.All() {
		if typ == "" || r.Type == typ {
			rs = append(rs, r)
		}
	}
	slices.SortFunc(rs, func(a, b model.Region) int {
		return cmp.Or(cmp.Compare(a.Goroutine, b.Goroutine), cmp.Compare(a.Start, b.Start), cmp.Compare(b.End, a.End))
	})
	out := &model.Requests{}
	var outer *model.Region
	for i := range rs {
		r := &rs[i]
		if typ != "" {
			if r.Type != typ {
				continue
			}
		} else if outer != nil && outer.Goroutine == r.Goroutine && r.Start >= outer.Start && r.End <= outer.End {
			continue
		}
		outer = r
		out.Append(model.Request{
			ID: uint64(out.Len() + 1), Type: r.Type, Kind: model.RequestRegion,
			Start: r.Start, End: r.End, Open: r.Open, Goroutines: []uint64{r.Goroutine}, GoroutinesTotal: 1,
		})
	}
	return out
}
