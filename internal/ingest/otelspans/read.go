package otelspans

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
	"time"

	"github.com/gcwatch/gcwatch/internal/ingest/latencylog"
	"github.com/gcwatch/gcwatch/internal/limits"
	"github.com/gcwatch/gcwatch/internal/model"
)

// Formats, as Log.Format names them.
const (
	FormatOTLP   = "otlp json"
	FormatStdout = "otel stdout"
)

// Options choose the spans that are requests.
type Options struct {
	// Service is the service.name whose spans are read; "" takes the one
	// service that has request spans.
	Service string
	// Span is the name of the spans that are requests; "" takes server
	// spans, else root spans.
	Span string
	// Instance is the instance of the service whose spans are read, as
	// instanceOf names it: "" when the service's request spans come from
	// one instance (the spans of several processes cannot be set against
	// one process's GC).
	Instance string
	// MaxValueBytes bounds one JSON value (an OTLP batch or a stdout
	// span); 0 applies gcwatch's rule for unusable input
	// (internal/limits): a value may be as long as everything before it,
	// and at least 64 MiB.
	MaxValueBytes int64
}

// maxBadReports is how many bad spans are reported one by one.
const maxBadReports = 20

// OTLP span kinds (opentelemetry.proto.trace.v1.Span.SpanKind), which the
// Go SDK's trace.SpanKind numbers alike.
const (
	kindUnspecified = 0
	kindInternal    = 1
	kindServer      = 2
)

// span is what is kept of a span that may be a request.
type span struct {
	start, end int64 // unix nanoseconds
	name       string
	status     string
	trace      model.TraceID
	id, parent model.SpanID
	kind       int32
	service    int // index in reader.services
	instance   string
	ordinal    int // 1-based among the file's spans
}

// reader is the state of one Read.
type reader struct {
	name     string
	opts     Options
	log      *latencylog.Log
	spans    []span
	services []string
	svcIndex map[string]int
	// withSpans counts the spans of each service.
	withSpans []int
	names     map[string]string
	firstBad  string
	format    string
	value     int // 1-based number of the JSON value being read
}

// ErrNoSpans is wrapped by the error of an input in which no span is a
// request.
var ErrNoSpans = errors.New("no request spans")

// Read reads an OpenTelemetry trace export, OTLP JSON or the stdout
// exporter's, and returns the spans that are requests as a latency log
// (Log.Format FormatOTLP or FormatStdout). Spans are counted in Log.Stats:
// Lines every span (and every JSON value that could not be read), Parsed
// the requests, Skipped the other spans and Bad the unusable ones. It fails on input that is not such an export, and
// when no span is a request, saying why in one line.
func Read(r io.Reader, name string, opts Options) (*latencylog.Log, error) {
	rd := &reader{
		name: name, opts: opts, log: &latencylog.Log{Name: name},
		svcIndex: map[string]int{}, names: map[string]string{},
	}
	cr := &boundedReader{r: r, max: opts.MaxValueBytes}
	dec := json.NewDecoder(cr)
	for {
		var raw json.RawMessage
		rd.value++
		err := dec.Decode(&raw)
		cr.boundary = dec.InputOffset()
		if err == io.EOF {
			break
		}
		if err != nil {
			var read *readError
			if errors.As(err, &read) {
				return nil, fmt.Errorf("%s: %w", name, read.err)
			}
			what := fmt.Sprintf("%s: byte offset %d: not JSON: %v", name, dec.InputOffset(), err)
			if errors.Is(err, errTooBig) {
				what = fmt.Sprintf("%s: byte offset %d: a JSON value longer than %d bytes", name, cr.boundary, cr.limit())
			}
			if rd.log.Stats.Lines == 0 {
				return nil, errors.New(what + " (want OTLP JSON or the OpenTelemetry stdout exporter's spans)")
			}
			rd.warn(what + "; the rest of the input was not read")
			break
		}
		rd.valueOf(raw)
	}
	rd.log.Stats.Bytes = cr.n
	if err := rd.finish(); err != nil {
		return nil, err
	}
	return rd.log, nil
}

