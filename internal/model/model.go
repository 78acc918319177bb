// Package model holds the distilled data types that flow through gcwatch's
// pipeline: ingest (internal/ingest) produces a Run, analysis
// (internal/analyze) and advice (internal/advice) read it, and reports
// (internal/report) render what they return.
//
// A Run is what one process did during the observed window. It is small:
// it grows with the number of GC cycles, stop-the-world pauses and requests,
// never with the number of trace events. Raw events are never kept.
//
// Conventions: times are Time values, nanoseconds on the run's own clock
// (the trace clock for execution traces, time since process start for
// gctrace logs); durations are time.Duration; sizes are bytes as int64, with
// Unknown (-1) where an input did not carry the value.
//
// This package imports nothing of gcwatch's own.
package model

import "time"

// Time is a point on a run's clock, in nanoseconds. For execution traces it
// is the trace clock; for gctrace logs it is the time since runtime init (the
// "@Ts" field).
type Time int64

// Sub returns t-u as a duration.
func (t Time) Sub(u Time) time.Duration { return time.Duration(t - u) }

// Add returns t+d.
func (t Time) Add(d time.Duration) Time { return t + Time(d) }

// Unknown marks a size or count that the input did not carry.
const Unknown = -1

// InputKind says what a file was recognised as.
type InputKind string

const (
	KindTrace      InputKind = "trace"       // runtime/trace execution trace
	KindGCTrace    InputKind = "gctrace"     // GODEBUG=gctrace=1 log
	KindProfile    InputKind = "profile"     // pprof heap/allocs profile
	KindLatencyLog InputKind = "latency-log" // external request log
)

// Input is one file that contributed to a run.
type Input struct {
	Path string    `json:"path"`
	Kind InputKind `json:"kind"`
	// Bytes is the size of the input as read (after decompression).
	Bytes int64 `json:"bytes"`
	// Format is the input's own format version, e.g. "go 1.23 trace" or
	// "gctrace go1.18+".
	Format string `json:"format,omitempty"`
	// Process is the index of the process inside the input when one input
	// held several (a gctrace log with restarting gc counters), else 0.
	Process int `json:"process,omitempty"`
}

// Fidelity records which facts the inputs carried, so that analyses and
// reports can say what they could not know.
type Fidelity struct {
	Trace      bool `json:"trace"`      // an execution trace contributed
	GCTrace    bool `json:"gctrace"`    // a gctrace log contributed
	Goroutines bool `json:"goroutines"` // per-goroutine scheduling is known (traces)
	LiveHeap   bool `json:"live_heap"`  // marked (live) heap per cycle is known (gctrace)
	CPUSplit   bool `json:"cpu_split"`  // assist/background/idle CPU per cycle is known
	Requests   bool `json:"requests"`   // request spans are known
	WallClock  bool `json:"wall_clock"` // the run's clock can be mapped to wall-clock time
	// Stacks says whether the stacks of mark assists and of requests at GC
	// pauses were kept (Run.Stacks; traces read with stacks asked for).
	Stacks bool `json:"stacks,omitempty"`
}

