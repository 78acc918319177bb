package advice

import (
	"fmt"
	"time"
)

// cpuFinding is what the CPU measures taken outside the trace say.
type cpuFinding struct {
	// starved: a measure shows the process was given less CPU than it
	// wanted; known: some measure could tell either way.
	starved, known bool
	// why says, for a starved process, which measure showed it.
	why string
}

// cpuSupply weighs the CPU the process was given as its capture measured
// it: the cgroup's throttling counters (gcwatch run) and the process's
// CPU time against GOMAXPROCS × wall time (gcwatch capture, from
// /metrics). It adds its evidence rows, under gc-not-the-cause, once;
// later calls return the same finding. Without either measure nothing is
// known and no row is added.
func (d *decider) cpuSupply() cpuFinding {
	if d.cpu != nil {
		return *d.cpu
	}
	d.cpu = &cpuFinding{}
	f, r, run := d.cpu, d.Rules, d.Run
	rule := d.rule
	d.rule = NotTheCause
	defer func() { d.rule = rule }()
	procs := run.GOMAXPROCS
	if p := run.ProcessCPU; p != nil && p.GOMAXPROCS > 0 {
		procs = p.GOMAXPROCS
	}
	if c := run.Cgroup; c != nil {
		if c.Periods != nil && *c.Periods > 0 {
			f.known = true
			share := float64(*c.ThrottledPeriods) / float64(*c.Periods)
			if d.evidence("cgroup_throttled_period_share", share, ">=", r.StarvedThrottledShare, "fraction",
				fmt.Sprintf("the cgroup %s ran out of its CPU quota in %d of %d periods and was held back %.0f ms over %.0f ms (cpu.stat, read by %s)",
					c.Path, *c.ThrottledPeriods, *c.Periods, *c.ThrottledMs, c.WallMs, run.CPUFrom)) {
				f.starved = true
				f.why = fmt.Sprintf("its cgroup ran out of CPU quota in %d of %d periods (%.0f %%)", *c.ThrottledPeriods, *c.Periods, share*100)
			}
		}
		if c.QuotaCPUs != nil && procs > 0 {
			// Not a rule of its own: a quota below GOMAXPROCS starves only
			// a process busy enough to use it up, which throttling shows.
			if d.evidence("cgroup_quota_cpus", *c.QuotaCPUs, "<", float64(procs), "CPUs",
				fmt.Sprintf("cpu.max allows %.2f CPUs to GOMAXPROCS %d threads running Go code at once; it starves the process when it is busy enough to be throttled", *c.QuotaCPUs, procs)) && f.starved {
				f.why += fmt.Sprintf(", its quota %.2f CPUs below GOMAXPROCS %d", *c.QuotaCPUs, procs)
			}
		}
	}
	if p := run.ProcessCPU; p != nil && procs > 0 && p.WallMs > 0 {
		share := p.CPUMs / (p.WallMs * float64(procs))
		low := d.evidence("process_cpu_share_of_gomaxprocs", share, "<", r.StarvedCPUShare, "fraction",
			fmt.Sprintf("the process used %.0f ms of CPU over %.0f ms at GOMAXPROCS %d (process_cpu_seconds_total, read by %s); low on its own is an idle process", p.CPUMs, p.WallMs, procs, run.CPUFrom))
		if waiting, wanted, ok := d.runnableShare(); ok {
			f.known = true
			busy := d.evidence("request_runnable_share", waiting, ">=", r.StarvedRunnableShare, "fraction",
				fmt.Sprintf("requests' goroutines waited for a P %.0f ms of the %.0f ms they wanted the CPU; waiting means every P was held, and Ps held while the process used less CPU than there are Ps means the OS was not running their threads",
					ms(waiting*float64(wanted)), ms(float64(wanted))))
			if low && busy && !f.starved {
				f.starved = true
				f.why = fmt.Sprintf("it used %.0f %% of the CPU GOMAXPROCS %d allows while its requests waited for a P %.0f %% of the time they wanted one", share*100, procs, waiting*100)
			}
		} else if low {
			d.caveat("the process used %.0f %% of the CPU GOMAXPROCS %d allows, but without requests' runnable times an idle process cannot be told from a starved one", share*100, procs)
		}
	}
	return *f
}

// runnableShare is the share of the time the requests' goroutines wanted
// the CPU that they waited for it (runnable over running plus runnable),
// and that time; ok is false without accounted requests.
func (d *decider) runnableShare() (share float64, wanted time.Duration, ok bool) {
	if d.Run.Requests == nil {
		return 0, 0, false
	}
	var running, runnable time.Duration
	for _, q := range d.Run.Requests.All() {
		if q.Accounted {
			running += q.Running
			runnable += q.Runnable
		}
	}
	wanted = running + runnable
	if wanted <= 0 {
		return 0, 0, false
	}
	return float64(runnable) / float64(wanted), wanted, true
}

// cpuCaveat tells, for a verdict that did not come from the CPU, that the
// CPU measures show the process short of CPU.
func (d *decider) cpuCaveat() {
	if d.starvedBy != "" || d.cpuTold {
		return
	}
	if f := d.cpuSupply(); f.starved {
		d.caveat("the process was short of CPU: %s; latency and GC pauses stretch when the threads do not run, which no GC setting or code change fixes — give it the CPU GOMAXPROCS promises (GOMAXPROCS at or below its CPU limit, or a higher limit)", f.why)
	}
}
