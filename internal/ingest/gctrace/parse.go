package gctrace

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/gcwatch/gcwatch/internal/limits"
	"github.com/gcwatch/gcwatch/internal/model"
)

// Result is what a gctrace log held.
type Result struct {
	// Processes in order of first appearance. Processes whose every record
	// was cut before its cpu fields are left out (their lines are still
	// warned about).
	Processes []Process
	// Stats counts physical lines: each is one of blank (not counted
	// separately), gc, bad, skipped or other. A line holding a damaged
	// record or a record fragment counts as bad even when it also held a
	// good record.
	Stats model.IngestStats
	// Warnings name name:line. They are capped; the last one then says
	// how many more there were.
	Warnings []string
}

const (
	// readBufferSize is the bufio.Reader size: large, so that most reads
	// serve many lines, and the most a line ever costs in memory.
	readBufferSize = 1 << 20
	// maxRecordLen is longer than any record the runtime prints (about
	// twenty numbers of at most twenty digits and their labels). Lines
	// longer than the read buffer are scanned in pieces that overlap by
	// this much, so that no record is split between pieces.
	maxRecordLen = 1024
	// maxWarnings caps Result.Warnings.
	maxWarnings = 100
)

// Parse reads a whole gctrace stream. name is used in warnings (the file
// name). Damaged content never fails the parse: it is counted and warned
// about. The error is only for failures to read, and comes with what was
// parsed up to that point.
func Parse(r io.Reader, name string) (*Result, error) {
	s := newScanner(name)
	br := bufio.NewReaderSize(r, readBufferSize)
	var gcLines int64
	var usable int64 // bytes up to the end of the last gc line
	for {
		if s.stats.GCLines != gcLines {
			gcLines, usable = s.stats.GCLines, s.stats.Bytes
		}
		// Past a long enough stretch without a gc line, the rest is not
		// read (limits.Unusable): garbage after a log, such as a
		// decompression bomb, costs about as much as the log at most.
		if limits.Unusable(usable, s.stats.Bytes-usable) {
			if s.inLine {
				s.segment(nil, true)
			}
			// Past the cap on warnings too: it says what was not analysed.
			s.warns.list = append(s.warns.list, fmt.Sprintf(
				"%s:%d: no gc line in the %d bytes after byte offset %d, so the rest of the input was not read",
				name, s.line, s.stats.Bytes-usable, usable))
			return s.finish(), nil
		}
		chunk, err := br.ReadSlice('\n')
		s.stats.Bytes += int64(len(chunk))
		switch {
		case err == nil:
			s.segment(chunk, true)
		case errors.Is(err, bufio.ErrBufferFull):
			s.segment(chunk, false)
		case errors.Is(err, io.EOF):
			if len(chunk) > 0 || s.inLine {
				s.segment(chunk, true)
			}
			return s.finish(), nil
		default:
			if len(chunk) > 0 || s.inLine {
				s.segment(chunk, true)
			}
			return s.finish(), fmt.Errorf("read %s: %w", name, err)
		}
	}
}

// warnings collects a Result's warnings up to maxWarnings.
type warnings struct {
	list    []string
	dropped int
}

func (w *warnings) add(msg string) {
	if len(w.list) >= maxWarnings {
		w.dropped++
		return
	}
	w.list = append(w.list, msg)
}

// scanner holds the state of one Parse.
type scanner struct {
	name    string
	stats   model.IngestStats
	warns   warnings
	tracker *tracker

	line int // number of the current line, from 1
	// inLine is set while a line longer than the read buffer is being
	// read; carry then holds the overlap kept from its previous piece, and
	// resume the offset in it where searching continues.
	inLine bool
	carry  []byte
	resume int
	// What the current line held so far.
	lineGC, lineBad, lineOld, lineNonBlank bool
	// The current line's timestamp, read at its first record.
	stampRead bool
	stampTime time.Time
	stampKind stampKind
	// oldFormat counts Go 1.4 "gcN(M): ..." lines, which are not parsed.
	oldFormat int
}

func newScanner(name string) *scanner {
	s := &scanner{name: name}
	s.tracker = newTracker(name, &s.warns)
	return s
}