// Run is what one process did during the observed window.
type Run struct {
	Inputs    []Input `json:"inputs"`
	GoVersion string  `json:"go_version,omitempty"` // e.g. "go1.23" when known
	// GoVersionFrom says where GoVersion was read: "trace" (the execution
	// trace's format: "go1.23+" is a release writing that format) or the
	// capture description it came from (meta.json: /metrics go_info or the
	// program's own report).
	GoVersionFrom string `json:"go_version_from,omitempty"`
	// GOMAXPROCS is the value in force at the start of the window (0 when
	// unknown); ProcsChanges lists every change, the first at Start.
	GOMAXPROCS   int           `json:"gomaxprocs"`
	ProcsChanges []ProcsChange `json:"procs_changes,omitempty"`
	// GOGC and MemoryLimit are the settings in force when an input showed
	// them; nil when unknown. GOGC < 0 means off; MemoryLimit < 0 means none.
	GOGC        *int   `json:"gogc,omitempty"`
	MemoryLimit *int64 `json:"memory_limit_bytes,omitempty"`

	// Start and End bound the observed window on the run's clock.
	Start Time `json:"start_ns"`
	End   Time `json:"end_ns"`
	// WallStart is the wall-clock time of Start when an input carried one
	// (Go 1.25+ trace clock snapshots, timestamped log lines).
	WallStart *time.Time `json:"wall_start,omitempty"`

	Fidelity Fidelity `json:"fidelity"`
	// Matching says how inputs of the same process were lined up (a trace
	// with a gctrace log), or is empty when the run has one input.
	Matching string `json:"matching,omitempty"`

	// Cycles in order of their start. A cycle partly outside the window
	// (begun before the trace started, or unfinished at its end) is kept
	// with Partial set.
	Cycles []Cycle `json:"cycles"`
	// Pauses holds every stop-the-world pause, GC and non-GC, in order.
	Pauses []Pause `json:"pauses"`
	// Heap is the heap-in-use and heap goal over time, down-sampled by
	// ingest to a bounded resolution.
	Heap []HeapSample `json:"heap,omitempty"`
	// Requests are tasks (and, when asked, regions or inferred spans),
	// kept compactly (requests.go); nil when there were none.
	Requests *Requests `json:"requests,omitempty"`
	// Regions are every user region seen (trace.WithRegion, StartRegion),
	// kept compactly (regions.go); nil when there were none.
	Regions *Regions `json:"regions,omitempty"`

	// GCCPU is the trace-measured GC CPU over the window, by source.
	// Zero-valued when no trace contributed.
	GCCPU GCCPU `json:"gc_cpu"`

	// MMU is the minimum mutator utilisation computed while streaming the
	// input (nil when it could not be computed).
	MMU *MMU `json:"mmu,omitempty"`

	// Stacks is the table of distinct call stacks that AssistStacks and
	// Request.PauseStacks refer to by index; kept only when ingest was asked
	// for stacks (Fidelity.Stacks). It grows with distinct stacks, not with
	// events.
	Stacks []Stack `json:"stacks,omitempty"`
	// AssistStacks splits GCCPU.Assist by the stack each mark assist began
	// at and the type of the request its goroutine worked for; the times
	// sum to GCCPU.Assist.
	AssistStacks []AssistStack `json:"assist_stacks,omitempty"`

	// Allocs is the top of a heap or allocs profile given with the run's
	// inputs (nil when none was).
	Allocs *AllocProfile `json:"allocs,omitempty"`

	// WholeLog is, for a trace lined up with a gctrace log, that log's
	// process whole: its cycles before and after the trace's window let the
	// advisor fit its cost model when the window holds too few. Nil
	// otherwise.
	WholeLog *Run `json:"-"`

	// Cgroup and ProcessCPU are the CPU the process was given over its
	// run, as a capture measured it outside the trace (nil when not
	// measured: no cgroup v2 files, no process_cpu_seconds_total).
	Cgroup     *CgroupCPU  `json:"cgroup_cpu,omitempty"`
	ProcessCPU *ProcessCPU `json:"process_cpu,omitempty"`
	// CPUFrom names the capture description Cgroup and ProcessCPU were
	// read from.
	CPUFrom string `json:"cpu_from,omitempty"`

	// Stats counts what ingest saw and skipped.
	Stats IngestStats `json:"stats"`
	// Warnings are things the user should know: damage, skipped lines,
	// facts that could not be determined. Each names where (file, offset or
	// line) when it concerns a place in an input.
	Warnings []string `json:"warnings,omitempty"`
}

// Duration is the length of the observed window.
func (r *Run) Duration() time.Duration { return r.End.Sub(r.Start) }

