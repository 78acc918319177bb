package advice

import (
	"math"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/gcwatch/gcwatch/internal/analyze"
	"github.com/gcwatch/gcwatch/internal/ingest"
	"github.com/gcwatch/gcwatch/internal/model"
)

func throttled(periods, throttled int64, quota float64) *model.CgroupCPU {
	ms := float64(throttled) * 50 // half of each 100 ms period held back
	c := &model.CgroupCPU{Path: "/system.slice/svc.service", WallMs: 1400, UsageMs: 1000, Periods: &periods, ThrottledPeriods: &throttled, ThrottledMs: &ms}
	if quota > 0 {
		c.QuotaCPUs = &quota
	}
	return c
}

// withRequests gives run 300 requests of 50 ms over its first 750 ms
// (some meet its pauses), each running `running` and runnable `runnable`
// of it.
func withRequests(run *model.Run, running, runnable time.Duration) {
	var rs []model.Request
	for i := range 300 {
		start := model.Time(0).Add(time.Duration(i) * 2500 * time.Microsecond)
		d := 50 * time.Millisecond
		for _, p := range run.Pauses {
			if p.Start.Sub(start) > 0 && p.Start.Sub(start) < d {
				d += p.Duration // a request that met a pause waited it out
			}
		}
		rs = append(rs, model.Request{ID: uint64(i + 1), Type: "GET", Kind: model.RequestTask, Start: start, End: start.Add(d),
			Accounted: true, Running: running, Runnable: runnable, Blocked: d - running - runnable})
	}
	run.Requests = model.RequestsOf(rs...)
}

