package gctrace

import (
	"fmt"
	"slices"
	"time"

	"github.com/gcwatch/gcwatch/internal/model"
)

// Process is one process's gc records, in the order they were printed.
type Process struct {
	// Index is the process's position in Result.Processes (order of first
	// appearance in the log).
	Index  int
	Cycles []model.Cycle
	// Format is the record layout: "gctrace go1.18+", "gctrace go1.6-go1.17"
	// or "gctrace go1.5".
	Format string
	// GOMAXPROCS is the "N P" of the last record; ProcsChanges lists the
	// value at the first cycle and every change after it.
	GOMAXPROCS   int
	ProcsChanges []model.ProcsChange
	// FirstLine and LastLine are the 1-based input lines of the process's
	// first and last record (damaged ones included).
	FirstLine, LastLine int
	// TimeWentBack is the line of the process's first record when it
	// continued another's gc count at an earlier time, which is why it is
	// a process of its own; 0 when its count started afresh.
	TimeWentBack int
	// WallStart estimates the wall-clock time of runtime init, when line
	// prefixes carried timestamps: the median (the upper one for an even
	// count) over records of the line's time minus @T, so that lines a
	// shipper stamped late do not move it. Nil otherwise.
	WallStart *time.Time
	// Warnings concern this process: its damaged lines, gaps in its gc
	// numbers, timestamps that could not be used.
	Warnings []string
}

// Run converts the process into a model.Run. input names the log; Run sets
// its Kind, Process index and (when empty) Format. stats is stored as is, so
// the caller chooses whether a run carries the whole log's counts.
func (p *Process) Run(input model.Input, stats model.IngestStats) *model.Run {
	input.Kind = model.KindGCTrace
	input.Process = p.Index
	if input.Format == "" {
		input.Format = p.Format
	}
	run := &model.Run{
		Inputs:       []model.Input{input},
		ProcsChanges: slices.Clone(p.ProcsChanges),
		Fidelity: model.Fidelity{
			GCTrace:   true,
			LiveHeap:  true,
			CPUSplit:  true,
			WallClock: p.WallStart != nil,
		},
		Cycles:   slices.Clone(p.Cycles),
		Pauses:   make([]model.Pause, 0, 2*len(p.Cycles)),
		Stats:    stats,
		Warnings: slices.Clone(p.Warnings),
	}
	if len(p.ProcsChanges) > 0 {
		// The model wants the value in force at the start of the window.
		run.GOMAXPROCS = p.ProcsChanges[0].Procs
	}
	for i, c := range p.Cycles {
		if i == 0 || c.Start < run.Start {
			run.Start = c.Start
		}
		run.End = max(run.End, c.End)
		run.Pauses = append(run.Pauses,
			model.Pause{
				Start: c.SweepTerminationAt, Duration: c.SweepTermination,
				Kind: model.PauseSweepTermination, Reason: "GC sweep termination",
				Cycle: i, TimeToStop: -1,
			},
			model.Pause{
				Start: c.MarkTerminationAt, Duration: c.MarkTermination,
				Kind: model.PauseMarkTermination, Reason: "GC mark termination",
				Cycle: i, TimeToStop: -1,
			})
	}
	if len(p.Cycles) > 0 && p.Cycles[0].N == 1 {
		// The log begins with the process's first cycle: the window opens
		// at process start, the zero of its clock.
		run.Start = 0
	}
	// The model's WallStart is the wall time of Run.Start; the process's
	// is that of its clock's zero.
	if p.WallStart != nil {
		t := p.WallStart.Add(time.Duration(run.Start))
		run.WallStart = &t
	}
	return run
}

// cycle converts a record into a model.Cycle.
func (r *record) cycle() model.Cycle {
	c := model.Cycle{
		N:                    r.n,
		Start:                model.Time(r.start),
		Forced:               r.forced,
		HeapStart:            bytesOf(r.heapStart),
		HeapEnd:              bytesOf(r.heapEnd),
		HeapLive:             bytesOf(r.heapLive),
		HeapGoal:             bytesOf(r.heapGoal),
		Stacks:               bytesOf(r.stacks),
		Globals:              bytesOf(r.globals),
		Procs:                r.procs,
		CumulativeCPUPercent: r.cpuPercent,
		From:                 model.FromGCTrace,
	}
	var sweepTerm, mark, markTerm int64
	if r.format == formatGo15 {
		// Go 1.5's scan and write-barrier-install phases ran concurrently
		// with the mutator, between the two pauses: they are part of mark.
		// Their cpu (the scan goroutine's wall time; install is always 0)
		// was background GC work.
		sweepTerm, mark, markTerm = r.clock[0], r.clock[1]+r.clock[2]+r.clock[3], r.clock[4]
		c.CPU = model.CycleCPU{
			SweepTermination: time.Duration(r.cpu[0]),
			Assist:           time.Duration(r.cpu[3]),
			Background:       time.Duration(r.cpu[1] + r.cpu[2] + r.cpu[4]),
			Idle:             time.Duration(r.cpu[5]),
			MarkTermination:  time.Duration(r.cpu[6]),
		}
	} else {
		sweepTerm, mark, markTerm = r.clock[0], r.clock[1], r.clock[2]
		c.CPU = model.CycleCPU{
			SweepTermination: time.Duration(r.cpu[0]),
			Assist:           time.Duration(r.cpu[1]),
			Background:       time.Duration(r.cpu[2]),
			Idle:             time.Duration(r.cpu[3]),
			MarkTermination:  time.Duration(r.cpu[4]),
		}
	}
	c.SweepTermination = time.Duration(sweepTerm)
	c.Mark = time.Duration(mark)
	c.MarkTermination = time.Duration(markTerm)
	c.SweepTerminationAt = c.Start
	c.MarkTerminationAt = c.Start.Add(c.SweepTermination + c.Mark)
	c.End = c.MarkTerminationAt.Add(c.MarkTermination)
	return c
}

