package gctrace

import "math"

// formatKind says which of the runtime's record layouts a record used.
type formatKind uint8

const (
	formatUnknown formatKind = iota
	// formatGo15: five clock phases (sweep termination, scan, install write
	// barrier, mark, mark termination) and seven cpu fields.
	formatGo15
	// formatGo16: three clock phases and five cpu fields, no roots.
	formatGo16
	// formatGo118: formatGo16 plus "S MB stacks, G MB globals".
	formatGo118
)

func (f formatKind) String() string {
	switch f {
	case formatGo15:
		return "gctrace go1.5"
	case formatGo16:
		return "gctrace go1.6-go1.17"
	case formatGo118:
		return "gctrace go1.18+"
	}
	return "gctrace"
}

// record is one gc line as printed. Durations are nanoseconds; heap sizes
// are MiB as printed (the runtime prints bytes>>20); -1 marks a field the
// layout lacks or a cut record lost. procs is 0 when lost.
type record struct {
	n          int
	start      int64 // @T: time since runtime init
	cpuPercent int   // cumulative GC CPU since program start, truncated
	clock      [5]int64
	nclock     int
	cpu        [7]int64
	ncpu       int
	heapStart  int64
	heapEnd    int64
	heapLive   int64
	heapGoal   int64
	stacks     int64
	globals    int64
	procs      int
	forced     bool
	format     formatKind
}

// recordParser walks one record. On failure, i is where it stopped,
// headerRead says whether N and @T were read completely before that point,
// and timesRead whether the clock and cpu fields were too: a record cut
// after them still describes its cycle. tooLarge is set when it stopped at
// a whole number out of range, with i at its first digit.
type recordParser struct {
	b          []byte
	i          int
	headerRead bool
	timesRead  bool
	tooLarge   bool
}

const (
	nsPerMS = int64(1e6)
	nsPerS  = int64(1e9)
	// maxMiB keeps MiB×2^20 inside int64.
	maxMiB = math.MaxInt64 >> 20
	// maxDecimalNS bounds every time field (about 31 years) so that a
	// cycle's start plus its phases, or the sum of cpu fields, cannot
	// overflow int64 nanoseconds.
	maxDecimalNS = int64(1e18)
	// maxNoteLen bounds the parenthesised note some runtimes print after
	// "P%" (Go 1.26: " (checking for goroutine leaks)").
	maxNoteLen = 80
)

// parseRecord parses a record that starts at b[0] ("gc "). It returns the
// record and the offset just past it, or ok=false with p.i at the failure.
func parseRecord(b []byte) (rec record, end int, p recordParser, ok bool) {
	p = recordParser{b: b}
	if !p.header(&rec) || !p.clockAndCPU(&rec) {
		return rec, p.i, p, false
	}
	p.timesRead = true
	ok = p.heap(&rec)
	return rec, p.i, p, ok
}

// header reads `gc [#]N @T.TTTs P%[ (note)]: `. Early Go 1.5 builds printed
// "gc #N".
func (p *recordParser) header(rec *record) bool {
	if !p.lit("gc ") {
		return false
	}
	p.lit("#")
	at := p.i
	n, ok := p.uint(10)
	if ok && n > math.MaxInt {
		return p.outOfRange(at)
	}
	if !ok || !p.lit(" @") {
		return false
	}
	rec.n = int(n)
	if rec.start, ok = p.decimal(nsPerS); !ok || !p.lit("s ") {
		return false
	}
	p.headerRead = true
	pct, ok := p.uint(9)
	if !ok || !p.lit("%") {
		return false
	}
	rec.cpuPercent = int(pct)
	if p.lit(" (") && !p.skipNote() {
		return false
	}
	return p.lit(": ")
}

// skipNote skips a parenthesised note's text and its closing parenthesis.
func (p *recordParser) skipNote() bool {
	for j := p.i; j < len(p.b) && j-p.i <= maxNoteLen; j++ {
		switch p.b[j] {
		case ')':
			p.i = j + 1
			return true
		case '\n', '\r', '(':
			return false
		}
	}
	return false
}

// clockAndCPU reads `a+b+c ms clock, a+b/c/d+e ms cpu, ` (Go 1.6+) or the
// Go 1.5 form with five clock and seven cpu fields.
func (p *recordParser) clockAndCPU(rec *record) bool {
	var seps [6]byte
	n, ok := p.durations(rec.clock[:], seps[:])
	if !ok {
		return false
	}
	switch {
	case n == 3 && string(seps[:2]) == "++":
		rec.format = formatGo16
	case n == 5 && string(seps[:4]) == "++++":
		rec.format = formatGo15
	default:
		return false
	}
	rec.nclock = n
	if !p.lit(" ms clock, ") {
		return false
	}
	m, ok := p.durations(rec.cpu[:], seps[:])
	if !ok {
		return false
	}
	want := "+//+"
	if rec.format == formatGo15 {
		want = "+++//+"
	}
	if m != len(want)+1 || string(seps[:m-1]) != want {
		return false
	}
	rec.ncpu = m
	return p.lit(" ms cpu, ")
}

