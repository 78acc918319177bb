package exectrace

import (
	"bufio"
	"encoding/binary"
	"errors"
	"fmt"
	"io"

	"github.com/gcwatch/gcwatch/internal/limits"
)

// Wire format of Go 1.22+ traces (x/exp trace/internal/tracev2): after the
// header, a sequence of batches, each
//
//	[evEventBatch | evExperimentalBatch experiment-byte]
//	[uvarint generation][uvarint M][uvarint timestamp][uvarint size][size bytes]
//
// and, from Go 1.26, a lone evEndOfGeneration byte after each generation's
// batches. Before Go 1.26 a generation ends where the next one's first
// batch begins.
const (
	evEventBatch        = 1
	evExperimentalBatch = 49
	evEndOfGeneration   = 52
	maxBatchSize        = 64 << 10
	// maxBatchHeader bounds a batch header: two type bytes and four
	// uvarints.
	maxBatchHeader = 2 + 4*binary.MaxVarintLen64
)

// chunkSize is the allocation unit of generation buffers: generations run
// to tens of megabytes, and growing one slice would copy them repeatedly.
const chunkSize = 1 << 20

// generation is one generation's bytes, as cut from the stream.
type generation struct {
	number uint64 // the trace's generation number
	offset int64  // input offset of its first byte
	size   int64
	chunks [][]byte
}

func (g *generation) write(p []byte) {
	g.size += int64(len(p))
	for len(p) > 0 {
		n := len(g.chunks)
		if n == 0 || len(g.chunks[n-1]) == cap(g.chunks[n-1]) {
			g.chunks = append(g.chunks, make([]byte, 0, chunkSize))
			n++
		}
		last := g.chunks[n-1]
		k := min(len(p), cap(last)-len(last))
		g.chunks[n-1] = append(last, p[:k]...)
		p = p[k:]
	}
}

// damage is a stretch of input that cannot be analysed.
type damage struct {
	offset int64 // where the damage was found
	lost   int64 // bytes not analysed because of it
	err    error
}

// piece is what the splitter yields: a generation or a damage report.
type piece struct {
	gen *generation
	dmg *damage
}

// splitter cuts a Go 1.22+ trace into generations by reading batch
// headers only. After corrupted bytes it skips to the next plausible
// batch of a later generation.
type splitter struct {
	r       *bufio.Reader
	version int
	off     int64 // input offset of the next unread byte
	cur     *generation
	lastGen uint64 // number of the last generation yielded
	kept    int64  // bytes of the generations yielded
	queue   []piece
	done    bool
	raw     []byte // bytes of the batch header being read
}

var errTruncated = errors.New("trace truncated")

// ReadByte reads one byte, counting it and keeping it in s.raw: headers
// are passed on byte for byte (the runtime pads some varints, so
// re-encoding them would not give the same bytes).
func (s *splitter) ReadByte() (byte, error) {
	c, err := s.r.ReadByte()
	if err == nil {
		s.off++
		s.raw = append(s.raw, c)
	}
	return c, err
}

// next returns the next piece; false at the end of the stream.
func (s *splitter) next() (piece, bool) {
	for len(s.queue) == 0 && !s.done {
		s.step()
	}
	if len(s.queue) == 0 {
		return piece{}, false
	}
	p := s.queue[0]
	s.queue = s.queue[1:]
	return p, true
}

// step reads one batch (or end-of-generation mark) and acts on it.
func (s *splitter) step() {
	start := s.off
	h, err := s.readBatchHeader()
	switch {
	case errors.Is(err, io.EOF) && s.off == start:
		s.done = true
		if s.cur != nil && s.version >= 26 {
			s.lose(start, fmt.Errorf("%w: generation %d has no end mark", errTruncated, s.cur.number))
		} else if s.cur != nil {
			s.emit()
		}
		return
	case errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF):
		s.done = true
		s.lose(start, fmt.Errorf("%w: batch header cut short", errTruncated))
		return
	case err != nil:
		s.lose(start, err)
		s.resync()
		return
	case h.endOfGen:
		if s.cur != nil {
			s.cur.write(h.raw)
			s.emit()
		}
		return
	}
	if s.cur != nil && h.gen != s.cur.number {
		if s.version >= 26 || h.gen < s.cur.number {
			s.lose(start, fmt.Errorf("batch of generation %d inside generation %d", h.gen, s.cur.number))
		} else {
			s.emit() // before Go 1.26 the next generation's first batch ends this one
		}
	}
	if s.cur == nil {
		s.cur = &generation{number: h.gen, offset: start}
	}
	if err := s.readBatch(s.cur, h); err != nil {
		s.done = true
		s.lose(start, err)
	}
}

func (s *splitter) emit() {
	s.queue = append(s.queue, piece{gen: s.cur})
	s.lastGen = s.cur.number
	s.kept += s.cur.size
	s.cur = nil
}

// lose reports damage found at offset at: the generation being cut so far
// (and the bytes read of the damaged batch) are lost.
func (s *splitter) lose(at int64, err error) {
	from := at
	if s.cur != nil {
		from = s.cur.offset
		s.lastGen = max(s.lastGen, s.cur.number)
	} else {
		// The damage is where the next generation should begin: that
		// generation is incomplete whatever follows.
		s.lastGen++
	}
	s.queue = append(s.queue, piece{dmg: &damage{offset: at, lost: s.off - from, err: err}})
	s.cur = nil
}

// batchHeader is a parsed batch header.
type batchHeader struct {
	gen, size uint64
	raw       []byte // the header bytes as read
	endOfGen  bool
}