// CgroupCPU is what the cgroup v2 CPU controller of the process's cgroup
// counted over a run (the differences of cpu.stat between its start and
// its end) and the quota it enforced (cpu.max). The counters are the
// whole cgroup's, every process in it.
type CgroupCPU struct {
	// Path is the cgroup, as /proc/PID/cgroup names it.
	Path string `json:"path"`
	// WallMs is the time between the two readings.
	WallMs float64 `json:"wall_ms"`
	// UsageMs is the CPU time the cgroup's processes used (usage_usec).
	UsageMs float64 `json:"usage_ms"`
	// Periods and ThrottledPeriods are the enforcement periods that
	// elapsed and those in which the cgroup ran out of quota (nr_periods,
	// nr_throttled); ThrottledMs the time it was held back (throttled_usec).
	// Nil when the CPU controller is not enabled for the cgroup.
	Periods          *int64   `json:"periods"`
	ThrottledPeriods *int64   `json:"throttled_periods"`
	ThrottledMs      *float64 `json:"throttled_ms"`
	// QuotaCPUs is cpu.max's quota over its period, in CPUs; nil when the
	// quota is "max" (none) or cpu.max could not be read.
	QuotaCPUs *float64 `json:"quota_cpus"`
}

// ProcessCPU is the CPU time the process used over a window, from its
// process_cpu_seconds_total read at both edges.
type ProcessCPU struct {
	CPUMs  float64 `json:"cpu_ms"`
	WallMs float64 `json:"wall_ms"`
	// GOMAXPROCS is what the process's metrics reported (0: not reported).
	GOMAXPROCS int `json:"gomaxprocs,omitempty"`
}

// ProcsChange is a change of GOMAXPROCS.
type ProcsChange struct {
	At    Time `json:"at_ns"`
	Procs int  `json:"procs"`
}

// IngestStats counts what ingest read.
type IngestStats struct {
	Bytes        int64 `json:"bytes"`
	Events       int64 `json:"events"`
	Generations  int   `json:"generations,omitempty"`
	LostBytes    int64 `json:"lost_bytes,omitempty"` // bytes of damaged or truncated input not analysed
	Lines        int64 `json:"lines,omitempty"`
	GCLines      int64 `json:"gc_lines,omitempty"`
	SkippedLines int64 `json:"skipped_lines,omitempty"` // other runtime debug lines (scvg, scav, pacer, SCHED)
	OtherLines   int64 `json:"other_lines,omitempty"`   // application output
	BadLines     int64 `json:"bad_lines,omitempty"`     // gc lines cut short or garbled
}

// Cycle is one GC cycle.
type Cycle struct {
	// N is the runtime's GC number (gctrace "gc N"; trace GC sequence).
	N int `json:"n"`
	// Start is when the cycle began (sweep termination started); End is when
	// mark termination finished.
	Start Time `json:"start_ns"`
	End   Time `json:"end_ns"`
	// Partial is set when the cycle is cut by the edge of the window.
	Partial bool `json:"partial,omitempty"`
	Forced  bool `json:"forced"`

	// SweepTermination and MarkTermination are the cycle's two
	// stop-the-world phases (wall-clock durations). Mark is the concurrent
	// mark phase between them.
	SweepTermination time.Duration `json:"sweep_termination_ns"`
	Mark             time.Duration `json:"mark_ns"`
	MarkTermination  time.Duration `json:"mark_termination_ns"`
	// SweepTerminationAt and MarkTerminationAt are the start times of the
	// two stop-the-world phases.
	SweepTerminationAt Time `json:"sweep_termination_at_ns"`
	MarkTerminationAt  Time `json:"mark_termination_at_ns"`

	// CPU time spent by the GC in this cycle, by kind. From gctrace's cpu
	// fields, or measured from a trace (STW CPU = procs × wall).
	CPU CycleCPU `json:"cpu"`

	// Heap sizes in bytes; Unknown (-1) when not known. HeapStart is the
	// heap in use when the cycle began, HeapEnd when marking finished,
	// HeapLive the marked (live) heap, HeapGoal the goal for this cycle.
	// Stacks and Globals are the scannable roots (Go 1.18+ gctrace).
	HeapStart int64 `json:"heap_start_bytes"`
	HeapEnd   int64 `json:"heap_end_bytes"`
	HeapLive  int64 `json:"heap_live_bytes"`
	HeapGoal  int64 `json:"heap_goal_bytes"`
	Stacks    int64 `json:"stacks_bytes"`
	Globals   int64 `json:"globals_bytes"`
	// Procs is GOMAXPROCS during the cycle; 0 when unknown.
	Procs int `json:"procs"`
	// CumulativeCPUPercent is gctrace's "P%" (GC CPU since program start,
	// truncated); -1 when unknown.
	CumulativeCPUPercent int `json:"cumulative_cpu_percent"`
	// From says which inputs described this cycle.
	From CycleSource `json:"from"`
}