// segment handles the next piece of the input: a whole line (final and
// not inLine), or a piece of a line longer than the read buffer.
func (s *scanner) segment(piece []byte, final bool) {
	first := !s.inLine
	if first {
		s.line++
		s.lineGC, s.lineBad, s.lineOld, s.lineNonBlank, s.stampRead = false, false, false, false, false
	}
	work := piece
	if s.inLine {
		s.carry = append(s.carry, piece...)
		work = s.carry
	}
	if !s.lineNonBlank && !isBlank(piece) {
		s.lineNonBlank = true
	}
	limit := len(work)
	if !final {
		limit = max(0, len(work)-maxRecordLen)
	}
	end := s.records(work, s.resume, limit, first)
	if final {
		s.classify(work, first)
		s.inLine, s.carry, s.resume = false, s.carry[:0], 0
		return
	}
	if first && !s.stampRead {
		// Later pieces no longer hold the line's prefix.
		s.readStamp(work)
	}
	s.inLine = true
	s.resume = max(0, end-limit)
	// Safe when work is carry itself: append copies like memmove.
	s.carry = append(s.carry[:0], work[limit:]...)
}

// records finds and handles the records that start in work[from:limit],
// and returns the offset after the last one.
func (s *scanner) records(work []byte, from, limit int, first bool) int {
	i := from
	for i < limit {
		j := bytes.Index(work[i:], gcWord)
		if j < 0 || i+j >= limit {
			break
		}
		k := i + j
		switch startKind(work[k:]) {
		case startNone:
			i = k + 1
			continue
		case startGo14:
			s.lineOld = true
			i = k + 1
			continue
		}
		if first && !s.stampRead {
			s.readStamp(work)
		}
		rec, n, p, ok := parseRecord(work[k:])
		if ok {
			s.goodRecord(&rec)
			i = k + n
			continue
		}
		if p.timesRead {
			s.cutRecord(&rec, work[k:], p)
			i = k + p.i
			continue
		}
		s.badRecord(work[k:], p)
		i = k + max(p.i, 1)
	}
	return i
}

var gcWord = []byte("gc")

type recordStart uint8

const (
	startNone recordStart = iota
	startGC               // "gc [#]N @"
	startGo14             // "gcN(M): "
)

// startKind tells whether b, which begins "gc", begins a record: the
// runtime's "gc N @" (an early Go 1.5 "gc #N @"), or Go 1.4's "gcN(M): ".
// A bare "gc 5" in application prose is neither.
func startKind(b []byte) recordStart {
	if len(b) < 3 {
		return startNone
	}
	if isDigit(b[2]) {
		j := 3
		for j < len(b) && isDigit(b[j]) {
			j++
		}
		if j < len(b) && b[j] == '(' {
			return startGo14
		}
		return startNone
	}
	if b[2] != ' ' {
		return startNone
	}
	j := 3
	if j < len(b) && b[j] == '#' {
		j++
	}
	d := j
	for j < len(b) && isDigit(b[j]) {
		j++
	}
	if j == d || len(b)-j < 2 || b[j] != ' ' || b[j+1] != '@' {
		return startNone
	}
	return startGC
}

// readStamp reads the wall-clock time of the line that starts work.
func (s *scanner) readStamp(work []byte) {
	s.stampTime, s.stampKind = lineStamp(work)
	s.stampRead = true
}

// goodRecord gives a parsed record to its process.
func (s *scanner) goodRecord(rec *record) {
	s.lineGC = true
	h := header{n: rec.n, start: rec.start, format: rec.format, procs: rec.procs, heapStart: rec.heapStart}
	b := s.tracker.assign(h, s.line)
	b.addRecord(rec, false, s.line)
	b.stamp(s.stampTime, s.stampKind, rec.start)
}

