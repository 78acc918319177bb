package model

import (
	"encoding/binary"
	"encoding/json"
	"fmt"
	"iter"
	"math"
	"math/bits"
	"slices"
	"time"
)

// A request-dense trace yields millions of requests; as 184-byte Request
// values they were most of a run's memory. Requests keeps them in chunks
// of requestChunkSize instead:
//
//   - Columns for what loops over every request read: Start, the
//     duration and ID in 32 bits each (a duration of 4.3 s or more, or
//     negative, and an ID of 2³²−1 or more go in the blob, after Parent,
//     with a flag), a flags byte, and one uint32 index into a table of
//     interned (Type, Kind) pairs. Interning the pair rather than coding Kind in
//     the flags lets Type and Kind both come from one lookup and lets any
//     Kind string round-trip without an escape path; a run has few pairs.
//   - The rest in a per-chunk varint blob, found through a uint16 offset
//     per request (a chunk's blob cannot reach 64 KiB, see the constant
//     check below): Parent when non-zero, then a mask byte and the
//     non-zero durations and GoroutinesTotal (most are zero or a few µs),
//     then where the goroutines and pause stacks sit in the chunk's
//     backing slices when there are any. Which of these are present is in
//     the flags byte, so a request from a log costs no blob byte at all
//     (one from a span adds its 24 bytes of trace and span id).
//
// Fixed-size chunks keep every accessor O(1) without the quarter of slack
// a growing slice keeps, and without copying megabytes when it grows; a
// chunk's blob and backing slices are clipped to their length once the
// chunk is full. A typical request (one or two goroutines, a few µs in
// three states, no stacks) takes 36 bytes plus 8 per goroutine id
// (BenchmarkRequestsAppend): 23 in columns, the rest in the blob.

const (
	requestChunkBits = 8
	requestChunkSize = 1 << requestChunkBits
	requestChunkMask = requestChunkSize - 1

	// maxEncodedRequest bounds one request's blob: Parent, a wide
	// duration and ID, the mask byte, seven durations and
	// GoroutinesTotal, an offset and a count for each of the two backing
	// slices, and the trace and span ids.
	maxEncodedRequest = 1 + 15*binary.MaxVarintLen64 + 16 + 8
)

// A full chunk's blob fits the uint16 offsets (this fails to compile if
// the chunk size grows too much).
const _ uint16 = requestChunkSize * maxEncodedRequest

// Flags of a request (requestChunk.flags).
const (
	reqOpen       = 1 << 0
	reqAccounted  = 1 << 1
	reqParent     = 1 << 2 // the blob starts with Parent
	reqValues     = 1 << 3 // the blob has a mask byte and non-zero values
	reqGoroutines = 1 << 4 // the blob has the goroutines' offset and count
	reqStacks     = 1 << 5 // the blob has the pause stacks' offset and count
	reqTraceIDs   = 1 << 6 // the blob ends with the trace id and span id, raw
)

// wide32 marks a duration or ID column whose value is in the blob (after
// Parent: the duration, then the ID); a value of wide32 itself goes there
// too, so the column alone says where to look.
const wide32 = math.MaxUint32

// requestValues is how many values the mask byte covers: the seven
// durations and GoroutinesTotal, in the order of Request's fields.
const requestValues = 8

// requestKey is an interned request type with its kind.
type requestKey struct {
	typ  string
	kind RequestKind
}

// requestChunk holds requestChunkSize consecutive requests (fewer in the
// last chunk).
type requestChunk struct {
	start [requestChunkSize]Time
	dur   [requestChunkSize]uint32 // End−Start, or wide32
	id    [requestChunkSize]uint32 // ID, or wide32
	key   [requestChunkSize]uint32 // index in Requests.keys.values
	off   [requestChunkSize]uint16 // where the request starts in blob
	flags [requestChunkSize]uint8

	blob   []byte
	gors   []uint64     // the requests' goroutines, one after the other
	stacks []PauseStack // the requests' pause stacks, one after the other
}