// CycleSource says which inputs described a cycle.
type CycleSource string

const (
	FromTrace   CycleSource = "trace"
	FromGCTrace CycleSource = "gctrace"
	FromBoth    CycleSource = "trace+gctrace"
)

// CycleCPU is GC CPU time in one cycle, by kind.
type CycleCPU struct {
	SweepTermination time.Duration `json:"sweep_termination_ns"`
	Assist           time.Duration `json:"assist_ns"`
	Background       time.Duration `json:"background_ns"` // dedicated + fractional workers
	Dedicated        time.Duration `json:"dedicated_ns,omitempty"`
	Fractional       time.Duration `json:"fractional_ns,omitempty"`
	Idle             time.Duration `json:"idle_ns"`
	MarkTermination  time.Duration `json:"mark_termination_ns"`
	Sweep            time.Duration `json:"sweep_ns,omitempty"` // incremental sweep by mutators (traces only)
}

// GCCPU is the GC's CPU use over a whole window, measured from a trace.
type GCCPU struct {
	// STW is the stop-the-world CPU: over each GC pause, the procs it
	// held stopped (a proc counts from when it stopped until the runtime's
	// pause ends), as the runtime's /cpu/classes/gc/pause counts it.
	STW        time.Duration `json:"stw_ns"`
	Assist     time.Duration `json:"assist_ns"`
	Dedicated  time.Duration `json:"dedicated_ns"`
	Fractional time.Duration `json:"fractional_ns"`
	Idle       time.Duration `json:"idle_ns"`
	Sweep      time.Duration `json:"sweep_ns"`
	// Capacity is the CPU time available: the integral of GOMAXPROCS over
	// the window.
	Capacity time.Duration `json:"capacity_ns"`
}

// PauseKind classifies a stop-the-world pause.
type PauseKind string

const (
	PauseSweepTermination PauseKind = "sweep-termination"
	PauseMarkTermination  PauseKind = "mark-termination"
	PauseNonGC            PauseKind = "non-gc"
)

// Pause is one stop-the-world pause.
type Pause struct {
	// Start and Duration are the pause as the runtime counts it
	// (MemStats.PauseNs, /sched/pauses/total/*): from the stop request
	// until the runtime takes the time to restart the world.
	Start    Time          `json:"start_ns"`
	Duration time.Duration `json:"duration_ns"`
	// Restart is what a trace's stop-the-world range holds after that:
	// the world restarting, while goroutines may already run on other
	// procs (traces only). The trace's range is Duration + Restart.
	Restart time.Duration `json:"restart_ns,omitempty"`
	Kind    PauseKind     `json:"kind"`
	// Reason is the runtime's reason string ("GC mark termination",
	// "read mem stats", "goroutine profile", ...).
	Reason string `json:"reason"`
	// Cycle is the index into Run.Cycles of the cycle a GC pause belongs
	// to, or -1.
	Cycle int `json:"cycle"`
	// Goroutine is the goroutine that stopped the world (traces), or 0.
	Goroutine uint64 `json:"goroutine,omitempty"`
	// TimeToStop is how long it took, after the pause began, until the last
	// running goroutine was stopped (traces only; -1 when unknown).
	TimeToStop time.Duration `json:"time_to_stop_ns"`
	// LastToStop is the goroutine that was last to stop, when known.
	LastToStop uint64 `json:"last_to_stop,omitempty"`
}