// valueOf reads one top-level JSON value.
func (rd *reader) valueOf(raw []byte) {
	raw = bytes.TrimSpace(raw)
	switch {
	case len(raw) > 0 && raw[0] == '[':
		rd.stdoutArray(raw)
	case bytes.Contains(raw, []byte(`"resourceSpans"`)) || bytes.Contains(raw, []byte(`"resource_spans"`)):
		rd.otlp(raw)
	case bytes.Contains(raw, []byte(`"SpanContext"`)):
		rd.stdout(raw)
	default:
		rd.badValue(errors.New("neither an OTLP batch (no resourceSpans) nor a span of the stdout exporter (no SpanContext)"))
	}
}

// add keeps a span that may be a request, and counts every span.
func (rd *reader) add(s span, service, instance string, where func() string) {
	st := &rd.log.Stats
	st.Lines++
	s.ordinal = st.Lines
	si, ok := rd.svcIndex[service]
	if !ok {
		si = len(rd.services)
		rd.svcIndex[service] = si
		rd.services = append(rd.services, service)
		rd.withSpans = append(rd.withSpans, 0)
	}
	rd.withSpans[si]++
	s.service = si
	s.instance = instance
	candidate := s.kind == kindServer || s.parent.IsZero() && (s.kind == kindUnspecified || s.kind == kindInternal) ||
		rd.opts.Span != "" && s.name == rd.opts.Span
	if !candidate {
		st.Skipped++
		return
	}
	switch {
	case s.start <= 0:
		rd.bad(where(), errors.New("no start time"))
		return
	case s.end < s.start:
		rd.bad(where(), fmt.Errorf("ends %v before it starts", time.Duration(s.start-s.end)))
		return
	}
	if n, ok := rd.names[s.name]; ok {
		s.name = n
	} else if len(rd.names) < 10000 {
		rd.names[s.name] = s.name
	}
	rd.spans = append(rd.spans, s)
}

func (rd *reader) bad(where string, err error) {
	st := &rd.log.Stats
	st.Bad++
	msg := fmt.Sprintf("%s: %s: %v", rd.name, where, err)
	if rd.firstBad == "" {
		rd.firstBad = msg
	}
	if st.Bad <= maxBadReports {
		rd.warn(msg)
	}
}

// badValue reports a JSON value that could not be read at all; it counts
// as one bad item among the spans.
func (rd *reader) badValue(err error) {
	st := &rd.log.Stats
	st.Lines++
	st.Bad++
	msg := fmt.Sprintf("%s: JSON value %d: %v", rd.name, rd.value, err)
	if rd.firstBad == "" {
		rd.firstBad = msg
	}
	if st.Bad <= maxBadReports {
		rd.warn(msg)
	}
}

func (rd *reader) warn(msg string) { rd.log.Warnings = append(rd.log.Warnings, msg) }

func (rd *reader) setFormat(f string) {
	if rd.format == "" {
		rd.format = f
	}
}

