package advice

import (
	"cmp"
	"fmt"
	"math"
	"slices"
)

// starvedOfCPU tells, among GC pauses that waited long for the world to
// stop, a process whose threads were descheduled (a CPU quota below
// GOMAXPROCS, a busy host) from code that cannot be preempted. Both read
// the same in a pause's time to stop; what differs is who was last to
// stop. A non-preemptible loop is last at nearly every pause it delays;
// when the OS takes the CPU away, the last is whichever goroutine ran on
// the thread it put aside, a different one each time.
//
// It reports whether the delays look starved, with its evidence rows, and
// whether there were enough of them to tell; the caller decides what that
// makes the verdict. oneLast says whether the delays, however few, point
// at one goroutine: at least two with a known last goroutine, one of them
// last at more than starved_last_to_stop_share of them.
func (d *decider) starvedOfCPU(delays []STWDelay) (starved, told, oneLast bool) {
	r := d.Rules
	byGoroutine := map[uint64]lastToStop{}
	var known int
	for _, s := range delays {
		if s.LastToStop == 0 {
			continue
		}
		known++
		l := byGoroutine[s.LastToStop]
		l.pauses++
		l.stoppingMs += s.TimeToStopMs
		byGoroutine[s.LastToStop] = l
	}
	top, l := mostOftenLast(byGoroutine)
	oneLast = known >= 2 && float64(l.pauses)/float64(known) > r.StarvedLastToStopShare
	if !d.evidence("stw_delays_with_last_to_stop", float64(known), ">=", float64(r.StarvedMinDelays), "pauses",
		"delayed GC pauses whose last goroutine to stop is known: fewer cannot tell a starved process from a non-preemptible loop") {
		return false, false, oneLast
	}
	return d.evidence("last_to_stop_top_goroutine_share", float64(l.pauses)/float64(known), "<", r.StarvedLastToStopShare, "fraction",
		fmt.Sprintf("goroutine %d was last to stop at %d of the %d delayed pauses, %d goroutines at one or more; a loop that cannot be preempted is last at most of them, descheduled threads spread them",
			top, l.pauses, known, len(byGoroutine))), true, oneLast
}

// lastToStop is what one goroutine held up as the last to stop.
type lastToStop struct {
	pauses     int
	stoppingMs float64
}

// mostOftenLast is the goroutine last to stop at the most pauses (then
// with the most stopping time, then the lowest id, so that the verdict
// does not depend on map order).
func mostOftenLast(byGoroutine map[uint64]lastToStop) (uint64, lastToStop) {
	ids := make([]uint64, 0, len(byGoroutine))
	for id := range byGoroutine {
		ids = append(ids, id)
	}
	if len(ids) == 0 {
		return 0, lastToStop{}
	}
	slices.SortFunc(ids, func(a, b uint64) int {
		x, y := byGoroutine[a], byGoroutine[b]
		return cmp.Or(cmp.Compare(y.pauses, x.pauses), cmp.Compare(y.stoppingMs, x.stoppingMs), cmp.Compare(a, b))
	})
	return ids[0], byGoroutine[ids[0]]
}

// starvedVerdict is gc-not-the-cause for a process starved of CPU: the
// pauses are long because the threads that had to stop were not running,
// and the requests waited on the same missing CPU outside the pauses too.
func (d *decider) starvedVerdict(delays []STWDelay, cpu cpuFinding) {
	d.v.ID = NotTheCause
	d.v.STWDelays = delays[:min(len(delays), 10)]
	if !math.IsNaN(d.gcShare) {
		d.v.TailMadeOf = d.tailMadeOf()
	}
	worst := delays[0]
	if d.starvedBy == "cpu" {
		d.v.Summary = fmt.Sprintf("the process was starved of CPU, not slow to stop: GC pauses waited up to %.1f ms for the world to stop (gc %d) while %s",
			worst.TimeToStopMs, worst.Cycle, cpu.why)
	} else {
		d.v.Summary = fmt.Sprintf("the process was starved of CPU, not slow to stop: GC pauses waited up to %.1f ms for the world to stop (gc %d), the last goroutine to stop changing from pause to pause, as when the OS deschedules the process's threads",
			worst.TimeToStopMs, worst.Cycle)
		if cpu.starved {
			d.v.Summary += "; " + cpu.why
		}
	}
	d.v.Actions = append(d.v.Actions,
		"give the process the CPU GOMAXPROCS promises: set GOMAXPROCS at or below its CPU limit (Go 1.25+ does so from the cgroup quota unless GOMAXPROCS is set), or raise the limit",
		"look at the host: other processes on the same cores, or CPU throttling counters (cgroup cpu.stat nr_throttled, container_cpu_cfs_throttled_periods_total)",
		"no GC setting or code change shortens these pauses; re-capture once the process has its CPU to see what remains")
	switch {
	case d.starvedBy == "cpu":
		d.caveat("told from the CPU the process was given, with too few delayed pauses to check who was last to stop: a loop that cannot be preempted on a host this short of CPU would look the same")
	case !cpu.known:
		d.caveat("told apart from non-preemptible code by who was last to stop; several goroutines that each run non-preemptible loops would look the same — check the listed last_to_stop goroutines if the host was idle")
	}
}