// readBatchHeader reads one batch header. It returns io.EOF untouched
// only when no byte could be read.
func (s *splitter) readBatchHeader() (h batchHeader, err error) {
	s.raw = s.raw[:0]
	defer func() { h.raw = s.raw }()
	typ, err := s.ReadByte()
	if err != nil {
		return h, err
	}
	switch {
	case typ == evEndOfGeneration && s.version >= 26:
		h.endOfGen = true
		return h, nil
	case typ == evEventBatch:
	case typ == evExperimentalBatch && s.version >= 23:
		if _, err := s.ReadByte(); err != nil {
			return h, io.ErrUnexpectedEOF
		}
	default:
		return h, fmt.Errorf("expected a batch header, found byte 0x%02x", typ)
	}
	var fields [4]uint64 // generation, M, timestamp, size
	for i := range fields {
		v, err := binary.ReadUvarint(s)
		if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
			return h, io.ErrUnexpectedEOF
		}
		if err != nil {
			return h, fmt.Errorf("bad batch header: %w", err)
		}
		fields[i] = v
	}
	h.gen, h.size = fields[0], fields[3]
	if h.gen == 0 {
		return h, errors.New("bad batch header: generation 0")
	}
	if h.size > maxBatchSize {
		return h, fmt.Errorf("bad batch header: size %d over the maximum %d", h.size, maxBatchSize)
	}
	return h, nil
}

// readBatch appends the batch with header h to g.
func (s *splitter) readBatch(g *generation, h batchHeader) error {
	g.write(h.raw)
	for left := int(h.size); left > 0; {
		n := len(g.chunks)
		if n == 0 || len(g.chunks[n-1]) == cap(g.chunks[n-1]) {
			g.chunks = append(g.chunks, make([]byte, 0, chunkSize))
			n++
		}
		last := g.chunks[n-1]
		k := min(left, cap(last)-len(last))
		got, err := io.ReadFull(s.r, last[len(last):len(last)+k])
		g.chunks[n-1] = last[:len(last)+got]
		g.size += int64(got)
		s.off += int64(got)
		left -= got
		if err != nil {
			return fmt.Errorf("%w: batch cut short", errTruncated)
		}
	}
	return nil
}

// resync skips input up to the next plausible batch of a generation after
// the damaged one: a well-formed header whose batch is followed by another
// well-formed header of the same or the next generation (or the end). It
// gives up, and the rest of the input is not read, once it has skipped
// more than limits.Unusable allows: garbage after a trace, such as a
// decompression bomb, then costs about as much as the trace at most.
func (s *splitter) resync() {
	const lookahead = 3 * (maxBatchHeader + maxBatchSize)
	skipped, gaveUp := int64(0), false
	defer func() {
		if n := len(s.queue); n > 0 && s.queue[n-1].dmg != nil {
			d := s.queue[n-1].dmg
			d.lost += skipped
			if gaveUp {
				d.err = fmt.Errorf("%w; no intact generation in the %d bytes after it, so the rest of the input was not read", d.err, skipped)
			}
		}
	}()
	for {
		if limits.Unusable(s.kept, skipped) {
			s.done, gaveUp = true, true
			return
		}
		buf, err := s.r.Peek(s.r.Size())
		if len(buf) == 0 {
			s.done = true
			return
		}
		atEOF := err != nil
		limit := len(buf)
		if !atEOF {
			limit -= lookahead
		}
		for i := 0; i < limit; i++ {
			if s.plausibleBatch(buf[i:], atEOF) {
				s.discard(i)
				skipped += int64(i)
				return
			}
		}
		if atEOF {
			s.discard(len(buf))
			skipped += int64(len(buf))
			s.done = true
			return
		}
		s.discard(limit)
		skipped += int64(limit)
	}
}

func (s *splitter) discard(n int) {
	d, _ := s.r.Discard(n)
	s.off += int64(d)
}

// plausibleBatch reports whether b begins a batch of one of the next few
// generations after s.lastGen, followed by two more well-formed batches of
// the same or the next generation (or the end of the stream or of the
// generation): random bytes inside a damaged batch hardly ever pass that.
func (s *splitter) plausibleBatch(b []byte, atEOF bool) bool {
	gen, n := s.parseHeader(b)
	if n == 0 || gen <= s.lastGen || gen > s.lastGen+3 {
		return false
	}
	for range 2 {
		rest := b[n:]
		switch {
		case len(rest) == 0:
			return atEOF
		case rest[0] == evEndOfGeneration && s.version >= 26:
			return true
		}
		next, m := s.parseHeader(rest)
		if m == 0 || (next != gen && next != gen+1) {
			return false
		}
		gen, n = next, n+m
	}
	return true
}

// parseHeader parses a batch header at the start of b and returns its
// generation and the length of the header plus batch, or 0 when b does not
// start with a whole, well-formed batch.
func (s *splitter) parseHeader(b []byte) (gen uint64, n int) {
	if len(b) == 0 {
		return 0, 0
	}
	switch {
	case b[0] == evEventBatch:
		n = 1
	case b[0] == evExperimentalBatch && s.version >= 23 && len(b) > 1:
		n = 2
	default:
		return 0, 0
	}
	var fields [4]uint64
	for i := range fields {
		v, k := binary.Uvarint(b[n:])
		if k <= 0 {
			return 0, 0
		}
		fields[i] = v
		n += k
	}
	if fields[0] == 0 || fields[3] > maxBatchSize || uint64(len(b)-n) < fields[3] {
		return 0, 0
	}
	return fields[0], n + int(fields[3])
}