// finish picks the requests among the kept spans.
func (rd *reader) finish() error {
	st := &rd.log.Stats
	rd.log.Format = rd.format
	if st.Bad > maxBadReports {
		rd.warn(fmt.Sprintf("%s: %d more bad spans not shown", rd.name, st.Bad-maxBadReports))
	}
	if len(rd.services) == 0 { // not a span read, good or bad
		why := "it holds no spans"
		if rd.firstBad != "" {
			why = "no span could be read; the first: " + rd.firstBad
		}
		return fmt.Errorf("%s: %w: %s", rd.name, ErrNoSpans, why)
	}
	svc, err := rd.service()
	if err != nil {
		return err
	}
	class, keep := rd.class(svc)
	if len(keep) == 0 {
		return fmt.Errorf("%s: %w: %s", rd.name, ErrNoSpans, rd.noneWhy(svc))
	}
	if keep, err = rd.oneInstance(svc, keep); err != nil {
		return err
	}
	// A request span whose parent is another request span is part of that
	// request.
	ids := make(map[model.SpanID]model.TraceID, len(keep))
	for _, i := range keep {
		ids[rd.spans[i].id] = rd.spans[i].trace
	}
	nested := 0
	for _, i := range keep {
		s := &rd.spans[i]
		if t, ok := ids[s.parent]; ok && !s.parent.IsZero() && t == s.trace {
			nested++
			continue
		}
		rd.log.Requests = append(rd.log.Requests, latencylog.Entry{
			Start:    time.Unix(0, s.start).UTC(),
			Duration: time.Duration(s.end - s.start),
			Type:     s.name, Status: s.status, Line: s.ordinal,
			TraceID: s.trace, SpanID: s.id,
		})
	}
	st.Parsed = len(rd.log.Requests)
	st.Skipped = st.Lines - st.Parsed - st.Bad
	rd.log.Fields = fmt.Sprintf("%s of service %q", class, rd.services[svc])
	if in := rd.spans[keep[0]].instance; in != "" {
		rd.log.Fields += fmt.Sprintf(", instance %q", in)
	}
	if nested > 0 {
		rd.log.Fields += fmt.Sprintf(" (%d nested in another left out)", nested)
	}
	return nil
}

// oneInstance keeps the request spans of Options.Instance, and fails when
// it is not given and the spans come from several instances.
func (rd *reader) oneInstance(svc int, keep []int) ([]int, error) {
	count := map[string]int{}
	var order []string
	for _, i := range keep {
		in := rd.spans[i].instance
		if count[in] == 0 {
			order = append(order, in)
		}
		count[in]++
	}
	list := func() string {
		var parts []string
		for _, in := range order {
			name := fmt.Sprintf("%q", in)
			if in == "" {
				name = "(none named)"
			}
			parts = append(parts, fmt.Sprintf("%s with %d", name, count[in]))
		}
		if len(parts) > 8 {
			parts = append(parts[:8], fmt.Sprintf("and %d more", len(parts)-8))
		}
		return strings.Join(parts, ", ")
	}
	if rd.opts.Instance == "" {
		if len(order) > 1 {
			return nil, fmt.Errorf("%s: the request spans of service %q come from %d instances (%s): they are several processes, and one process's GC can be set against its own requests only; name one with --service-instance",
				rd.name, rd.services[svc], len(order), list())
		}
		return keep, nil
	}
	if count[rd.opts.Instance] == 0 {
		return nil, fmt.Errorf("%s: %w: no request span of service %q comes from instance %q; its instances: %s", rd.name, ErrNoSpans, rd.services[svc], rd.opts.Instance, list())
	}
	out := keep[:0:0]
	for _, i := range keep {
		if rd.spans[i].instance == rd.opts.Instance {
			out = append(out, i)
		}
	}
	return out, nil
}

// instanceOf names the process a resource describes, from its
// attributes: service.instance.id, else the process id with the host
// ("pid 123 on web-1"); "" when it names none.
func instanceOf(attr func(key string) string) string {
	if id := attr("service.instance.id"); id != "" {
		return id
	}
	pid, host := attr("process.pid"), attr("host.name")
	switch {
	case pid != "" && host != "":
		return "pid " + pid + " on " + host
	case pid != "":
		return "pid " + pid
	}
	return host
}

