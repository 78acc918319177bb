package gctrace

import (
	"math"
	"os"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/gcwatch/gcwatch/internal/model"
)

// The reference parser: a regular expression and float arithmetic, slow
// and obvious, sharing no code with the scanner. The real logs are
// checked against it cycle by cycle.
var (
	refRecord = regexp.MustCompile(`gc #?(\d+) @(\d+\.\d+)s (\d+)%(?: \([^)]*\))?: ` +
		`([\d.+]+) ms clock, ([\d.+/]+) ms cpu, (\d+)->(\d+)->(\d+) MB, (\d+) MB goal, ` +
		`(?:(\d+) MB stacks, (\d+) ?MB globals, )?(\d+) P( \(forced\))?`)
	refStart = regexp.MustCompile(`gc #?(\d+) @`)
	// refHeader is a damaged record whose number and time survived.
	refHeader   = regexp.MustCompile(`gc #?(\d+) @\d+\.\d+s `)
	refFragment = regexp.MustCompile(` ms clock, | ms cpu, | MB goal, `)
)

func refMS(t *testing.T, s string) time.Duration {
	f, err := strconv.ParseFloat(s, 64)
	if err != nil {
		t.Fatalf("reference: %q: %v", s, err)
	}
	return time.Duration(math.Round(f * 1e6))
}

func refInt(t *testing.T, s string) int64 {
	v, err := strconv.ParseInt(s, 10, 64)
	if err != nil {
		t.Fatalf("reference: %q: %v", s, err)
	}
	return v
}

// refCycle builds a cycle from a reference match.
func refCycle(t *testing.T, m []string) model.Cycle {
	clock := strings.Split(m[4], "+")
	cpu := strings.FieldsFunc(m[5], func(r rune) bool { return r == '+' || r == '/' })
	if len(clock) != 3 || len(cpu) != 5 {
		t.Fatalf("reference handles the go1.6+ layouts only: %q", m[0])
	}
	start := model.Time(math.Round(mustFloat(t, m[2]) * 1e9))
	c := model.Cycle{
		N:                    int(refInt(t, m[1])),
		Start:                start,
		Forced:               m[13] != "",
		SweepTermination:     refMS(t, clock[0]),
		Mark:                 refMS(t, clock[1]),
		MarkTermination:      refMS(t, clock[2]),
		SweepTerminationAt:   start,
		CPU:                  model.CycleCPU{SweepTermination: refMS(t, cpu[0]), Assist: refMS(t, cpu[1]), Background: refMS(t, cpu[2]), Idle: refMS(t, cpu[3]), MarkTermination: refMS(t, cpu[4])},
		HeapStart:            refInt(t, m[6]) * mb,
		HeapEnd:              refInt(t, m[7]) * mb,
		HeapLive:             refInt(t, m[8]) * mb,
		HeapGoal:             refInt(t, m[9]) * mb,
		Stacks:               -1,
		Globals:              -1,
		Procs:                int(refInt(t, m[12])),
		CumulativeCPUPercent: int(refInt(t, m[3])),
		From:                 model.FromGCTrace,
	}
	if m[10] != "" {
		c.Stacks, c.Globals = refInt(t, m[10])*mb, refInt(t, m[11])*mb
	}
	c.MarkTerminationAt = start + model.Time(c.SweepTermination+c.Mark)
	c.End = c.MarkTerminationAt + model.Time(c.MarkTermination)
	return c
}

func mustFloat(t *testing.T, s string) float64 {
	f, err := strconv.ParseFloat(s, 64)
	if err != nil {
		t.Fatal(err)
	}
	return f
}

// refLines is the reference's reading of a log: the cycles of each line,
// and how many lines are damaged.
type refLine struct {
	cycles  []model.Cycle
	damaged []int // numbers of damaged records whose header survived
	bad     bool
}

func refParse(t *testing.T, log string) []refLine {
	var out []refLine
	for _, line := range strings.Split(strings.TrimSuffix(log, "\n"), "\n") {
		var rl refLine
		full := refRecord.FindAllStringSubmatch(line, -1)
		for _, m := range full {
			rl.cycles = append(rl.cycles, refCycle(t, m))
		}
		starts := refStart.FindAllStringIndex(line, -1)
		rl.bad = len(starts) > len(full) || (len(starts) == 0 && refFragment.MatchString(line))
		if len(starts) > len(full) {
			for _, m := range refHeader.FindAllStringSubmatch(refRecord.ReplaceAllString(line, ""), -1) {
				rl.damaged = append(rl.damaged, int(refInt(t, m[1])))
			}
		}
		out = append(out, rl)
	}
	return out
}