// bytesOf converts a size printed in MiB to bytes, keeping -1 as
// model.Unknown.
func bytesOf(mib int64) int64 {
	if mib < 0 {
		return model.Unknown
	}
	return mib << 20
}

// procBuilder is a process while the log is being read.
type procBuilder struct {
	p         Process
	format    formatKind
	lastN     int
	lastStart int64
	// lastProcs, lastLive and lastGoal describe the last good record
	// (0 or -1 before one); they break ties between candidate processes.
	lastProcs int
	lastLive  int64
	lastGoal  int64
	// lastLine orders processes by recency.
	lastLine int
	// firstN is the number of the process's first record.
	firstN int
	// chunks hold the cycles while the log is read: appending to one
	// growing slice would copy and clear the cycles again at each growth,
	// which costs more than parsing them. finish joins them.
	chunks  [][]model.Cycle
	ncycles int
	// offsets are line wall time minus @T (Unix nanoseconds), for
	// WallStart.
	offsets           []int64
	noYear, noZone    int
	warnings, dropped int
}

// addRecord appends a record's cycle: a good record's, or that of one cut
// after its cpu fields (cut), whose later fields are unknown.
func (b *procBuilder) addRecord(rec *record, cut bool, line int) {
	c := rec.cycle()
	if rec.procs > 0 && (len(b.p.ProcsChanges) == 0 || rec.procs != b.p.GOMAXPROCS) {
		b.p.ProcsChanges = append(b.p.ProcsChanges, model.ProcsChange{At: c.Start, Procs: rec.procs})
	}
	if len(b.chunks) == 0 || len(b.chunks[len(b.chunks)-1]) == cap(b.chunks[len(b.chunks)-1]) {
		// Small first chunks keep the many tiny processes of a go build
		// log small; later ones are large.
		size := min(cycleChunk, 8<<min(len(b.chunks), 9))
		b.chunks = append(b.chunks, make([]model.Cycle, 0, size))
	}
	last := &b.chunks[len(b.chunks)-1]
	*last = append(*last, c)
	b.ncycles++
	if rec.procs > 0 {
		// A cut record leaves the last known value in force.
		b.p.GOMAXPROCS, b.lastProcs = rec.procs, rec.procs
	}
	if b.format == formatUnknown {
		b.format = rec.layout(cut)
	}
	b.lastLive, b.lastGoal = rec.heapLive, rec.heapGoal
	b.advance(rec.n, rec.start, line)
}

// advance moves the process on to record n at start, printed on line.
func (b *procBuilder) advance(n int, start int64, line int) {
	if b.p.FirstLine == 0 {
		b.p.FirstLine, b.firstN = line, n
	}
	b.p.LastLine = line
	b.lastN, b.lastStart, b.lastLine = n, start, line
}

// stamp records what the line's timestamp says about the process start.
func (b *procBuilder) stamp(t time.Time, kind stampKind, start int64) {
	if (kind == stampFull || kind == stampNoZone) && (t.Year() < 1970 || t.Year() > 2200) {
		// Not a log shipper's stamp, and outside what UnixNano can hold.
		return
	}
	switch kind {
	case stampFull, stampNoZone:
		b.offsets = append(b.offsets, t.UnixNano()-start)
		if kind == stampNoZone {
			b.noZone++
		}
	case stampNoYear:
		b.noYear++
	}
}

// cycleChunk is the size of the chunks that hold a process's cycles while
// the log is read.
const cycleChunk = 4096

// maxProcessWarnings caps a process's warnings; the rest are counted.
const maxProcessWarnings = 50

func (b *procBuilder) warn(msg string) {
	if b.warnings >= maxProcessWarnings {
		b.dropped++
		return
	}
	b.warnings++
	b.p.Warnings = append(b.p.Warnings, msg)
}

// finish completes the process: format, wall-clock start, and the notes
// about the whole process, which it also returns. They are made here rather
// than on the way so that a process that ends up without a good record, and
// is dropped, leaves none.
func (b *procBuilder) finish(name string) (Process, []string) {
	b.p.Format = b.format.String()
	b.p.Cycles = make([]model.Cycle, 0, b.ncycles)
	for _, chunk := range b.chunks {
		b.p.Cycles = append(b.p.Cycles, chunk...)
	}
	b.chunks = nil
	var notes []string
	if b.firstN > 1 {
		notes = append(notes, fmt.Sprintf(
			"%s:%d: process starts at gc %d; its earlier cycles are not in the log", name, b.p.FirstLine, b.firstN))
	}
	if len(b.offsets) > 0 {
		slices.Sort(b.offsets)
		t := time.Unix(0, b.offsets[len(b.offsets)/2]).UTC()
		b.p.WallStart = &t
		if b.noZone > 0 {
			notes = append(notes, fmt.Sprintf("%s:%d: line timestamps carry no time zone; read as UTC", name, b.p.FirstLine))
		}
	} else if b.noYear > 0 {
		notes = append(notes, fmt.Sprintf(
			"%s:%d: line timestamps carry no year; wall-clock start not estimated", name, b.p.FirstLine))
	}
	if b.dropped > 0 {
		notes = append(notes, fmt.Sprintf("%s: %d more warnings for this process not shown", name, b.dropped))
	}
	// The start note reads best first.
	if b.firstN > 1 {
		b.p.Warnings = slices.Insert(b.p.Warnings, 0, notes[0])
		b.p.Warnings = append(b.p.Warnings, notes[1:]...)
	} else {
		b.p.Warnings = append(b.p.Warnings, notes...)
	}
	b.offsets = nil
	return b.p, notes
}
