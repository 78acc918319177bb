package crosscheck

import (
	"fmt"
	"math"
	"testing"
	"time"
)

// Lining up the trace's cycles with the gctrace log's cycles of the same
// process, from the two raw readings only.
//
// Clocks. On linux the trace clock is nanotime()/64 (runtime/tracetime.go),
// so trace timestamps are the monotonic clock in 64 ns steps; gctrace's @T is
// tSweepTerm - runtimeInitTime on the same clock, truncated to whole
// milliseconds. So "@T - (trace time of the sweep-termination pause)" is the
// same constant for every cycle, up to the truncation: its spread over the
// matched cycles is below 1 ms plus the few microseconds between the
// runtime's tSweepTerm reading and its STW-start trace event.
//
// Durations (runtime/mgc.go gcStart, gcMarkDone, gcMarkTermination;
// runtime/proc.go stopTheWorldWithSema, startTheWorldWithSema):
//   - sweep termination: gctrace's a = tMark - tSweepTerm. tSweepTerm is read
//     just before stopTheWorldWithSema emits the STW-start event, so both
//     include the time to stop; tMark is the "now" startTheWorldWithSema
//     reads right before it emits the STW-done event. The two agree to a few
//     microseconds, after allowing for the printing (two significant
//     digits below 10 ms, whole ms above, truncated).
//   - mark: gctrace's b = tMarkTerm - tMark, the trace's gap between the two
//     pauses; same reasoning.
//   - mark termination: gctrace's c = tEnd - tMarkTerm, but tEnd is read
//     before the world is restarted and passed to startTheWorldWithSema, which
//     emits STW-done only after handing the Ps back to Ms (waking or starting
//     threads). So the trace's pause is c plus the restart: never shorter,
//     sometimes much longer on a busy machine.
const (
	// eventSlack covers the instructions between a runtime clock reading and
	// the trace event next to it (and the 64 ns trace clock step), with a
	// wide margin: a thread can be descheduled in between on a shared host.
	eventSlack = 50 * time.Microsecond
	// restartAllowance bounds how much longer the trace's mark-termination
	// pause may be than gctrace's: the time to restart the world. Measured
	// up to a few ms on a loaded 2-core host; beyond this something is
	// mismatched.
	restartAllowance = 10 * time.Millisecond
)

// match pairs trace cycle i with gctrace cycle gcs[first+i].
type match struct {
	first  int // index into gcs of trace cycle 0
	spread time.Duration
}

// alignCycles finds which gc line the trace's first cycle is, by the clock
// offset alone.
func alignCycles(raw *rawTrace, gcs []rawGC) (match, error) {
	best := match{first: -1, spread: math.MaxInt64}
	ambiguous := 0
	for first := 0; first < len(gcs); first++ {
		spread, ok := offsetSpread(raw, gcs, first)
		if !ok {
			continue
		}
		if spread <= time.Millisecond+eventSlack {
			ambiguous++
		}
		if spread < best.spread {
			best = match{first: first, spread: spread}
		}
	}
	switch {
	case best.first < 0:
		return best, fmt.Errorf("no placement of %d trace cycles among %d gc lines", len(raw.cycles), len(gcs))
	case best.spread > time.Millisecond+eventSlack:
		return best, fmt.Errorf("best placement (trace cycle 0 = gc %d) has clock offsets spread over %v", gcs[best.first].n, best.spread)
	case ambiguous > 1:
		return best, fmt.Errorf("%d placements fit the clock offsets", ambiguous)
	}
	return best, nil
}

// offsetSpread is the spread of @T - sweep-termination start over the
// trace cycles that have a sweep-termination pause, placing trace cycle 0
// at gcs[first]. ok is false when the placement runs off the log (only a
// cycle still open when the trace stopped may lack its gc line) or no cycle
// could be compared.
func offsetSpread(raw *rawTrace, gcs []rawGC, first int) (time.Duration, bool) {
	lo, hi := int64(math.MaxInt64), int64(math.MinInt64)
	compared := 0
	for i, c := range raw.cycles {
		j := first + i
		if j >= len(gcs) {
			if c.open && i == len(raw.cycles)-1 {
				break
			}
			return 0, false
		}
		if c.sweepTerm == nil {
			continue
		}
		off := int64(gcs[j].at) - c.sweepTerm.begin
		lo, hi = min(lo, off), max(hi, off)
		compared++
	}
	if compared == 0 {
		return 0, false
	}
	return time.Duration(hi - lo), true
}

