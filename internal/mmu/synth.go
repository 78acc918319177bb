package mmu

import (
	"time"

	"github.com/gcwatch/gcwatch/internal/model"
)

// backgroundTarget is the share of GOMAXPROCS the GC aims to use for its
// background mark workers during the concurrent mark phase.
const backgroundTarget = 0.25

// Synthesize feeds b a coarse utilisation series built from GC cycles as a
// gctrace log describes them, and marks b so that Finish reports the curve
// as Synthesized. The series covers [start, end] and is built per cycle:
//
//   - during sweep termination and mark termination every P is taken (STW);
//   - during concurrent mark the background workers take the cycle's
//     measured background CPU divided by the mark wall time, or the GC's 25%
//     target of procs when the cycle carries no CPU figures at all, and
//     assists take the cycle's assist CPU divided by the mark wall time
//     (idle-priority mark work is left out, as in a trace's MMU);
//   - between cycles nothing is taken.
//
// It is coarse: gctrace gives one average per phase, so bursts inside the
// mark phase are spread over it, and the MMU at short windows inside mark is
// higher than a trace would show. STW phases are exact to the log's
// resolution. Cycles with Procs unknown (≤ 0) use procsFallback. A phase
// that begins before the previous one ended (overlapping cycles in a damaged
// log) is cut to begin there. The caller still calls Finish(end).
func Synthesize(cycles []model.Cycle, procsFallback int, start, end model.Time, b *Builder) {
	b.synthesized = true
	if procsFallback < 1 {
		procsFallback = 1
	}
	var idle [model.NumSources]float64
	procs := procsFallback
	if len(cycles) > 0 && cycles[0].Procs > 0 {
		procs = cycles[0].Procs
	}
	b.Set(start, procs, idle)
	cursor := start // where the series stands
	for _, c := range cycles {
		if c.Procs > 0 {
			procs = c.Procs
		} else {
			procs = procsFallback
		}
		for _, ph := range cyclePhases(c, procs) {
			from, to := max(ph.from, cursor), min(ph.to, end)
			if to <= from {
				continue
			}
			b.Set(from, procs, ph.busy)
			b.Set(to, procs, idle)
			cursor = to
		}
	}
}

// phase is a stretch of a cycle with constant GC use.
type phase struct {
	from, to model.Time
	busy     [model.NumSources]float64
}

// cyclePhases lays out a cycle's sweep termination, concurrent mark and mark
// termination. The phases start at the recorded pause times when they are
// set and consistent, else back to back from the cycle's start.
func cyclePhases(c model.Cycle, procs int) [3]phase {
	p := float64(procs)
	sweepTermStart := c.Start
	if c.SweepTerminationAt > c.Start {
		sweepTermStart = c.SweepTerminationAt
	}
	markStart := sweepTermStart.Add(c.SweepTermination)
	markTermStart := markStart.Add(c.Mark)
	if c.MarkTerminationAt > markStart {
		markTermStart = c.MarkTerminationAt
	}
	markWall := markTermStart.Sub(markStart)

	var stw, mark [model.NumSources]float64
	stw[model.SourceSTW] = p
	mark[model.SourceBackground] = backgroundTarget * p
	if markWall > 0 {
		if cpuKnown(c.CPU) {
			mark[model.SourceBackground] = perWall(c.CPU.Background, markWall)
		}
		mark[model.SourceAssist] = perWall(c.CPU.Assist, markWall)
	}
	return [3]phase{
		{from: sweepTermStart, to: markStart, busy: stw},
		{from: markStart, to: markTermStart, busy: mark},
		{from: markTermStart, to: markTermStart.Add(c.MarkTermination), busy: stw},
	}
}

// cpuKnown reports whether a cycle carries CPU figures: gctrace always
// prints them, so a cycle with every one zero did not come with any.
func cpuKnown(c model.CycleCPU) bool {
	return c.SweepTermination != 0 || c.Assist != 0 || c.Background != 0 || c.Idle != 0 || c.MarkTermination != 0
}

// perWall is the average number of Ps that cpu time took over wall time.
func perWall(cpu, wall time.Duration) float64 {
	return float64(cpu) / float64(wall)
}
