package exectrace

import (
	"encoding/binary"
	"time"

	"github.com/gcwatch/gcwatch/internal/model"
)

// A request-dense trace finishes a request every few hundred bytes, and
// the stored requests wait until the end of the trace, when they go into
// the run's model.Requests. Encoded as varints, mostly deltas from the
// request before (ids, end times and goroutine ids grow; many durations
// are zero), one takes 25-35 bytes with its goroutines.

// reqBlockSize is the size of one block of encoded requests.
const reqBlockSize = 64 << 10

// maxEncodedRequest bounds one encoded request without its goroutines: a
// flag byte and at most 17 varints.
const maxEncodedRequest = 1 + 17*binary.MaxVarintLen64

// Request flags.
const (
	reqOpen      = 1 << 0
	reqHasParent = 1 << 1
	reqHasPauses = 1 << 2 // pause stacks (only when reading stacks)
)

// requestStore holds finished requests in order, encoded, with the
// goroutines each lists.
type requestStore struct {
	blocks [][]byte
	n      int
	prev   requestRec // the last request added, which the next is encoded against
	prevG  uint64     // the last goroutine id listed
}

func (s *requestStore) add(r requestRec, gors []uint64) {
	k := len(s.blocks)
	need := maxEncodedRequest + len(gors)*binary.MaxVarintLen64
	if k == 0 || cap(s.blocks[k-1])-len(s.blocks[k-1]) < need {
		s.blocks = append(s.blocks, make([]byte, 0, max(reqBlockSize, need)))
		k++
	}
	s.blocks[k-1] = s.appendRequest(s.blocks[k-1], &r, gors)
	s.prev = r
	s.n++
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
// store.
func (s *requestStore) drain(f func(r *requestRec, gors []uint64)) {
	var r, prev requestRec
	var prevG uint64
	var gors []uint64
	for i, blk := range s.blocks {
		d := decoder{b: blk}
		for d.more() {
			gors = d.request(&r, &prev, &prevG, gors[:0])
			f(&r, gors)
			prev = r
		}
		s.blocks[i] = nil
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