// within reports whether a measured duration fits a printed one, given the
// printing's truncation and the slack on either side.
func within(measured, printed time.Duration, text string, below, above time.Duration) bool {
	return measured >= printed-below && measured < printed+printedStep(text)+above
}

func TestTraceAgreesWithGCTrace(t *testing.T) {
	for _, s := range scenarios(t) {
		t.Run(s.Name, func(t *testing.T) {
			raw := readRawTrace(t, s.path("trace.out"))
			gcs := readRawGCTrace(t, s.path("gctrace.log"))
			m, err := alignCycles(raw, gcs)
			if err != nil {
				t.Fatal(err)
			}
			checkCounts(t, s, raw, gcs, m)
			var worstRestart time.Duration
			for i, c := range raw.cycles {
				j := m.first + i
				if j >= len(gcs) {
					continue // open at the end, never printed
				}
				g := gcs[j]
				if c.sweepTerm != nil && !within(c.sweepTerm.duration(), g.sweepTerm, g.sweepText, eventSlack, eventSlack) {
					t.Errorf("gc %d: sweep termination %v in the trace, %s ms in gctrace (line %d)", g.n, c.sweepTerm.duration(), g.sweepText, g.line)
				}
				if c.open || c.markTerm == nil {
					continue
				}
				mt := c.markTerm.duration()
				if !within(mt, g.markTerm, g.markTermText, eventSlack, restartAllowance) {
					t.Errorf("gc %d: mark termination %v in the trace, %s ms in gctrace (line %d)", g.n, mt, g.markTermText, g.line)
				}
				worstRestart = max(worstRestart, mt-g.markTerm)
				if c.sweepTerm != nil {
					mark := time.Duration(c.markTerm.begin - c.sweepTerm.end)
					if !within(mark, g.mark, g.markText, eventSlack, eventSlack) {
						t.Errorf("gc %d: mark phase %v in the trace, %s ms in gctrace (line %d)", g.n, mark, g.markText, g.line)
					}
				}
			}
			checkDiscriminates(t, raw, gcs, m)
			t.Logf("trace cycle 0 is gc %d (offset spread %v); %d cycles; mark termination at most %v longer in the trace",
				gcs[m.first].n, m.spread, len(raw.cycles), worstRestart)
		})
	}
}

// checkCounts compares the aligned numbering with the GC cycle counts the
// program read around the trace window (meta.json).
func checkCounts(t *testing.T, s scenario, raw *rawTrace, gcs []rawGC, m match) {
	t.Helper()
	firstN := gcs[m.first].n
	lastN := firstN + len(raw.cycles) - 1
	ended := lastN
	if raw.cycles[len(raw.cycles)-1].open {
		ended--
	}
	sum := s.Summary
	// Cycles S+1 … E certainly ended inside the trace; cycles between the
	// outer and inner counts may or may not be in it.
	if firstN > sum.AtStart+1 || firstN < sum.Before+1 {
		t.Errorf("first traced cycle is gc %d; the program's counts say gc %d to %d", firstN, sum.Before+1, sum.AtStart+1)
	}
	if ended < sum.AtStop || ended > sum.After {
		t.Errorf("last cycle ended in the trace is gc %d; the program's counts say gc %d to %d", ended, sum.AtStop, sum.After)
	}
}

// checkDiscriminates makes sure the tolerances are tight enough to matter:
// placing the trace one cycle off must make some sweep-termination pauses
// disagree.
func checkDiscriminates(t *testing.T, raw *rawTrace, gcs []rawGC, m match) {
	t.Helper()
	for _, shift := range []int{-1, 1} {
		agree, compared := 0, 0
		for i, c := range raw.cycles {
			j := m.first + shift + i
			if j < 0 || j >= len(gcs) || c.sweepTerm == nil {
				continue
			}
			compared++
			if within(c.sweepTerm.duration(), gcs[j].sweepTerm, gcs[j].sweepText, eventSlack, eventSlack) {
				agree++
			}
		}
		if compared >= 3 && agree == compared {
			t.Errorf("shifted by %d cycles, all %d sweep-termination pauses still agree: the comparison cannot tell", shift, compared)
		}
	}
}
