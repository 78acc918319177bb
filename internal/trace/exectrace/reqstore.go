package exectrace

import (
	"bufio"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"os"
	"runtime"
	"time"

	"github.com/gcwatch/gcwatch/internal/model"
)

// A request-dense trace finishes a request every few hundred bytes, and
// the stored requests wait until the end of the trace, when they go into
// the run's model.Requests. Encoded as varints, mostly deltas from the
// request before (ids, end times and goroutine ids grow; many durations
// are zero), one takes 25-35 bytes with its goroutines.
//
// While the trace streams, the heap is mostly generations in flight and
// the GC lets it grow by half over what is live (cli/gc.go): requests
// kept in the heap cost that half again. So once a store holds more than
// spillAfter bytes, its full blocks go to a temporary file, removed as
// soon as it is created where the system allows (elsewhere when the store
// is drained or discarded), and are read back in order at the end. The
// page cache holds them, not the process. A store that cannot create or
// write its file keeps the rest in memory: the file holds a prefix of the
// requests, the blocks in memory the rest.

// reqBlockSize is the size of one block of encoded requests.
const reqBlockSize = 64 << 10

// maxEncodedRequest bounds one encoded request without its goroutines: a
// flag byte and at most 17 varints.
const maxEncodedRequest = 1 + 17*binary.MaxVarintLen64

// spillAfter is how many bytes of encoded requests a store keeps in
// memory before it spills full blocks to a file (a variable so that tests
// can spill everything).
var spillAfter = 4 << 20

// spillFile is where a store's blocks go; createSpill makes one (tests
// substitute files that fail).
type spillFile interface {
	io.Writer
	io.ReaderAt
	io.Closer
}

var createSpill = func() (spillFile, error) {
	f, err := os.CreateTemp("", "gcwatch-requests-*")
	if err != nil {
		return nil, err
	}
	if runtime.GOOS == "windows" {
		// An open file cannot be removed there: close removes it.
		return &removeOnClose{File: f}, nil
	}
	os.Remove(f.Name())
	return f, nil
}

// removeOnClose is a spill file removed when closed.
type removeOnClose struct{ *os.File }

func (f *removeOnClose) Close() error {
	err := f.File.Close()
	os.Remove(f.File.Name())
	return err
}

// Request flags.
const (
	reqOpen      = 1 << 0
	reqHasParent = 1 << 1
	reqHasPauses = 1 << 2 // pause stacks (only when reading stacks)
)

// requestStore holds finished requests in order, encoded, with the
// goroutines each lists.
type requestStore struct {
	blocks [][]byte // in memory, after what the file holds
	mem    int      // bytes in blocks
	n      int
	prev   requestRec // the last request added, which the next is encoded against
	prevG  uint64     // the last goroutine id listed
	file   spillFile
	filed  int64 // bytes of whole blocks in file
	noFile bool  // creating or writing the file failed: keep blocks in memory
}

func (s *requestStore) add(r requestRec, gors []uint64) {
	k := len(s.blocks)
	need := maxEncodedRequest + len(gors)*binary.MaxVarintLen64
	if k == 0 || cap(s.blocks[k-1])-len(s.blocks[k-1]) < need {
		if s.mem >= spillAfter && !s.noFile {
			s.spill()
			k = len(s.blocks)
		}
		if k > 0 && len(s.blocks[k-1]) == 0 {
			// The block went to the file: reuse its memory.
		} else {
			s.blocks = append(s.blocks, make([]byte, 0, max(reqBlockSize, need)))
			k++
		}
	}
	before := len(s.blocks[k-1])
	s.blocks[k-1] = s.appendRequest(s.blocks[k-1], &r, gors)
	s.mem += len(s.blocks[k-1]) - before
	s.prev = r
	s.n++
}

// spill writes the blocks in memory to the file, in order, and keeps the
// last one's memory, emptied, for the next requests. Blocks it could not
// write stay in memory, after what the file holds.
func (s *requestStore) spill() {
	if s.file == nil {
		f, err := createSpill()
		if err != nil {
			s.noFile = true
			return
		}
		s.file = f
	}
	written := 0
	for _, blk := range s.blocks {
		var head [4]byte
		binary.LittleEndian.PutUint32(head[:], uint32(len(blk)))
		if _, err := s.file.Write(head[:]); err != nil {
			s.noFile = true
			break
		}
		if _, err := s.file.Write(blk); err != nil {
			s.noFile = true
			break
		}
		s.filed += int64(len(head) + len(blk))
		s.mem -= len(blk)
		written++
	}
	if written == 0 {
		return
	}
	last := s.blocks[written-1][:0]
	n := copy(s.blocks, s.blocks[written:])
	clear(s.blocks[n:])
	s.blocks = s.blocks[:n]
	if n == 0 {
		s.blocks = append(s.blocks, last)
	}
}

