package exectrace

import (
	"encoding/binary"
	"time"

	"github.com/gcwatch/gcwatch/internal/model"
)

// A request-dense trace finishes a request every few hundred bytes, and
// the stored requests wait until the end of the trace, when they go into
// the run's model.Requests: kept as 120-byte structs they were most of the ingest's
// memory, and at the end they were live alongside the run's requests.
// Encoded as varints, mostly deltas from the request before (ids, end
// times and goroutine offsets grow; many durations are zero), one takes
// 25-35 bytes.

// reqBlockSize is the size of one block of encoded requests.
const reqBlockSize = 64 << 10

// maxEncodedRequest bounds one encoded request: a flag byte and at most
// 17 varints.
const maxEncodedRequest = 1 + 17*binary.MaxVarintLen64

// Request flags.
const (
	reqOpen      = 1 << 0
	reqHasParent = 1 << 1
	reqHasPauses = 1 << 2 // pause stacks (only when reading stacks)
)

// requestStore holds finished requests in order, encoded.
type requestStore struct {
	blocks [][]byte
	n      int
	prev   requestRec // the last request added, which the next is encoded against
}

func (s *requestStore) add(r requestRec) {
	k := len(s.blocks)
	if k == 0 || cap(s.blocks[k-1])-len(s.blocks[k-1]) < maxEncodedRequest {
		s.blocks = append(s.blocks, make([]byte, 0, reqBlockSize))
		k++
	}
	s.blocks[k-1] = appendRequest(s.blocks[k-1], &r, &s.prev)
	s.prev = r
	s.n++
}

// appendRequest encodes r against the request before it, prev.
func appendRequest(b []byte, r, prev *requestRec) []byte {
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
	b = binary.AppendVarint(b, int64(r.goroutines-(prev.goroutines+prev.listed)))
	b = binary.AppendVarint(b, int64(r.listed))
	b = binary.AppendVarint(b, int64(r.total))
	if r.pauseN != 0 {
		b = binary.AppendUvarint(b, uint64(r.pauses))
		b = binary.AppendUvarint(b, uint64(r.pauseN))
	}
	return binary.AppendUvarint(b, uint64(r.typ))
}

// drain calls f on every request in order, dropping each block once
// decoded.
func (s *requestStore) drain(f func(*requestRec)) {
	var r, prev requestRec
	for i, blk := range s.blocks {
		d := decoder{b: blk}
		for d.more() {
			d.request(&r, &prev)
			f(&r)
			prev = r
		}
		s.blocks[i] = nil
	}
	*s = requestStore{}
}

// request decodes what appendRequest wrote.
func (d *decoder) request(r, prev *requestRec) {
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
	r.goroutines = prev.goroutines + prev.listed + int(d.varint())
	r.listed = int(d.varint())
	r.total = int(d.varint())
	r.pauses, r.pauseN = 0, 0
	if flags&reqHasPauses != 0 {
		r.pauses = int(d.uvarint())
		r.pauseN = uint32(d.uvarint())
	}
	r.typ = uint32(d.uvarint())
}
