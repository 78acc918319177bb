package ingest

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"errors"
	"fmt"
	"io"
	"os"
	"sync"

	"github.com/gcwatch/gcwatch/internal/ingest/exectrace"
	"github.com/gcwatch/gcwatch/internal/ingest/gctrace"
	"github.com/gcwatch/gcwatch/internal/ingest/latencylog"
	"github.com/gcwatch/gcwatch/internal/ingest/otelspans"
)

// sniffSize is how much of an input is looked at to recognise it.
const sniffSize = 64 << 10

// kindOf is what an input's first bytes say it is.
type kindOf int

const (
	unknownKind kindOf = iota
	traceKind
	gctraceKind
	profileKind
	latencyKind // a request-latency log (JSONL or CSV)
	spansKind   // an OpenTelemetry trace export (OTLP JSON, stdout exporter)
	textKind    // text without gctrace lines among the first bytes
	ancientKind // a Go 1.4-or-older trace
	emptyKind
)

// input is one opened input stream.
type input struct {
	name    string
	gzipped bool
	r       *bufio.Reader
	closer  io.Closer
	buffers []*bufio.Reader // from readers
	counter *countingReader
	size    int64 // on-disk size, -1 when unknown (stdin)
	kind    kindOf
	format  string
	// gz records where a gzip stream broke (cut short, corrupt data, a bad
	// checksum); the decoders saw a clean end of input there.
	gz *gzipGuard
}

// gzipGuard hands decoders what a damaged gzip stream decompressed before
// the damage, then a clean io.EOF, and remembers the damage so that the
// input can be analysed as far as it goes and the report can say where it
// stopped.
type gzipGuard struct {
	r        io.Reader
	counter  *countingReader
	out      int64 // decompressed bytes handed on
	err      error // the damage, nil while none
	inAtFail int64 // compressed bytes read from the file when it broke
}

func (g *gzipGuard) Read(p []byte) (int, error) {
	if g.err != nil {
		return 0, io.EOF
	}
	n, err := g.r.Read(p)
	g.out += int64(n)
	if err != nil && !errors.Is(err, io.EOF) {
		g.err, g.inAtFail = err, g.counter.n
		return n, io.EOF
	}
	return n, err
}

// broke is, for an input that could not be used, what to add to its error
// when its gzip stream broke: the decoder saw only what came before.
func (in *input) broke() string {
	if in.gz == nil || in.gz.err == nil {
		return ""
	}
	return fmt.Sprintf(" (its gzip stream broke after %d bytes of the file, %d bytes decompressed: %v)", in.gz.inAtFail, in.gz.out, in.gz.err)
}

// damage describes a broken gzip stream, or is "" when it was whole.
func (in *input) damage() string {
	if in.gz == nil || in.gz.err == nil {
		return ""
	}
	what := "is damaged"
	if errors.Is(in.gz.err, io.ErrUnexpectedEOF) {
		what = "is cut short"
	}
	return fmt.Sprintf("%s: the gzip stream %s (%v) after %d bytes of the file, %d bytes decompressed; what came before was analysed",
		in.name, what, in.gz.err, in.gz.inAtFail, in.gz.out)
}

// countingReader counts the bytes read through it: from the underlying
// file, for progress, and a profile's decompressed bytes.
type countingReader struct {
	r io.Reader
	n int64
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += int64(n)
	return n, err
}

// openInput opens name ("-" for stdin), undoes gzip compression and
// recognises the content.
func openInput(name string, stdin io.Reader) (*input, error) {
	in := &input{name: name, size: -1}
	var raw io.Reader
	if name == "-" {
		in.name = "<stdin>"
		raw = stdin
	} else {
		f, err := os.Open(name)
		if err != nil {
			return nil, cannotRead(name, err)
		}
		if st, err := f.Stat(); err == nil {
			if st.IsDir() {
				f.Close()
				return nil, fmt.Errorf("%s is a folder", name)
			}
			in.size = st.Size()
		}
		raw, in.closer = f, f
	}
	in.counter = &countingReader{r: raw}
	br := in.reader(in.counter)
	if magic, _ := br.Peek(2); len(magic) == 2 && magic[0] == 0x1f && magic[1] == 0x8b {
		zr, err := gzip.NewReader(br)
		if err != nil {
			in.close()
			return nil, fmt.Errorf("%s: gzip header: %w", in.name, err)
		}
		zr.Multistream(true)
		in.gzipped = true
		in.gz = &gzipGuard{r: zr, counter: in.counter}
		br = in.reader(in.gz)
	}
	in.r = br
	prefix, err := br.Peek(sniffSize)
	if err != nil && !errors.Is(err, io.EOF) && !errors.Is(err, bufio.ErrBufferFull) {
		in.close()
		return nil, fmt.Errorf("%s: %w", in.name, err)
	}
	if len(prefix) == 0 && in.gz != nil && in.gz.err != nil {
		in.close()
		return nil, fmt.Errorf("%s: the gzip stream is damaged before any data (%w)", in.name, in.gz.err)
	}
	in.kind, in.format = recognise(prefix)
	return in, nil
}

// readers keeps the read buffers of closed inputs for the next ones: a
// folder may hold thousands of small files, and making (and so clearing)
// a megabyte for each was most of the cost of looking at them.
var readers = sync.Pool{New: func() any { return bufio.NewReaderSize(nil, readerSize) }}

// readerSize is an input's read buffer: large enough for the decoders,
// which then read through it rather than adding a buffer of their own.
const readerSize = 1 << 20

// reader returns a read buffer over r, given back when in is closed.
func (in *input) reader(r io.Reader) *bufio.Reader {
	br := readers.Get().(*bufio.Reader)
	br.Reset(r)
	in.buffers = append(in.buffers, br)
	return br
}

// close closes the file and gives back the read buffers: nothing may read
// from the input after.
func (in *input) close() {
	if in.closer != nil {
		in.closer.Close()
	}
	for _, br := range in.buffers {
		br.Reset(nil)
		readers.Put(br)
	}
	in.buffers = nil
}

// recognise says what an input is from its first bytes.
func recognise(prefix []byte) (kindOf, string) {
	if len(prefix) == 0 {
		return emptyKind, ""
	}
	if v, ok := exectrace.LooksLike(prefix); ok {
		return traceKind, v
	}
	if bytes.HasPrefix(prefix, []byte("gotrace\x00")) {
		return ancientKind, "go 1.4 or older trace"
	}
	if looksLikeProfile(prefix) {
		return profileKind, "pprof"
	}
	if looksLikeText(prefix) {
		if f := otelspans.LooksLike(prefix); f != "" {
			return spansKind, f
		}
		if gctrace.LooksLike(prefix) {
			return gctraceKind, "gctrace"
		}
		if latencylog.LooksLike(prefix) {
			return latencyKind, "latency log"
		}
		return textKind, "text"
	}
	return unknownKind, ""
}

// looksLikeText reports whether prefix reads as text: few control bytes
// (NUL among them). Bytes that are not UTF-8 do not count against it: a
// log's application output may be in another encoding (Latin-1), and
// binary data gives itself away by its control bytes, about one in eight.
func looksLikeText(prefix []byte) bool {
	control := 0
	for _, c := range prefix {
		if c < 0x20 && c != '\n' && c != '\r' && c != '\t' && c != '\f' && c != 0x1b || c == 0x7f {
			control++
		}
	}
	return control <= 2 || control*100 <= len(prefix)
}