// Requests is a run's requests, in the order they were added. The zero
// value is empty and ready to use; a nil *Requests is empty too.
//
// A request-dense trace holds millions of requests, so a run does not keep
// them as Request values; At decodes one. The accessors Start, End,
// Duration, Open, Kind, ID, Parent and Type read one field without
// decoding the rest, for loops over every request.
type Requests struct {
	chunks []*requestChunk
	n      int
	keys   interned[requestKey] // each request's type and kind
}

// RequestsOf returns a set holding rs, in order.
func RequestsOf(rs ...Request) *Requests {
	s := &Requests{}
	for _, r := range rs {
		s.Append(r)
	}
	return s
}

// Len is the number of requests.
func (s *Requests) Len() int {
	if s == nil {
		return 0
	}
	return s.n
}

// Append adds r at the end. Its slices are copied.
func (s *Requests) Append(r Request) {
	j := s.n & requestChunkMask
	if j == 0 {
		s.chunks = append(s.chunks, &requestChunk{})
	}
	c := s.chunks[len(s.chunks)-1]
	c.start[j] = r.Start
	c.key[j] = s.keys.of(requestKey{r.Type, r.Kind})
	c.off[j] = uint16(len(c.blob))
	c.flags[j] = c.encode(j, &r)
	s.n++
	if j == requestChunkMask {
		c.clip()
	}
}

// encode sets r's duration and ID columns (request j of the chunk),
// appends to the chunk's blob and backing slices what the columns do not
// hold of r, and returns r's flags.
func (c *requestChunk) encode(j int, r *Request) uint8 {
	var f uint8
	if r.Open {
		f |= reqOpen
	}
	if r.Accounted {
		f |= reqAccounted
	}
	b := c.blob
	if r.Parent != 0 {
		f |= reqParent
		b = binary.AppendUvarint(b, r.Parent)
	}
	// The duration wraps as End.Sub(Start) does, so that Start plus it is
	// End whatever the two are.
	if d := uint64(r.End.Sub(r.Start)); d < wide32 {
		c.dur[j] = uint32(d)
	} else {
		c.dur[j] = wide32
		b = binary.AppendUvarint(b, d)
	}
	if r.ID < wide32 {
		c.id[j] = uint32(r.ID)
	} else {
		c.id[j] = wide32
		b = binary.AppendUvarint(b, r.ID)
	}
	vals := valuesOf(r)
	var mask byte
	for k, v := range vals {
		if v != 0 {
			mask |= 1 << k
		}
	}
	if mask != 0 {
		f |= reqValues
		b = append(b, mask)
		for _, v := range vals {
			if v != 0 {
				b = binary.AppendVarint(b, v)
			}
		}
	}
	if len(r.Goroutines) > 0 {
		f |= reqGoroutines
		b = binary.AppendUvarint(b, uint64(len(c.gors)))
		b = binary.AppendUvarint(b, uint64(len(r.Goroutines)))
		c.gors = append(c.gors, r.Goroutines...)
	}
	if len(r.PauseStacks) > 0 {
		f |= reqStacks
		b = binary.AppendUvarint(b, uint64(len(c.stacks)))
		b = binary.AppendUvarint(b, uint64(len(r.PauseStacks)))
		c.stacks = append(c.stacks, r.PauseStacks...)
	}
	if !r.TraceID.IsZero() || !r.SpanID.IsZero() {
		f |= reqTraceIDs
		b = append(b, r.TraceID[:]...)
		b = append(b, r.SpanID[:]...)
	}
	c.blob = b
	return f
}

// clip drops the spare capacity a full chunk's slices grew by. Requests
// already returned by At keep the old arrays, whose contents do not change.
func (c *requestChunk) clip() {
	c.blob = clipped(c.blob)
	c.gors = clipped(c.gors)
	c.stacks = clipped(c.stacks)
}

// clipped returns s in an array of its length, or nil when empty.
func clipped[T any](s []T) []T {
	if len(s) == 0 {
		return nil
	}
	if cap(s) == len(s) {
		return s
	}
	return slices.Clone(s)
}

