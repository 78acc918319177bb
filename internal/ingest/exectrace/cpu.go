package exectrace

import (
	"time"

	"github.com/gcwatch/gcwatch/internal/model"
)

// cpuState counts the procs doing GC work right now, by kind, and
// integrates them over time into Run.GCCPU and the current cycle's CPU.
type cpuState struct {
	at     model.Time // integrated up to here
	assist int        // running goroutines inside a mark assist
	// assistDone and workersDone count those of them past their mark
	// termination (goroutine.assistDone): the MMU counts them, the CPU
	// figures do not.
	assistDone  int
	workersDone [4]int
	workers     [4]int // running mark workers, by workerKind
	sweep       int    // procs with an incremental sweep in progress
	busy        int    // procs held by an M or running a goroutine

	mmuStarted bool
	mmuProcs   int
	mmuBusy    [model.NumSources]float64
}

// advanceCPU integrates the current counts from the last change up to t.
// Call it before changing any count or GOMAXPROCS.
func (b *builder) advanceCPU(t model.Time) {
	d := t.Sub(b.cpu.at)
	if d <= 0 {
		return
	}
	b.cpu.at = t
	c := &b.cpu
	assist := time.Duration(c.assist-c.assistDone) * d
	dedicated := time.Duration(c.workers[workerDedicated]-c.workersDone[workerDedicated]) * d
	fractional := time.Duration(c.workers[workerFractional]-c.workersDone[workerFractional]) * d
	idle := time.Duration(c.workers[workerIdle]-c.workersDone[workerIdle]) * d
	sweep := time.Duration(c.sweep) * d
	stw := time.Duration(b.stwProcs()) * d

	g := &b.run.GCCPU
	g.STW += stw
	g.Assist += assist
	g.Dedicated += dedicated
	g.Fractional += fractional
	g.Idle += idle
	g.Sweep += sweep
	g.Capacity += time.Duration(b.procs) * d

	// Work after a cycle's end (sweeping, mostly) belongs to that cycle
	// until the next one begins.
	if b.gc.last >= 0 {
		cc := &b.run.Cycles[b.gc.last].CPU
		cc.Assist += assist
		cc.Dedicated += dedicated
		cc.Fractional += fractional
		cc.Background += dedicated + fractional
		cc.Idle += idle
		cc.Sweep += sweep
		if h := b.gc.holding; h != nil && stw > 0 {
			if b.run.Pauses[h.pause].Kind == model.PauseSweepTermination {
				cc.SweepTermination += stw
			} else {
				cc.MarkTermination += stw
			}
		}
	}
}

// feedMMU tells the MMU builder how many procs each source takes from t
// on, when that changed.
func (b *builder) feedMMU(t model.Time) {
	if b.procs <= 0 {
		return
	}
	c := &b.cpu
	var busy [model.NumSources]float64
	// The MMU takes the whole of a GC pause as the runtime times it
	// (every proc), as its definition and go tool trace do; only the CPU
	// figures count procs from when each stopped (stwProcs).
	if b.gc.holding != nil {
		busy[model.SourceSTW] = float64(b.procs)
	}
	busy[model.SourceAssist] = float64(max(c.assist, 0))
	busy[model.SourceBackground] = float64(max(c.workers[workerDedicated]+c.workers[workerFractional], 0))
	busy[model.SourceSweep] = float64(max(c.sweep, 0))
	if c.mmuStarted && busy == c.mmuBusy && b.procs == c.mmuProcs {
		return
	}
	c.mmuStarted = true
	c.mmuBusy = busy
	c.mmuProcs = b.procs
	b.mmu.Set(t, b.procs, busy)
}
