package latencylog

import (
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
	"time"

	"github.com/gcwatch/gcwatch/internal/model"
)

// Log is a parsed latency log: one Entry per request line, in the order of
// the lines.
type Log struct {
	// Name is the name the log was parsed under, used in messages.
	Name string
	// Format is "jsonl" or "csv", or for spans read by
	// internal/ingest/otelspans "otlp json" or "otel stdout".
	Format string
	// Fields says which fields the first request line was read from, e.g.
	// "start: ts, duration: latency_ms".
	Fields   string
	Requests []Entry
	Stats    Stats
	// Warnings name their line ("name:LINE: ...") when they concern one:
	// bad lines (the first few of them), start times without a zone,
	// durations whose unit looks wrong.
	Warnings []string
}

// Entry is one request of the log.
type Entry struct {
	// Start is the wall-clock time the request began.
	Start    time.Time
	Duration time.Duration
	// ID, Type and Status are as the log wrote them, or empty. Type is the
	// type or route field, else "METHOD /path" (the query cut off).
	ID, Type, Status string
	// Line is the 1-based line number the entry came from; for a span,
	// its 1-based position among the spans of the file.
	Line int
	// TraceID and SpanID are a span's ids (zero for a log line).
	TraceID model.TraceID
	SpanID  model.SpanID
}

// End is when the request ended.
func (e Entry) End() time.Time { return e.Start.Add(e.Duration) }

// Stats counts the lines of a log: Lines = Parsed + Bad + Skipped.
type Stats struct {
	Bytes int64
	Lines int
	// Parsed lines became an Entry.
	Parsed int
	// Bad lines looked like requests but could not be read: not JSON, a
	// start without a duration, a value we cannot read.
	Bad int
	// Skipped lines are not requests: blank lines, "#" comments, CSV
	// header lines, JSON objects without a duration or end whose only
	// time (if any) is a logger's line time ("time", "ts", "timestamp").
	Skipped int
}

// Options tunes parsing. The zero value reads every field name listed in
// the package documentation.
type Options struct {
	// StartField, EndField, DurationField, IDField, TypeField and
	// StatusField replace the names looked for in that role. Names compare
	// as the defaults do (case, "_", "-" and "@" do not matter); in JSONL
	// a dotted name ("http.duration_ms") also reaches into nested objects.
	// TypeField replaces method and path as well.
	StartField, EndField, DurationField, IDField, TypeField, StatusField string
	// DurationUnit is the unit of durations given as numbers; 0 takes it
	// from the field's name (seconds for a name without a unit).
	DurationUnit time.Duration
	// StartUnit is the unit of start times given as numbers; 0 reads it
	// from their magnitude.
	StartUnit time.Duration
	// StartIsEnd says that the start field holds the time the request
	// ended, as in logs written when a request completes: the start is
	// then that time minus the duration. It does not apply to lines that
	// give an end instead of a duration.
	StartIsEnd bool
	// Location is where times without a zone are read; nil means UTC,
	// with a warning.
	Location *time.Location
	// MaxLineBytes bounds a line; longer lines are counted bad and
	// skipped without being held in memory. 0 means 1 MiB.
	MaxLineBytes int
}

// ErrNotLatencyLog is wrapped by the error of a log in which no line is a
// request.
var ErrNotLatencyLog = errors.New("not a latency log")

// maxBadReports is how many bad lines are reported one by one.
const maxBadReports = 20

// Parse reads a latency log with the default Options.
func Parse(r io.Reader, name string) (*Log, error) {
	return ParseWith(r, name, Options{})
}

// ParseWith reads a latency log, JSONL or CSV, recognised by its first
// non-blank line. It streams: memory grows with the number of requests,
// not with the size of the input. Bad lines are counted and reported in
// Log.Warnings; it fails only on a read error or when no line is a
// request, with an error wrapping ErrNotLatencyLog.
func ParseWith(r io.Reader, name string, opts Options) (*Log, error) {
	p := newParser(name, &opts)
	lr := newLineReader(r, opts.MaxLineBytes)
	for {
		line, tooLong, err := lr.next()
		if err == io.EOF {
			break
		}
		if err == errUnusable {
			// Garbage after a log, such as a decompression bomb, costs
			// about as much as the log at most.
			p.log.Warnings = append(p.log.Warnings, fmt.Sprintf(
				"%s:%d: no request in the %d bytes after byte offset %d, so the rest of the input was not read",
				name, lr.lines+1, lr.bytes-lr.usable, lr.usable))
			break
		}
		if err != nil {
			return nil, fmt.Errorf("%s:%d: %w", name, lr.lines+1, err)
		}
		parsed := p.log.Stats.Parsed
		if p.line(lr.lines, line, tooLong); p.log.Stats.Parsed != parsed {
			lr.usable = lr.bytes
		}
	}
	p.log.Stats.Bytes = lr.bytes
	if err := p.finish(); err != nil {
		return nil, err
	}
	return p.log, nil
}

// parser is the state of one parse.
type parser struct {
	log    *Log
	opts   *Options
	fs     *fieldSet
	format string
	header *csvHeader
	// headerErr says why the first line was not a CSV header, for the
	// error of a log in which nothing parses.
	headerErr error
	firstBad  string
	fields    fields
	norm      []byte
	cells     [][]byte
	types     map[string]string
	// numericBare counts durations read as seconds from a bare number.
	numericBare int
	zoneless    bool
}