// TestStarvedByCPUMeasures checks that the CPU measures a capture takes
// outside the trace — the cgroup's throttling (gcwatch run) and the
// process's CPU time against GOMAXPROCS × wall with its requests waiting
// (gcwatch capture) — tell a starved process when the trace has too few
// delayed pauses to, and never overrule a trace that shows one goroutine
// last to stop at most pauses.
func TestStarvedByCPUMeasures(t *testing.T) {
	few := []uint64{11, 12, 13} // too few delayed pauses to tell by who was last
	loop := []uint64{8, 8, 8, 8, 8, 8}
	spread := []uint64{11, 12, 13, 14, 15, 16}
	for _, tc := range []struct {
		name       string
		lastToStop []uint64
		cgroup     *model.CgroupCPU
		process    *model.ProcessCPU
		// requests: running and runnable time of each of 20 requests
		running, runnable time.Duration
		want              string
		rows              map[string]float64 // evidence row → its value (NaN: absent)
		holds             map[string]bool
		summary, caveat   string
	}{
		{name: "throttled, too few pauses", lastToStop: few, cgroup: throttled(100, 60, 1),
			want: NotTheCause, rows: map[string]float64{"cgroup_throttled_period_share": 0.6, "cgroup_quota_cpus": 1},
			holds:   map[string]bool{"cgroup_throttled_period_share": true, "cgroup_quota_cpus": true},
			summary: "ran out of CPU quota in 60 of 100 periods (60 %), its quota 1.00 CPUs below GOMAXPROCS 2", caveat: "told from the CPU the process was given"},
		{name: "barely throttled, too few pauses", lastToStop: few, cgroup: throttled(100, 2, 4),
			want: FixSTWDelay, rows: map[string]float64{"cgroup_throttled_period_share": 0.02, "cgroup_quota_cpus": 4},
			holds: map[string]bool{"cgroup_throttled_period_share": false, "cgroup_quota_cpus": false}},
		// Too few to tell by count, but the few point at one goroutine
		// (the recorded stwdelay example has three, all its loop's).
		{name: "throttled, too few pauses all one loop's", lastToStop: []uint64{8, 8, 8}, cgroup: throttled(100, 60, 1),
			want: FixSTWDelay, caveat: "also short of CPU"},
		{name: "throttled, one loop last each time", lastToStop: loop, cgroup: throttled(100, 60, 0),
			want: FixSTWDelay, rows: map[string]float64{"cgroup_throttled_period_share": 0.6, "cgroup_quota_cpus": math.NaN()},
			caveat: "also short of CPU (its cgroup ran out of CPU quota in 60 of 100 periods"},
		{name: "throttled, a different goroutine each time", lastToStop: spread, cgroup: throttled(100, 60, 0),
			want: NotTheCause, summary: "the last goroutine to stop changing from pause to pause, as when the OS deschedules the process's threads; its cgroup ran out"},
		// 700 ms of CPU over 1400 ms at GOMAXPROCS 2: a quarter.
		{name: "low CPU, requests waiting", lastToStop: few, process: &model.ProcessCPU{CPUMs: 700, WallMs: 1400, GOMAXPROCS: 2},
			running: 10 * time.Millisecond, runnable: 30 * time.Millisecond,
			want: NotTheCause, rows: map[string]float64{"process_cpu_share_of_gomaxprocs": 0.25, "request_runnable_share": 0.75},
			holds:   map[string]bool{"process_cpu_share_of_gomaxprocs": true, "request_runnable_share": true},
			summary: "it used 25 % of the CPU GOMAXPROCS 2 allows while its requests waited for a P 75 %"},
		{name: "low CPU, idle", lastToStop: few, process: &model.ProcessCPU{CPUMs: 700, WallMs: 1400, GOMAXPROCS: 2},
			running: 10 * time.Millisecond, runnable: 100 * time.Microsecond,
			want: FixSTWDelay, rows: map[string]float64{"process_cpu_share_of_gomaxprocs": 0.25, "request_runnable_share": 0.1 / 10.1},
			holds: map[string]bool{"process_cpu_share_of_gomaxprocs": true, "request_runnable_share": false}},
		{name: "low CPU, no requests", lastToStop: few, process: &model.ProcessCPU{CPUMs: 700, WallMs: 1400},
			want: FixSTWDelay, rows: map[string]float64{"process_cpu_share_of_gomaxprocs": 0.25, "request_runnable_share": math.NaN()},
			caveat: "an idle process cannot be told from a starved one"},
		{name: "full CPU, requests waiting", lastToStop: few, process: &model.ProcessCPU{CPUMs: 2700, WallMs: 1400, GOMAXPROCS: 2},
			running: 10 * time.Millisecond, runnable: 30 * time.Millisecond,
			want: FixSTWDelay, rows: map[string]float64{"process_cpu_share_of_gomaxprocs": 2700.0 / 2800},
			holds: map[string]bool{"process_cpu_share_of_gomaxprocs": false}},
		{name: "nothing measured", lastToStop: few, want: FixSTWDelay,
			rows:   map[string]float64{"cgroup_throttled_period_share": math.NaN(), "process_cpu_share_of_gomaxprocs": math.NaN()},
			caveat: "too few delayed pauses to tell"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			run := delayedRun(tc.lastToStop, -1)
			run.Cgroup, run.ProcessCPU, run.CPUFrom = tc.cgroup, tc.process, "manifest.json"
			if tc.running > 0 {
				withRequests(run, tc.running, tc.runnable)
			}
			a := analyze.Analyze(run, analyze.DefaultOptions())
			v := Decide(Case{Run: run, Analysis: a, Rules: DefaultThresholds()}).Verdict
			if v.ID != tc.want {
				t.Fatalf("verdict %s (%s), want %s; evidence %+v; caveats %q", v.ID, v.Summary, tc.want, v.Evidence, v.Caveats)
			}
			for metric, want := range tc.rows {
				e, ok := evidenceNamed(v, metric)
				if math.IsNaN(want) {
					if ok {
						t.Errorf("%s present: %+v", metric, e)
					}
					continue
				}
				if !ok || math.Abs(e.Value-want) > 1e-9 {
					t.Errorf("%s = %+v (present %v), want %v", metric, e, ok, want)
				}
				if h, ok := tc.holds[metric]; ok && e.Holds != h {
					t.Errorf("%s holds %v, want %v", metric, e.Holds, h)
				}
			}
			if !strings.Contains(v.Summary, tc.summary) {
				t.Errorf("summary %q, want it to say %q", v.Summary, tc.summary)
			}
			if caveats := strings.Join(v.Caveats, " | "); !strings.Contains(caveats, tc.caveat) {
				t.Errorf("caveats %q, want one saying %q", caveats, tc.caveat)
			}
			if v.ID == NotTheCause && !strings.Contains(strings.Join(v.Actions, " "), "GOMAXPROCS at or below its CPU limit") {
				t.Errorf("starved actions %q are not about the CPU", v.Actions)
			}
		})
	}
}