// durations reads millisecond values separated by '+' or '/', recording
// the separators, and returns how many values it read.
func (p *recordParser) durations(out []int64, seps []byte) (int, bool) {
	for n := 0; n < len(out); n++ {
		v, ok := p.decimal(nsPerMS)
		if !ok {
			return n, false
		}
		out[n] = v
		if p.i >= len(p.b) || (p.b[p.i] != '+' && p.b[p.i] != '/') {
			return n + 1, true
		}
		if n < len(seps) {
			seps[n] = p.b[p.i]
		}
		p.i++
	}
	// More values than any layout has.
	return len(out), false
}

// heap reads `h0->h1->h2 MB, G MB goal, [S MB stacks, G MB globals, ]N P`
// and an optional " (forced)". A field is stored only once the text after
// it has been read: a record cut right after a number may have lost some
// of its digits. The fields of a record cut earlier stay -1 (procs 0).
func (p *recordParser) heap(rec *record) bool {
	rec.heapStart, rec.heapEnd, rec.heapLive, rec.heapGoal = -1, -1, -1, -1
	rec.stacks, rec.globals = -1, -1
	v, ok := p.mib()
	if !ok || !p.arrow() {
		return false
	}
	rec.heapStart = v
	if v, ok = p.mib(); !ok || !p.arrow() {
		return false
	}
	rec.heapEnd = v
	if v, ok = p.mib(); !ok || !p.lit(" MB, ") {
		return false
	}
	rec.heapLive = v
	if v, ok = p.mib(); !ok || !p.lit(" MB goal, ") {
		return false
	}
	rec.heapGoal = v
	at := p.i
	x, ok := p.uint(18)
	if !ok {
		return false
	}
	if rec.format == formatGo16 && p.lit(" MB stacks, ") {
		if x > maxMiB {
			return p.outOfRange(at)
		}
		rec.format, rec.stacks = formatGo118, x
		// The extern.go template shows "#MB globals"; the code prints a
		// space. Accept both.
		g, ok := p.mib()
		if !ok {
			return false
		}
		p.lit(" ")
		if !p.lit("MB globals, ") {
			return false
		}
		rec.globals = g
		at = p.i
		if x, ok = p.uint(9); !ok {
			return false
		}
	}
	if x > math.MaxInt32 {
		return p.outOfRange(at)
	}
	if !p.lit(" P") {
		return false
	}
	rec.procs = int(x)
	rec.forced = p.lit(" (forced)")
	return true
}

// layout returns the record's layout when it is certain: a record cut
// before its stacks field may be Go 1.18+ although it reads as Go 1.6.
func (rec *record) layout(cut bool) formatKind {
	if cut && rec.format == formatGo16 {
		return formatUnknown
	}
	return rec.format
}

// arrow reads "->", also as Docker's json-file log driver writes it: it
// escapes '>' in the "log" string as \u003e, like encoding/json's
// HTML-safe mode.
func (p *recordParser) arrow() bool {
	return p.lit("->") || p.lit(`-\u003e`) || p.lit(`-\u003E`)
}

// lit consumes s if the input continues with it.
func (p *recordParser) lit(s string) bool {
	if len(p.b)-p.i < len(s) || string(p.b[p.i:p.i+len(s)]) != s {
		return false
	}
	p.i += len(s)
	return true
}

// uint reads an unsigned decimal integer of at most maxDigits digits.
func (p *recordParser) uint(maxDigits int) (int64, bool) {
	var v int64
	j := p.i
	for ; j < len(p.b) && isDigit(p.b[j]); j++ {
		if j-p.i == maxDigits {
			return 0, p.outOfRange(p.i)
		}
		v = v*10 + int64(p.b[j]-'0')
	}
	if j == p.i {
		return 0, false
	}
	p.i = j
	return v, true
}

// mib reads a size in MiB, bounded so that it converts to bytes.
func (p *recordParser) mib() (int64, bool) {
	at := p.i
	v, ok := p.uint(18)
	if ok && v > maxMiB {
		return 0, p.outOfRange(at)
	}
	return v, ok
}

// outOfRange stops the parse at the number that starts at offset at: its
// digits are all there, but it is larger than any the runtime prints.
func (p *recordParser) outOfRange(at int) bool {
	p.i, p.tooLarge = at, true
	return false
}

// decimal reads "W" or "W.F" in the given unit (nanoseconds per unit) and
// returns nanoseconds. The runtime prints at most three decimals; more are
// accepted and truncated below a nanosecond. The value is bounded by
// maxDecimalNS.
func (p *recordParser) decimal(unit int64) (int64, bool) {
	save := p.i
	whole, ok := p.uint(18)
	if ok && whole >= maxDecimalNS/unit {
		return 0, p.outOfRange(save)
	}
	if !ok {
		p.i = save
		return 0, false
	}
	v := whole * unit
	if p.i+1 < len(p.b) && p.b[p.i] == '.' && isDigit(p.b[p.i+1]) {
		p.i++
		for scale := unit; p.i < len(p.b) && isDigit(p.b[p.i]); p.i++ {
			scale /= 10
			v += int64(p.b[p.i]-'0') * scale
		}
	}
	return v, true
}

func isDigit(c byte) bool { return '0' <= c && c <= '9' }