// cutRecord keeps the cycle of a record cut after its cpu fields, which
// is what happens when a process exits while the runtime prints, or
// another writer's output lands in the middle: its number, times and CPU
// are whole, its heap fields partly or not at all.
func (s *scanner) cutRecord(rec *record, b []byte, p recordParser) {
	s.lineBad = true
	h := header{n: rec.n, start: rec.start, format: rec.layout(true), procs: rec.procs, heapStart: rec.heapStart}
	pb := s.tracker.assign(h, s.line)
	s.tracker.warn(pb, s.cutMessage(b, p)+"; its cycle is kept, the fields after that unknown")
	pb.addRecord(rec, true, s.line)
	pb.stamp(s.stampTime, s.stampKind, rec.start)
}

// badRecord warns about a damaged record. When its header was read, the
// record still tells its process that gc N happened, so the next record
// continues the right process.
func (s *scanner) badRecord(b []byte, p recordParser) {
	s.lineBad = true
	msg := s.cutMessage(b, p)
	if !p.headerRead {
		s.warns.add(msg)
		return
	}
	var rec record
	hp := recordParser{b: b}
	hp.header(&rec)
	h := header{n: rec.n, start: rec.start, heapStart: -1}
	pb := s.tracker.assign(h, s.line)
	s.tracker.warn(pb, msg)
	pb.advance(rec.n, rec.start, s.line)
}

// cutMessage says where the record in b stopped and what followed it.
func (s *scanner) cutMessage(b []byte, p recordParser) string {
	if p.tooLarge {
		end := p.i
		for end < len(b) && end-p.i < 40 && isDigit(b[end]) {
			end++
		}
		return fmt.Sprintf("%s:%d: number out of range in gc line: %s after %q", s.name, s.line, b[p.i:end], excerpt(b[:p.i], 80))
	}
	msg := fmt.Sprintf("%s:%d: gc line cut short after %q", s.name, s.line, excerpt(b[:p.i], 120))
	if rest := b[p.i:]; !atContentEnd(rest) {
		msg += fmt.Sprintf(", followed by %q", excerpt(firstLine(rest), -40))
	}
	return msg
}

// classify counts the line that just ended.
func (s *scanner) classify(work []byte, first bool) {
	s.stats.Lines++
	switch {
	case s.lineBad:
		s.stats.BadLines++
	case s.lineGC:
		s.stats.GCLines++
	case !s.lineNonBlank:
		// blank
	case !first:
		// A line longer than the read buffer is application output:
		// no runtime debug line comes near that length.
		s.stats.OtherLines++
	case isGCFragment(work):
		s.stats.BadLines++
		s.warns.add(fmt.Sprintf("%s:%d: part of a gc line without its start: %q", s.name, s.line, excerpt(firstLine(work), 120)))
	case s.lineOld:
		s.stats.SkippedLines++
		s.oldFormat++
	case isRuntimeDebugLine(work):
		s.stats.SkippedLines++
	default:
		s.stats.OtherLines++
	}
}

// finish builds the Result once the input has ended.
func (s *scanner) finish() *Result {
	res := &Result{Stats: s.stats}
	for _, b := range s.tracker.procs {
		if b.ncycles == 0 {
			continue
		}
		b.p.Index = len(res.Processes)
		p, notes := b.finish(s.name)
		for _, w := range notes {
			s.warns.add(w)
		}
		res.Processes = append(res.Processes, p)
	}
	if s.oldFormat > 0 {
		s.warns.add(fmt.Sprintf("%s: %d lines in the Go 1.4 gctrace format (gcN(M): ...) were skipped; it is not supported", s.name, s.oldFormat))
	}
	res.Warnings = s.warns.list
	if s.warns.dropped > 0 {
		res.Warnings = append(res.Warnings, fmt.Sprintf("%s: %d more warnings not shown", s.name, s.warns.dropped))
	}
	return res
}

// excerpt shortens b for a warning: to its last n bytes when n > 0 (where a
// record stopped is what matters), to its first -n bytes when n < 0.
func excerpt(b []byte, n int) string {
	switch {
	case n > 0 && len(b) > n:
		return "..." + string(b[len(b)-n:])
	case n < 0 && len(b) > -n:
		return string(b[:-n]) + "..."
	}
	return string(b)
}

// firstLine returns b up to its first line break.
func firstLine(b []byte) []byte {
	if i := bytes.IndexAny(b, "\r\n"); i >= 0 {
		return b[:i]
	}
	return b
}