// TestCPUCaveatBesideOtherVerdicts: a process short of CPU whose pauses
// were not slow to stop keeps its verdict, with a caveat that says so.
func TestCPUCaveatBesideOtherVerdicts(t *testing.T) {
	run := delayedRun([]uint64{11, 12, 13, 14, 15, 16}, -1)
	for i := range run.Pauses {
		run.Pauses[i].TimeToStop = 10 * time.Microsecond
	}
	run.Cgroup = throttled(100, 60, 1)
	v := Decide(Case{Run: run, Analysis: analyze.Analyze(run, analyze.DefaultOptions()), Rules: DefaultThresholds()}).Verdict
	if v.ID == FixSTWDelay || v.STWDelays != nil {
		t.Fatalf("verdict %s with delays %v: the pauses were quick to stop", v.ID, v.STWDelays)
	}
	if e, ok := evidenceNamed(v, "cgroup_throttled_period_share"); !ok || !e.Holds || e.Rule != NotTheCause {
		t.Errorf("throttling row %+v (present %v)", e, ok)
	}
	if c := strings.Join(v.Caveats, " | "); !strings.Contains(c, "the process was short of CPU: its cgroup ran out of CPU quota in 60 of 100 periods") {
		t.Errorf("caveats %q do not say the process was short of CPU", c)
	}
	// Without the counters, no such caveat.
	run.Cgroup = nil
	v = Decide(Case{Run: run, Analysis: analyze.Analyze(run, analyze.DefaultOptions()), Rules: DefaultThresholds()}).Verdict
	if c := strings.Join(v.Caveats, " | "); strings.Contains(c, "short of CPU") {
		t.Errorf("caveats %q speak of CPU nothing measured", c)
	}
}

// TestRecordedThrottled puts on the recorded runs the cgroup counters a
// CPU quota would have shown (60 of 100 periods throttled; the recordings
// themselves were starved by CPU burners on a pinned core, not a quota):
// the non-preemptible example, quiet or starved, keeps fix-stw-delay with
// a caveat that it was short of CPU too, and the starved service is told
// so with the throttling in its headline.
func TestRecordedThrottled(t *testing.T) {
	files := func(dir string) []string {
		return []string{filepath.Join(dir, "trace.out"), filepath.Join(dir, "gctrace.log")}
	}
	for _, tc := range []struct {
		dir     string
		want    string
		summary string
		caveat  string
	}{
		{filepath.Join("..", "..", "examples", "testdata", "stwdelay"), FixSTWDelay, "goroutines take long to stop", "also short of CPU (its cgroup ran out of CPU quota in 60 of 100 periods"},
		{filepath.Join("testdata", "starved-stwdelay"), FixSTWDelay, "goroutines take long to stop", "also short of CPU"},
		{filepath.Join("testdata", "starved-allocheavy"), NotTheCause, "starved of CPU, not slow to stop", ""},
	} {
		t.Run(filepath.Base(tc.dir), func(t *testing.T) {
			res, err := ingest.Load(files(tc.dir), ingest.Options{})
			if err != nil {
				t.Fatal(err)
			}
			run := res.Runs[0]
			run.Requests = nil // as a service that does not annotate its requests
			run.Cgroup, run.CPUFrom = throttled(100, 60, 1), "manifest.json"
			v := Decide(Case{Run: run, Analysis: analyze.Analyze(run, analyze.DefaultOptions()), Rules: DefaultThresholds()}).Verdict
			if v.ID != tc.want || !strings.Contains(v.Summary, tc.summary) {
				t.Fatalf("verdict %s (%s), want %s saying %q", v.ID, v.Summary, tc.want, tc.summary)
			}
			if c := strings.Join(v.Caveats, " | "); !strings.Contains(c, tc.caveat) {
				t.Errorf("caveats %q, want %q", c, tc.caveat)
			}
			if e, ok := evidenceNamed(v, "cgroup_throttled_period_share"); !ok || !e.Holds || e.Value != 0.6 {
				t.Errorf("throttling row %+v (present %v)", e, ok)
			}
		})
	}
}