func readLog(t *testing.T, name string) string {
	b, err := os.ReadFile("testdata/" + name)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// TestRealLog: this package's generator run with GODEBUG=gctrace=1 while
// another goroutine logs to stderr, so that some records are cut.
func TestRealLog(t *testing.T) {
	log := readLog(t, "real-go126.log")
	res := parseString(t, log)
	ref := refParse(t, log)

	var want []model.Cycle
	numbers := map[int]bool{}
	var bad int64
	for _, rl := range ref {
		want = append(want, rl.cycles...)
		for _, c := range rl.cycles {
			numbers[c.N] = true
		}
		for _, n := range rl.damaged {
			numbers[n] = true
		}
		if rl.bad {
			bad++
		}
	}
	if len(res.Processes) != 1 {
		t.Fatalf("got %d processes, want 1; warnings %q", len(res.Processes), res.Warnings)
	}
	p := res.Processes[0]
	t.Logf("%d cycles, stats %+v", len(p.Cycles), res.Stats)
	if diff := cmp.Diff(want, p.Cycles); diff != "" {
		t.Errorf("cycles differ from the reference parser (-ref +fast):\n%s", diff)
	}
	if res.Stats.BadLines != bad || res.Stats.GCLines+res.Stats.BadLines < int64(len(want)) {
		t.Errorf("stats %+v, reference: %d bad lines, %d cycles", res.Stats, bad, len(want))
	}
	// Good and damaged records together number the cycles 1..max, so the
	// process never lost track of its counter.
	for n := 1; n <= p.Cycles[len(p.Cycles)-1].N; n++ {
		if !numbers[n] {
			t.Errorf("gc %d neither parsed nor warned about", n)
		}
	}
	if p.Format != "gctrace go1.18+" || p.ProcsChanges[0].Procs != 2 || p.GOMAXPROCS != 1 {
		t.Errorf("format %q, procs changes %v, GOMAXPROCS %d", p.Format, p.ProcsChanges, p.GOMAXPROCS)
	}
	forced := 0
	for _, c := range p.Cycles {
		if c.Forced {
			forced++
		}
	}
	if forced == 0 {
		t.Error("no forced cycle; the workload calls runtime.GC")
	}
}

// TestGoBuildLog: `GODEBUG=gctrace=1 go build -a encoding/json`. The go
// command prints its own records as it goes and each compiler's stderr as
// one block under a "# package" line, so the reference can split it
// without guessing: a block is its header line and the records after it
// that count 1, 2, 3...; every other record is the go command's.
func TestGoBuildLog(t *testing.T) {
	log := readLog(t, "gobuild-multiprocess.log")
	res := parseString(t, log)

	var want [][]model.Cycle
	goCmd := -1
	block := -1
	for i, line := range strings.Split(strings.TrimSuffix(log, "\n"), "\n") {
		if strings.HasPrefix(line, "# ") {
			want = append(want, nil)
			block = len(want) - 1
			continue
		}
		m := refRecord.FindStringSubmatch(line)
		if m == nil {
			t.Fatalf("line %d: not a record: %q", i+1, line)
		}
		c := refCycle(t, m)
		if block >= 0 && c.N == len(want[block])+1 {
			want[block] = append(want[block], c)
			continue
		}
		block = -1
		if goCmd < 0 {
			want = append(want, nil)
			goCmd = len(want) - 1
		}
		want[goCmd] = append(want[goCmd], c)
	}
	var got [][]model.Cycle
	for _, p := range res.Processes {
		got = append(got, p.Cycles)
		for i, c := range p.Cycles {
			if c.N != i+1 {
				t.Errorf("process %d: cycle %d is gc %d", p.Index, i, c.N)
			}
		}
	}
	t.Logf("%d processes, stats %+v", len(got), res.Stats)
	if len(want) < 3 {
		t.Fatalf("the recording holds %d processes; regenerate it with a bigger package", len(want))
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("processes differ from the reference split (-ref +fast):\n%s", diff)
	}
	if len(res.Warnings) != 0 {
		t.Errorf("warnings %q", res.Warnings)
	}
}
