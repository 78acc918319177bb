package crosscheck

import (
	"testing"
	"time"
)

// TestSTWDelayCause checks that the stwdelay recording shows what it is
// for, and that exectrace explains it: every long GC pause begins while the
// non-preemptible checksum job runs and lasts until the job has stopped, and
// exectrace attributes most of it to time-to-stop, with the job's goroutine
// as the last to stop.
func TestSTWDelayCause(t *testing.T) {
	var s scenario
	for _, sc := range scenarios(t) {
		if sc.Name == "stwdelay" {
			s = sc
		}
	}
	if s.Name == "" {
		t.Fatal("no stwdelay recording")
	}
	raw := readRawTrace(t, s.path("trace.out"))
	run := readRun(t, s)
	const long = 2 * time.Millisecond
	var longPauses int
	for _, p := range raw.stws {
		if !p.isGC() || p.duration() < long {
			continue
		}
		longPauses++
		var job *rawRegion
		for i, r := range raw.regions {
			if r.typ == "checksum job" && r.begin <= p.begin && p.begin < r.end {
				job = &raw.regions[i]
			}
		}
		if job == nil {
			t.Errorf("%q pause at %d (%v) does not begin inside a checksum job", p.reason, p.begin, p.duration())
			continue
		}
		// The job's region ends only when its goroutine runs again, after
		// the world restarted.
		if job.end < p.end {
			t.Errorf("%q pause at %d ends at %d, after the job's region ended at %d", p.reason, p.begin, p.end, job.end)
		}
		found := false
		for _, mp := range run.Pauses {
			if int64(mp.Start) != p.begin {
				continue
			}
			found = true
			if mp.TimeToStop < p.duration()/2 {
				t.Errorf("pause at %d (%v): exectrace TimeToStop %v, want most of it", p.begin, p.duration(), mp.TimeToStop)
			}
			if mp.LastToStop != job.g {
				t.Errorf("pause at %d: exectrace LastToStop = goroutine %d, the job runs on %d", p.begin, mp.LastToStop, job.g)
			}
		}
		if !found {
			t.Errorf("exectrace has no pause starting at %d", p.begin)
		}
	}
	if longPauses < 2 {
		t.Errorf("%d GC pauses of %v or more; the recording should show several", longPauses, long)
	}
}
