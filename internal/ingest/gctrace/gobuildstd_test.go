package gctrace

import (
	"fmt"
	"regexp"
	"slices"
	"strings"
	"testing"
)

// refTimes matches a record whose clock and cpu fields are whole: the
// part of a record that makes a cycle.
var refTimes = regexp.MustCompile(`gc #?(\d+) @\d+\.\d+s \d+%(?: \([^)]*\))?: [\d.+]+ ms clock, [\d.+/]+ ms cpu, `)

// TestGoBuildStdCut: an excerpt of `GODEBUG=gctrace=1 GOGC=25 go build -a
// std` around records cut by their compiler exiting mid-print (whole
// compile blocks, see testdata/gen). Every record a plain regexp finds is
// a cycle, or, when cut before its cpu fields, a warning. Processes are
// split as the reference splits them: a "# package" line starts a compile
// block whose records count 1, 2, 3..., and every other record is the go
// command's. The excerpt lacks the go command's earlier records, so its
// first one here (gc 180) may be taken as the most recent process going
// on after lost lines; such a join must be warned about on that line.
func TestGoBuildStdCut(t *testing.T) {
	log := readLog(t, "gobuild-std-cut.log")
	res := parseString(t, log)

	var records, kept, cut int
	type refProc struct{ firstLine, cycles int }
	var want []refProc
	goCmd, block := -1, -1
	blockN := 0
	for i, line := range strings.Split(strings.TrimSuffix(log, "\n"), "\n") {
		if strings.HasPrefix(line, "# ") {
			want = append(want, refProc{})
			block, blockN = len(want)-1, 0
			continue
		}
		starts := refStart.FindAllStringSubmatchIndex(line, -1)
		records += len(starts)
		for _, m := range refTimes.FindAllStringSubmatch(line, -1) {
			kept++
			n := int(refInt(t, m[1]))
			p := goCmd
			if block >= 0 && n == blockN+1 {
				p, blockN = block, n
			} else {
				block = -1
				if goCmd < 0 {
					want = append(want, refProc{})
					goCmd = len(want) - 1
				}
				p = goCmd
			}
			if want[p].cycles == 0 {
				want[p].firstLine = i + 1
			}
			want[p].cycles++
		}
		if !refRecord.MatchString(line) && len(starts) > 0 {
			cut++
		}
	}
	cycles := 0
	firstLines := map[int]bool{}
	for _, p := range res.Processes {
		cycles += len(p.Cycles)
		firstLines[p.FirstLine] = true
	}
	var early int
	for _, w := range res.Warnings {
		if strings.Contains(w, "cut short") && !strings.Contains(w, "its cycle is kept") {
			early++
		}
	}
	t.Logf("%d records by the plain regexp, %d cut; %d processes, %d cycles; warnings %q",
		records, cut, len(res.Processes), cycles, res.Warnings)
	if cut == 0 {
		t.Fatal("the excerpt holds no cut record; regenerate it")
	}
	if cycles != kept || cycles+early != records {
		t.Errorf("%d cycles and %d records cut before their cpu fields; the plain regexp finds %d records, %d with their cpu fields",
			cycles, early, records, kept)
	}
	for _, p := range want {
		if p.cycles == 0 || firstLines[p.firstLine] {
			continue // all cut early, or found
		}
		joined := fmt.Sprintf("test.log:%d: ", p.firstLine)
		if !slices.ContainsFunc(res.Warnings, func(w string) bool {
			return strings.HasPrefix(w, joined) && strings.Contains(w, "missing between lines")
		}) {
			t.Errorf("the process starting on line %d is neither found nor warned about as joined to another", p.firstLine)
		}
	}
}