// End is when the pause finished.
func (p Pause) End() Time { return p.Start.Add(p.Duration) }

// IsGC reports whether the pause belongs to a GC cycle.
func (p Pause) IsGC() bool { return p.Kind != PauseNonGC }

// HeapSample is the heap in use and the heap goal at a point in time.
type HeapSample struct {
	At   Time  `json:"at_ns"`
	Live int64 `json:"heap_bytes"`      // /memory/classes/heap/objects:bytes (trace) or heap in use; -1 unknown
	Goal int64 `json:"heap_goal_bytes"` // -1 unknown
}

// RequestKind says where a request span came from.
type RequestKind string

const (
	RequestTask     RequestKind = "task"
	RequestRegion   RequestKind = "region"
	RequestLog      RequestKind = "log"
	RequestInferred RequestKind = "inferred"
)

// Request is one request's span and where its goroutines spent the time.
// The per-state durations are summed over the request's goroutines while
// they worked for it, so they may add up to more than End-Start when the
// request fanned out.
type Request struct {
	ID     uint64      `json:"id"`
	Parent uint64      `json:"parent,omitempty"`
	Type   string      `json:"type"`
	Kind   RequestKind `json:"kind"`
	Start  Time        `json:"start_ns"`
	End    Time        `json:"end_ns"`
	// Open is set when the request had not ended when the window ended (End
	// is then the end of the window) or began before it.
	Open bool `json:"open,omitempty"`
	// TraceID and SpanID identify a request taken from a distributed
	// trace's span (zero otherwise), so that a report can point at it in
	// the service's own tracing UI.
	TraceID TraceID `json:"trace_id,omitzero"`
	SpanID  SpanID  `json:"span_id,omitzero"`
	// Accounted says whether the per-state durations below were measured
	// (false for requests from logs). It sits beside Open so that the two
	// share one word: a run can hold millions of requests.
	Accounted bool `json:"accounted"`
	// Goroutines that ran for the request (capped at a few dozen; see
	// GoroutinesTotal for the full count).
	Goroutines      []uint64 `json:"goroutines,omitempty"`
	GoroutinesTotal int      `json:"goroutines_total,omitempty"`

	Running            time.Duration `json:"running_ns"`
	Runnable           time.Duration `json:"runnable_ns"`
	RunnableDuringMark time.Duration `json:"runnable_during_mark_ns"` // runnable while the GC was marking
	Blocked            time.Duration `json:"blocked_ns"`
	Syscall            time.Duration `json:"syscall_ns"`
	Assist             time.Duration `json:"assist_ns"` // own mark assist, executing
	Sweep              time.Duration `json:"sweep_ns"`  // incremental sweep done by its goroutines
	// PauseStacks are, for each GC stop-the-world pause that began while
	// the request was open, the stack of the request's goroutine when the
	// world stopped (only when Run.Fidelity.Stacks).
	PauseStacks []PauseStack `json:"pause_stacks,omitempty"`
}

// NoStack is the stack index of a stack that is not known.
const NoStack = -1

// Frame is one call in a stack.
type Frame struct {
	Function string `json:"function"`
	File     string `json:"file"`
	Line     int64  `json:"line"`
}

// Stack is a call stack, innermost frame first.
type Stack struct {
	Frames []Frame `json:"frames"`
}

// AssistStack is mark-assist time attributed to one stack.
type AssistStack struct {
	// Stack is the index in Run.Stacks of the stack the assists began at,
	// or NoStack for assists in progress when the trace began.
	Stack int `json:"stack"`
	// RequestType is the type of the request the assisting goroutine
	// worked for ("" when none).
	RequestType string `json:"request_type,omitempty"`
	// Time is the assists' executing time.
	Time time.Duration `json:"time_ns"`
}