// service is the index of the service whose spans are read.
func (rd *reader) service() (int, error) {
	if rd.opts.Service != "" {
		if i, ok := rd.svcIndex[rd.opts.Service]; ok {
			return i, nil
		}
		return 0, fmt.Errorf("%s: %w: no span has service.name %q; its services: %s", rd.name, ErrNoSpans, rd.opts.Service, rd.serviceList(nil))
	}
	with := make([]bool, len(rd.services))
	n := 0
	for i := range rd.services {
		if _, keep := rd.class(i); len(keep) > 0 {
			with[i] = true
			n++
		}
	}
	switch {
	case n == 1:
		return slices.Index(with, true), nil
	case n == 0 && len(rd.services) == 1:
		return 0, nil // finish says why none is a request
	case n == 0 && rd.opts.Span != "":
		return 0, fmt.Errorf("%s: %w: no span of any of its services is named %q (%s)", rd.name, ErrNoSpans, rd.opts.Span, rd.serviceList(nil))
	case n == 0:
		return 0, fmt.Errorf("%s: %w: none of its services has a request span (%s); name the spans with --span", rd.name, ErrNoSpans, rd.serviceList(nil))
	}
	return 0, fmt.Errorf("%s: spans of %d services are requests (%s): name one with --service", rd.name, n, rd.serviceList(with))
}

// class returns what the requests are and the indices of their spans.
func (rd *reader) class(svc int) (string, []int) {
	pick := func(ok func(*span) bool) []int {
		var out []int
		for i := range rd.spans {
			if s := &rd.spans[i]; s.service == svc && ok(s) {
				out = append(out, i)
			}
		}
		return out
	}
	if rd.opts.Span != "" {
		return fmt.Sprintf("spans named %q", rd.opts.Span), pick(func(s *span) bool { return s.name == rd.opts.Span })
	}
	if server := pick(func(s *span) bool { return s.kind == kindServer }); len(server) > 0 {
		return "server spans", server
	}
	return "root spans", pick(func(s *span) bool { return s.parent.IsZero() && (s.kind == kindUnspecified || s.kind == kindInternal) })
}

// noneWhy says why no span of the service is a request.
func (rd *reader) noneWhy(svc int) string {
	total := rd.withSpans[svc]
	if rd.opts.Span != "" {
		return fmt.Sprintf("none of the %d spans of service %q is named %q", total, rd.services[svc], rd.opts.Span)
	}
	why := fmt.Sprintf("none of the %d spans of service %q is a server span or a root span", total, rd.services[svc])
	if rd.firstBad != "" {
		why += " that could be read; the first bad one: " + rd.firstBad
	} else {
		why += "; name the request spans with --span"
	}
	return why
}

// serviceList names the services (those marked in only, when given) with
// their span counts.
func (rd *reader) serviceList(only []bool) string {
	var parts []string
	for i, s := range rd.services {
		if only != nil && !only[i] {
			continue
		}
		if s == "" {
			s = "(no service.name)"
		} else {
			s = fmt.Sprintf("%q", s)
		}
		parts = append(parts, fmt.Sprintf("%s with %d spans", s, rd.withSpans[i]))
	}
	if len(parts) > 8 {
		parts = append(parts[:8], fmt.Sprintf("and %d more", len(parts)-8))
	}
	return strings.Join(parts, ", ")
}

// errTooBig is returned by boundedReader past its bound.
var errTooBig = errors.New("JSON value too long")

// readError is an error of the underlying reader, as opposed to the JSON.
type readError struct{ err error }

func (e *readError) Error() string { return e.err.Error() }
func (e *readError) Unwrap() error { return e.err }

// boundedReader counts bytes and fails once more than limit() bytes have
// been read past boundary, the end of the last JSON value decoded: one
// value cannot take more memory than that.
type boundedReader struct {
	r        io.Reader
	n        int64
	boundary int64
	max      int64 // 0: limits.Unusable's rule
}

func (b *boundedReader) limit() int64 {
	if b.max > 0 {
		return b.max
	}
	return max(limits.MinUnusable, b.boundary)
}

func (b *boundedReader) Read(p []byte) (int, error) {
	if b.n-b.boundary > b.limit() {
		return 0, errTooBig
	}
	n, err := b.r.Read(p)
	b.n += int64(n)
	if err != nil && err != io.EOF {
		err = &readError{err}
	}
	return n, err
}
