package model

import (
	"encoding/binary"
	"encoding/json"
	"iter"
)

// A request-heavy trace has several user regions per request: a 1 GB
// trace held a million. As 56-byte Region values they were most of a
// run's memory, so a run keeps them encoded instead: varints, times as
// deltas from the region before, types as indexes into a table, about a
// dozen bytes each. They are decoded on the fly when read.

// regionBlockSize is the size of one block of encoded regions.
const regionBlockSize = 32 << 10

// maxEncodedRegion bounds one encoded region: a flag byte and at most five
// varints.
const maxEncodedRegion = 1 + 5*binary.MaxVarintLen64

const regionOpen = 1 << 0

// Regions is a run's user regions, in the order they were added, kept
// compactly. The zero value is empty and ready to use; a nil *Regions is
// empty too.
type Regions struct {
	blocks [][]byte
	n      int
	last   Time // the start of the region added last
	types  interned[string]
}

// RegionsOf returns a set holding rs, in order.
func RegionsOf(rs ...Region) *Regions {
	s := &Regions{}
	for _, r := range rs {
		s.Add(r)
	}
	return s
}

// Len is the number of regions.
func (s *Regions) Len() int {
	if s == nil {
		return 0
	}
	return s.n
}

// Add appends r.
func (s *Regions) Add(r Region) {
	k := len(s.blocks)
	if k == 0 || cap(s.blocks[k-1])-len(s.blocks[k-1]) < maxEncodedRegion {
		s.blocks = append(s.blocks, make([]byte, 0, regionBlockSize))
		k++
	}
	var flags byte
	if r.Open {
		flags |= regionOpen
	}
	b := append(s.blocks[k-1], flags)
	b = binary.AppendUvarint(b, r.Task)
	b = binary.AppendUvarint(b, uint64(s.types.of(r.Type)))
	b = binary.AppendUvarint(b, r.Goroutine)
	b = binary.AppendVarint(b, int64(r.Start-s.last))
	b = binary.AppendVarint(b, int64(r.End-r.Start))
	s.blocks[k-1] = b
	s.last = r.Start
	s.n++
}

// All yields the regions in order.
func (s *Regions) All() iter.Seq[Region] {
	return func(yield func(Region) bool) {
		if s == nil {
			return
		}
		var start Time
		for _, blk := range s.blocks {
			for len(blk) > 0 {
				var r Region
				r.Open = blk[0]&regionOpen != 0
				blk = blk[1:]
				var typ uint64
				r.Task, blk = uvarint(blk)
				typ, blk = uvarint(blk)
				r.Type = s.types.values[typ]
				r.Goroutine, blk = uvarint(blk)
				var d int64
				d, blk = varint(blk)
				start += Time(d)
				r.Start = start
				d, blk = varint(blk)
				r.End = r.Start + Time(d)
				if !yield(r) {
					return
				}
			}
		}
	}
}

// Slice returns the regions as a slice.
func (s *Regions) Slice() []Region {
	out := make([]Region, 0, s.Len())
	for r := range s.All() {
		out = append(out, r)
	}
	return out
}

// Equal reports whether s and o hold the same regions in the same order.
func (s *Regions) Equal(o *Regions) bool {
	if s.Len() != o.Len() {
		return false
	}
	next, stop := iter.Pull(o.All())
	defer stop()
	for r := range s.All() {
		if q, _ := next(); q != r {
			return false
		}
	}
	return true
}

// MarshalJSON writes the regions as a JSON array of Region.
func (s *Regions) MarshalJSON() ([]byte, error) { return json.Marshal(s.Slice()) }

// UnmarshalJSON reads what MarshalJSON wrote.
func (s *Regions) UnmarshalJSON(b []byte) error {
	var rs []Region
	if err := json.Unmarshal(b, &rs); err != nil {
		return err
	}
	*s = Regions{}
	for _, r := range rs {
		s.Add(r)
	}
	return nil
}