// PauseStack is where one of a request's goroutines was when a GC pause
// stopped the world.
type PauseStack struct {
	// PauseStart is the pause's start (Pause.Start).
	PauseStart Time   `json:"pause_start_ns"`
	Goroutine  uint64 `json:"goroutine"`
	// Stack is an index in Run.Stacks, or NoStack.
	Stack int `json:"stack"`
}

// Duration is the request's latency.
func (r Request) Duration() time.Duration { return r.End.Sub(r.Start) }

// Region is one user region.
type Region struct {
	Task      uint64 `json:"task"`
	Type      string `json:"type"`
	Goroutine uint64 `json:"goroutine"`
	Start     Time   `json:"start_ns"`
	End       Time   `json:"end_ns"`
	Open      bool   `json:"open,omitempty"`
}

// UtilSource is a consumer of mutator time in the MMU split.
type UtilSource int

const (
	SourceSTW        UtilSource = iota // stop-the-world: every P
	SourceAssist                       // mark assists, while executing
	SourceBackground                   // dedicated and fractional mark workers
	SourceSweep                        // incremental sweep by mutators
	NumSources
)

var sourceNames = [NumSources]string{"stw", "assist", "background", "sweep"}

func (s UtilSource) String() string {
	if s >= 0 && s < NumSources {
		return sourceNames[s]
	}
	return "unknown"
}

// MMU is the minimum mutator utilisation curve. The total curve counts STW,
// assists and background workers (as go tool trace does by default); sweep
// is reported only in the split.
type MMU struct {
	Points []MMUPoint `json:"points"`
	// Synthesized is set when the curve was built from gctrace phases
	// rather than measured from a trace.
	Synthesized bool `json:"synthesized,omitempty"`
}

// MMUPoint is the MMU for one window size.
type MMUPoint struct {
	Window time.Duration `json:"window_ns"`
	MMU    float64       `json:"mmu"`
	// BySource is the MMU if only that source took mutator time.
	BySource [NumSources]float64 `json:"by_source"`
	// Worst are the worst disjoint windows of this size, worst first.
	Worst []MMUWindow `json:"worst,omitempty"`
}

// MMUWindow is one window and what took its mutator time.
type MMUWindow struct {
	Start       Time    `json:"start_ns"`
	Utilization float64 `json:"utilization"`
	// Lost is the fraction of the window's CPU capacity taken by each
	// source.
	Lost [NumSources]float64 `json:"lost"`
}

// AllocProfile is what a pprof heap or allocs profile says about where the
// program allocates.
type AllocProfile struct {
	Path string `json:"path"`
	// SampleType is the profile value the sites are ranked by:
	// "alloc_space" (bytes allocated since start) when the profile has it,
	// else "inuse_space".
	SampleType   string      `json:"sample_type"`
	TotalBytes   int64       `json:"total_bytes"`
	TotalObjects int64       `json:"total_objects"`
	Sites        []AllocSite `json:"sites"`
	// InputBytes is the size of the profile as read (after
	// decompression); the run's inputs list carries it.
	InputBytes int64 `json:"-"`
	// WindowSeconds is how long the profile's allocations were counted
	// over when it is a delta (net/http/pprof's /debug/pprof/allocs?seconds=N,
	// as gcwatch capture fetches it); 0 when it counts since the process
	// started (or holds what is in use, for inuse_space). Covers says so in
	// words: "allocated over the 5s before it was taken", "allocated since
	// the process started", "in use when it was taken".
	WindowSeconds float64 `json:"window_seconds"`
	Covers        string  `json:"covers"`
}

// AllocSite is one place in the program's own code that allocates: the
// first frame outside the runtime and the standard library (Via names the
// standard-library function that allocated for it, when one did).
type AllocSite struct {
	Function string `json:"function"`
	File     string `json:"file"`
	Line     int64  `json:"line"`
	Via      string `json:"via,omitempty"`
	// Callers are the next few frames up, innermost first.
	Callers []string `json:"callers,omitempty"`
	Bytes   int64    `json:"bytes"`
	Objects int64    `json:"objects"`
	// Share is Bytes over the profile's total.
	Share float64 `json:"share"`
}