// valuesOf returns the values the mask byte covers, in their order.
func valuesOf(r *Request) [requestValues]int64 {
	return [requestValues]int64{
		int64(r.Running), int64(r.Runnable), int64(r.RunnableDuringMark), int64(r.Blocked),
		int64(r.Syscall), int64(r.Assist), int64(r.Sweep), int64(r.GoroutinesTotal),
	}
}

// setValue sets r's k-th value in valuesOf's order.
func setValue(r *Request, k int, v int64) {
	switch k {
	case 0:
		r.Running = time.Duration(v)
	case 1:
		r.Runnable = time.Duration(v)
	case 2:
		r.RunnableDuringMark = time.Duration(v)
	case 3:
		r.Blocked = time.Duration(v)
	case 4:
		r.Syscall = time.Duration(v)
	case 5:
		r.Assist = time.Duration(v)
	case 6:
		r.Sweep = time.Duration(v)
	default:
		r.GoroutinesTotal = int(v)
	}
}

// at returns the chunk holding the i-th request and its index there.
func (s *Requests) at(i int) (*requestChunk, int) {
	if i < 0 || i >= s.Len() {
		panic(fmt.Sprintf("model: request index %d out of range [0:%d]", i, s.Len()))
	}
	return s.chunks[i>>requestChunkBits], i & requestChunkMask
}

// At returns the i-th request. Its slices share the set's memory: do not
// modify them (appending to them is safe: they have no spare capacity).
func (s *Requests) At(i int) (r Request) {
	c, j := s.at(i)
	k := &s.keys.values[c.key[j]]
	f := c.flags[j]
	r.Type, r.Kind, r.Start = k.typ, k.kind, c.start[j]
	r.Open, r.Accounted = f&reqOpen != 0, f&reqAccounted != 0
	b := c.blob[c.off[j]:]
	if f&reqParent != 0 {
		r.Parent, b = uvarint(b)
	}
	var d uint64
	d, r.ID, b = c.wide(j, f, b)
	r.End = r.Start.Add(time.Duration(d))
	if f&reqValues != 0 {
		mask := b[0]
		b = b[1:]
		for m := mask; m != 0; m &= m - 1 {
			var v int64
			v, b = shortVarint(b)
			setValue(&r, bits.TrailingZeros8(m), v)
		}
	}
	if f&reqGoroutines != 0 {
		var lo, hi uint64
		lo, hi, b = span(b)
		r.Goroutines = c.gors[lo:hi:hi]
	}
	if f&reqStacks != 0 {
		var lo, hi uint64
		lo, hi, b = span(b)
		r.PauseStacks = c.stacks[lo:hi:hi]
	}
	if f&reqTraceIDs != 0 {
		b = b[copy(r.TraceID[:], b):]
		copy(r.SpanID[:], b)
	}
	return r
}

// shortUvarint and shortVarint are uvarint and varint, faster for the
// one- and two-byte values that most offsets and durations of a few µs
// are.
func shortUvarint(b []byte) (uint64, []byte) {
	if len(b) > 0 && b[0] < 0x80 {
		return uint64(b[0]), b[1:]
	}
	if len(b) > 1 && b[1] < 0x80 {
		return uint64(b[0]&0x7f) | uint64(b[1])<<7, b[2:]
	}
	return uvarint(b)
}

func shortVarint(b []byte) (int64, []byte) {
	u, b := shortUvarint(b)
	return int64(u>>1) ^ -int64(u&1), b
}

// span decodes an offset and a count into a range of a backing slice.
func span(b []byte) (lo, hi uint64, rest []byte) {
	lo, b = shortUvarint(b)
	n, b := shortUvarint(b)
	return lo, lo + n, b
}

// Start is At(i).Start.
func (s *Requests) Start(i int) Time {
	c, j := s.at(i)
	return c.start[j]
}

// End is At(i).End.
func (s *Requests) End(i int) Time {
	return s.Start(i).Add(s.Duration(i))
}

// Duration is At(i).Duration().
func (s *Requests) Duration(i int) time.Duration {
	c, j := s.at(i)
	if c.dur[j] != wide32 {
		return time.Duration(c.dur[j])
	}
	d, _, _ := c.wide(j, c.flags[j], c.afterParent(j))
	return time.Duration(d)
}