// appendRequest encodes r, whose goroutines are gors, against the request
// before it.
func (s *requestStore) appendRequest(b []byte, r *requestRec, gors []uint64) []byte {
	prev := &s.prev
	var flags byte
	if r.open {
		flags |= reqOpen
	}
	if r.parent != 0 {
		flags |= reqHasParent
	}
	if r.pauseN != 0 {
		flags |= reqHasPauses
	}
	b = append(b, flags)
	b = binary.AppendVarint(b, int64(r.id-prev.id))
	if r.parent != 0 {
		b = binary.AppendUvarint(b, r.parent)
	}
	b = binary.AppendVarint(b, int64(r.end-prev.end))
	b = binary.AppendVarint(b, int64(r.end-r.start))
	for _, d := range [...]time.Duration{r.running, r.runnable, r.runnableDuringMark, r.blocked, r.syscall, r.assist, r.sweep} {
		b = binary.AppendVarint(b, int64(d))
	}
	b = binary.AppendUvarint(b, uint64(len(gors)))
	for _, g := range gors {
		b = binary.AppendVarint(b, int64(g-s.prevG))
		s.prevG = g
	}
	b = binary.AppendVarint(b, int64(r.total))
	if r.pauseN != 0 {
		b = binary.AppendUvarint(b, uint64(r.pauses))
		b = binary.AppendUvarint(b, uint64(r.pauseN))
	}
	return binary.AppendUvarint(b, uint64(r.typ))
}

// drain calls f on every request in order with its goroutines (valid
// until f returns), dropping each block once decoded, and empties the
// store. It fails only when the spilled blocks cannot be read back.
func (s *requestStore) drain(f func(r *requestRec, gors []uint64)) error {
	defer s.discard()
	var r, prev requestRec
	var prevG uint64
	var gors []uint64
	each := func(blk []byte) {
		d := decoder{b: blk}
		for d.more() {
			gors = d.request(&r, &prev, &prevG, gors[:0])
			f(&r, gors)
			prev = r
		}
	}
	if s.filed > 0 {
		in := bufio.NewReaderSize(io.NewSectionReader(s.file, 0, s.filed), 1<<20)
		var head [4]byte
		var blk []byte
		for done := int64(0); done < s.filed; {
			if _, err := io.ReadFull(in, head[:]); err != nil {
				return spillReadError(err)
			}
			n := int(binary.LittleEndian.Uint32(head[:]))
			if n > reqBlockSize+maxEncodedRequest+maxListedGoroutines*binary.MaxVarintLen64 {
				return spillReadError(fmt.Errorf("a block of %d bytes", n))
			}
			if cap(blk) < n {
				blk = make([]byte, n)
			}
			blk = blk[:n]
			if _, err := io.ReadFull(in, blk); err != nil {
				return spillReadError(err)
			}
			each(blk)
			done += int64(len(head) + n)
		}
	}
	for i, blk := range s.blocks {
		each(blk)
		s.blocks[i] = nil
	}
	return nil
}

func spillReadError(err error) error {
	if errors.Is(err, io.EOF) {
		err = io.ErrUnexpectedEOF
	}
	return fmt.Errorf("reading back the requests kept in a temporary file: %w", err)
}

// discard empties the store and closes its file.
func (s *requestStore) discard() {
	if s.file != nil {
		s.file.Close()
	}
	*s = requestStore{}
}

// request decodes what appendRequest wrote, appending the goroutines to
// gors.
func (d *decoder) request(r, prev *requestRec, prevG *uint64, gors []uint64) []uint64 {
	flags := d.byte()
	r.open = flags&reqOpen != 0
	r.id = prev.id + uint64(d.varint())
	r.parent = 0
	if flags&reqHasParent != 0 {
		r.parent = d.uvarint()
	}
	r.end = prev.end + model.Time(d.varint())
	r.start = r.end - model.Time(d.varint())
	for _, p := range [...]*time.Duration{&r.running, &r.runnable, &r.runnableDuringMark, &r.blocked, &r.syscall, &r.assist, &r.sweep} {
		*p = time.Duration(d.varint())
	}
	n := int(d.uvarint())
	for range n {
		*prevG += uint64(d.varint())
		gors = append(gors, *prevG)
	}
	r.listed = n
	r.total = int(d.varint())
	r.pauses, r.pauseN = 0, 0
	if flags&reqHasPauses != 0 {
		r.pauses = int(d.uvarint())
		r.pauseN = uint32(d.uvarint())
	}
	r.typ = uint32(d.uvarint())
	return gors
}