func newParser(name string, opts *Options) *parser {
	return &parser{
		log:   &Log{Name: name},
		opts:  opts,
		fs:    newFieldSet(opts),
		types: make(map[string]string),
	}
}

// line handles one input line; n is its 1-based number.
func (p *parser) line(n int, line []byte, tooLong bool) {
	st := &p.log.Stats
	st.Lines++
	if tooLong {
		p.bad(n, fmt.Errorf("line longer than %d bytes", p.maxLine()))
		return
	}
	if n == 1 {
		line = trimBOM(line)
	}
	line = trimSpace(line)
	if len(line) == 0 || line[0] == '#' {
		st.Skipped++
		return
	}
	if p.format == "" && p.decideFormat(line) {
		st.Skipped++ // the CSV header
		return
	}
	f := &p.fields
	*f = fields{}
	var err error
	if p.header != nil {
		if string(line) == string(p.header.line) {
			st.Skipped++ // a repeated header: files joined with cat
			return
		}
		err = p.csvFields(line, f)
	} else {
		err = p.jsonFields(line, f)
	}
	if err == nil && p.header == nil && !f.has[roleDuration] && !f.has[roleEnd] &&
		(!f.has[roleStart] || f.info[roleStart].generic) {
		// Another kind of log line: nothing but the time every line of a
		// structured log has.
		st.Skipped++
		return
	}
	var e Entry
	if err == nil {
		e, err = p.entry(f)
	}
	if err != nil {
		p.bad(n, err)
		return
	}
	e.Line = n
	if st.Parsed == 0 {
		p.describe(f)
	}
	st.Parsed++
	p.log.Requests = append(p.log.Requests, e)
}

// decideFormat picks the format from the first non-blank line and
// reports whether that line was a CSV header.
func (p *parser) decideFormat(line []byte) bool {
	if line[0] != '{' {
		h, err := p.readHeader(line)
		if err == nil {
			p.format, p.header = "csv", h
			return true
		}
		p.headerErr = err
	}
	p.format = "jsonl"
	return false
}

func (p *parser) bad(n int, err error) {
	p.log.Stats.Bad++
	if p.firstBad != "" && p.log.Stats.Bad > maxBadReports {
		return // not reported: a log of bad lines costs no formatting
	}
	msg := fmt.Sprintf("%s:%d: %v", p.log.Name, n, err)
	if p.firstBad == "" {
		p.firstBad = msg
	}
	if p.log.Stats.Bad <= maxBadReports {
		p.log.Warnings = append(p.log.Warnings, msg)
	}
}

func (p *parser) maxLine() int {
	if p.opts.MaxLineBytes > 0 {
		return p.opts.MaxLineBytes
	}
	return defaultMaxLine
}

// describe notes which fields the first request came from, and warns
// when its start is a logger's own line time.
func (p *parser) describe(f *fields) {
	var parts []string
	for r := range numRoles {
		if f.has[r] {
			parts = append(parts, fmt.Sprintf("%s: %s", role(r), f.key[r]))
		}
	}
	p.log.Fields = strings.Join(parts, ", ")
	if f.info[roleStart].generic && !p.opts.StartIsEnd {
		p.warn(fmt.Sprintf("%s:%d: start times are read from field %q, which loggers often stamp when a line is written; if that is when requests end, say so (StartIsEnd) or they sit one duration late",
			p.log.Name, p.log.Stats.Lines, f.key[roleStart]))
	}
}

func (p *parser) warn(msg string) { p.log.Warnings = append(p.log.Warnings, msg) }

// finish adds the whole-log notes and fails when nothing parsed.
func (p *parser) finish() error {
	st := p.log.Stats
	p.log.Format = p.format
	if st.Bad > maxBadReports {
		p.warn(fmt.Sprintf("%s: %d more bad lines not shown", p.log.Name, st.Bad-maxBadReports))
	}
	if st.Parsed == 0 {
		return p.notALog()
	}
	if p.numericBare*2 > st.Parsed {
		ds := make([]time.Duration, 0, len(p.log.Requests))
		for _, e := range p.log.Requests {
			ds = append(ds, e.Duration)
		}
		slices.Sort(ds)
		if med := ds[len(ds)/2]; med > time.Hour {
			p.warn(fmt.Sprintf("%s: durations are plain numbers read as seconds, and their median is %v; if they are nanoseconds (log/slog writes time.Duration so) or milliseconds, give the unit",
				p.log.Name, med))
		}
	}
	return nil
}

// notALog is the error for a log without a single request line.
func (p *parser) notALog() error {
	st := p.log.Stats
	var why string
	switch {
	case st.Bad > 0:
		why = "no line could be read as a request; the first: " + p.firstBad
		if p.headerErr != nil {
			why += fmt.Sprintf("; line 1 is %v", p.headerErr)
		}
	case p.format == "csv":
		why = "the CSV header has no rows"
	case st.Lines == st.Skipped && p.format == "":
		why = "it has no lines"
	default:
		why = "no JSON object has a start and a duration"
	}
	return fmt.Errorf("%s: %w (JSONL objects or CSV with a header, each request with a start and a duration): %s",
		p.log.Name, ErrNotLatencyLog, why)
}