// afterParent returns request j's blob after Parent.
func (c *requestChunk) afterParent(j int) []byte {
	b := c.blob[c.off[j]:]
	if c.flags[j]&reqParent != 0 {
		_, b = uvarint(b)
	}
	return b
}

// wide returns request j's duration (as End.Sub(Start), wrapped to 64
// bits) and ID, from its columns or, when wide, from b, its blob after
// Parent; and the blob after them.
func (c *requestChunk) wide(j int, f uint8, b []byte) (dur, id uint64, rest []byte) {
	dur, id = uint64(c.dur[j]), uint64(c.id[j])
	if c.dur[j] == wide32 {
		dur, b = uvarint(b)
	}
	if c.id[j] == wide32 {
		id, b = uvarint(b)
	}
	return dur, id, b
}

// Open is At(i).Open.
func (s *Requests) Open(i int) bool {
	c, j := s.at(i)
	return c.flags[j]&reqOpen != 0
}

// Kind is At(i).Kind.
func (s *Requests) Kind(i int) RequestKind {
	c, j := s.at(i)
	return s.keys.values[c.key[j]].kind
}

// ID is At(i).ID.
func (s *Requests) ID(i int) uint64 {
	c, j := s.at(i)
	if c.id[j] != wide32 {
		return uint64(c.id[j])
	}
	_, id, _ := c.wide(j, c.flags[j], c.afterParent(j))
	return id
}

// Parent is At(i).Parent. It is first in the blob, so it decodes one
// varint at most.
func (s *Requests) Parent(i int) uint64 {
	c, j := s.at(i)
	if c.flags[j]&reqParent == 0 {
		return 0
	}
	p, _ := uvarint(c.blob[c.off[j]:])
	return p
}

// Type is At(i).Type.
func (s *Requests) Type(i int) string {
	c, j := s.at(i)
	return s.keys.values[c.key[j]].typ
}

// All yields every request with its index, in order.
func (s *Requests) All() iter.Seq2[int, Request] {
	return func(yield func(int, Request) bool) {
		for i := range s.Len() {
			if !yield(i, s.At(i)) {
				return
			}
		}
	}
}

// Slice returns every request as a new slice.
func (s *Requests) Slice() []Request {
	out := make([]Request, 0, s.Len())
	for _, r := range s.All() {
		out = append(out, r)
	}
	return out
}

// MarshalJSON writes the requests as a JSON array of Request, the bytes
// json.Marshal writes for s.Slice(), one request at a time so that the
// requests are never all decoded at once.
func (s *Requests) MarshalJSON() ([]byte, error) {
	out := []byte{'['}
	for i, r := range s.All() {
		if i > 0 {
			out = append(out, ',')
		}
		b, err := json.Marshal(r)
		if err != nil {
			return nil, err
		}
		out = append(out, b...)
	}
	return append(out, ']'), nil
}

// Equal reports whether s and o hold the same requests in the same order
// (go-cmp uses it).
func (s *Requests) Equal(o *Requests) bool {
	if s.Len() != o.Len() {
		return false
	}
	for i := range s.Len() {
		if !sameRequest(s.At(i), o.At(i)) {
			return false
		}
	}
	return true
}

// sameRequest is reflect.DeepEqual for requests as At returns them (empty
// slices are nil), field by field; requests_test checks it knows every
// field.
func sameRequest(a, b Request) bool {
	return a.ID == b.ID && a.Parent == b.Parent && a.Type == b.Type && a.Kind == b.Kind &&
		a.Start == b.Start && a.End == b.End && a.Open == b.Open && a.Accounted == b.Accounted &&
		slices.Equal(a.Goroutines, b.Goroutines) && a.GoroutinesTotal == b.GoroutinesTotal &&
		a.Running == b.Running && a.Runnable == b.Runnable && a.RunnableDuringMark == b.RunnableDuringMark &&
		a.Blocked == b.Blocked && a.Syscall == b.Syscall && a.Assist == b.Assist && a.Sweep == b.Sweep &&
		slices.Equal(a.PauseStacks, b.PauseStacks) && a.TraceID == b.TraceID && a.SpanID == b.SpanID
}
