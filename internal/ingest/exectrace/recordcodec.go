package exectrace

import (
	"encoding/binary"
	"sync"

	exptrace "golang.org/x/exp/trace"
)

// A generation parsed ahead of its turn waits as records. Kept as structs
// they would take several times the trace's own bytes, so they are
// varint-encoded into pooled blocks: about as many bytes as the trace,
// no pointers for the GC to scan, no garbage per generation.

const (
	blockSize = 64 << 10
	// maxEncoded bounds one encoded record: a kind byte, two flag bytes
	// and at most six varints.
	maxEncoded = 3 + 6*binary.MaxVarintLen64
)

// The kind byte of a goroutine-state record also holds the new state.
var _ [32 - numRecordKinds]struct{}
var _ [8 - exptrace.GoSyscall - 1]struct{}

var blockPool = sync.Pool{New: func() any { b := make([]byte, 0, blockSize); return &b }}

// recordBuffer holds one generation's records, encoded.
type recordBuffer struct {
	blocks []*[]byte
	// cur is the last block's bytes while it is filled (stored back into
	// it by sync): put then reaches them without going through the
	// pointer.
	cur  []byte
	last int64 // time of the previous record; times are delta-encoded
	// strs are the strings the records refer to by index (task and region
	// types, pause reasons): few and repeated.
	strs   []string
	strIdx map[string]uint64
}

func (rb *recordBuffer) str(s string) uint64 {
	if i, ok := rb.strIdx[s]; ok {
		return i
	}
	if rb.strIdx == nil {
		rb.strIdx = make(map[string]uint64)
	}
	i := uint64(len(rb.strs))
	rb.strs = append(rb.strs, s)
	rb.strIdx[s] = i
	return i
}

// put appends r.
func (rb *recordBuffer) put(r *record) {
	if cap(rb.cur)-len(rb.cur) < maxEncoded {
		rb.newBlock()
	}
	if r.kind == recGoState {
		rb.putGoState(r.t, r.g, r.p, r.to)
		return
	}
	b := append(rb.cur, byte(r.kind))
	// A reader's times only grow, so the delta is unsigned.
	b = binary.AppendUvarint(b, uint64(r.t-rb.last))
	rb.last = r.t
	switch r.kind {
	case recSync:
		b = append(b, r.flag)
		if r.flag&flagSnapshot != 0 {
			b = binary.AppendUvarint(b, r.arg)
			b = binary.AppendUvarint(b, r.arg2)
		}
	case recHeap, recGOMAXPROCS:
		b = binary.AppendUvarint(b, r.arg)
	case recHeapGoal:
		b = binary.AppendUvarint(b, r.arg)
		b = binary.AppendVarint(b, r.g)
	case recLabel:
		b = binary.AppendVarint(b, r.g)
		b = append(b, r.flag)
	case recGCBegin, recGCActive, recGCEnd:
		b = append(b, r.flag)
	case recSTWBegin, recSTWEnd:
		b = binary.AppendVarint(b, r.g)
		b = binary.AppendUvarint(b, rb.str(r.str))
	case recAssistBegin, recAssistActive, recAssistEnd:
		b = binary.AppendVarint(b, r.g)
	case recSweepBegin, recSweepActive, recSweepEnd:
		b = binary.AppendVarint(b, int64(r.p))
		b = binary.AppendVarint(b, r.g)
	case recTaskBegin:
		b = binary.AppendUvarint(b, r.arg)
		b = binary.AppendUvarint(b, r.arg2)
		b = binary.AppendUvarint(b, rb.str(r.str))
		b = binary.AppendVarint(b, r.g)
	case recTaskEnd:
		b = binary.AppendUvarint(b, r.arg)
	case recRegionBegin, recRegionEnd:
		b = binary.AppendUvarint(b, r.arg)
		b = binary.AppendUvarint(b, rb.str(r.str))
		b = binary.AppendVarint(b, r.g)
	case recProcKnown:
		b = binary.AppendVarint(b, int64(r.p))
		b = append(b, r.flag)
	case recServe:
		b = binary.AppendVarint(b, r.g)
		b = append(b, r.flag)
		b = binary.AppendUvarint(b, rb.str(r.str))
	case recStack:
		b = binary.AppendVarint(b, r.g)
		b = binary.AppendUvarint(b, r.arg)
		b = append(b, r.flag)
	}
	rb.cur = b
}

// putGoState appends a recGoState record: goroutine g moved to state to
// at time t, on proc p. It is the commonest record by far: its new state
// rides in the kind byte, and the proc is kept only for a goroutine that
// starts running (the builder needs it for nothing else).
func (rb *recordBuffer) putGoState(t, g int64, p int32, to exptrace.GoState) {
	if cap(rb.cur)-len(rb.cur) < maxEncoded {
		rb.newBlock()
	}
	b := append(rb.cur, byte(recGoState)|byte(to)<<5)
	b = binary.AppendUvarint(b, uint64(t-rb.last))
	rb.last = t
	b = binary.AppendVarint(b, g)
	if to == exptrace.GoRunning {
		b = binary.AppendVarint(b, int64(p))
	}
	rb.cur = b
}

// newBlock closes the block being filled and opens another.
func (rb *recordBuffer) newBlock() {
	rb.sync()
	blk := blockPool.Get().(*[]byte)
	rb.blocks = append(rb.blocks, blk)
	rb.cur = *blk
}

// sync stores the bytes put so far into the last block.
func (rb *recordBuffer) sync() {
	if n := len(rb.blocks); n > 0 {
		*rb.blocks[n-1] = rb.cur
	}
}

// release returns the blocks to the pool.
func (rb *recordBuffer) release() {
	rb.sync()
	rb.cur = nil
	for _, blk := range rb.blocks {
		*blk = (*blk)[:0]
		blockPool.Put(blk)
	}
	rb.blocks = nil
}

// each decodes the records in order, calls f on each, and releases every
// block once decoded.
func (rb *recordBuffer) each(f func(*record)) {
	rb.sync()
	rb.cur = nil
	var r record
	t := int64(0)
	for i, blk := range rb.blocks {
		d := decoder{b: *blk}
		for d.more() {
			head := d.byte()
			r = record{kind: recordKind(head & 0x1f)}
			if r.kind == recGoState {
				r.to = exptrace.GoState(head >> 5)
			}
			t += int64(d.uvarint())
			r.t = t
			d.fields(&r, rb.strs)
			f(&r)
		}
		*blk = (*blk)[:0]
		blockPool.Put(blk)
		rb.blocks[i] = nil
	}
	rb.blocks = nil
}

// applyTo is each(b.apply), with goroutine transitions, most of the
// records, decoded and applied without going through a record.
func (rb *recordBuffer) applyTo(b *builder) {
	rb.sync()
	rb.cur = nil
	var r record
	t := int64(0)
	for i, blk := range rb.blocks {
		d := decoder{b: *blk}
		for d.more() {
			head := d.byte()
			t += int64(d.uvarint())
			kind := recordKind(head & 0x1f)
			if kind == recGoState {
				to := exptrace.GoState(head >> 5)
				g, p := d.varint(), int32(0)
				if to == exptrace.GoRunning {
					p = int32(d.varint())
				}
				b.goState(b.clock(t), g, p, to)
				continue
			}
			r = record{kind: kind, t: t}
			d.fields(&r, rb.strs)
			b.apply(&r)
		}
		*blk = (*blk)[:0]
		blockPool.Put(blk)
		rb.blocks[i] = nil
	}
	rb.blocks = nil
}

// decoder reads what put wrote; the input is our own, so it is trusted.
// It moves an index rather than re-slicing: one word to update per read,
// not three.
type decoder struct {
	b []byte
	i int
}

func (d *decoder) more() bool { return d.i < len(d.b) }

func (d *decoder) byte() byte {
	c := d.b[d.i]
	d.i++
	return c
}

// uvarint decodes a uvarint, most often one or two bytes.
func (d *decoder) uvarint() uint64 {
	b, i := d.b, d.i
	if c := b[i]; c < 0x80 {
		d.i = i + 1
		return uint64(c)
	}
	if i+1 < len(b) && b[i+1] < 0x80 {
		d.i = i + 2
		return uint64(b[i]&0x7f) | uint64(b[i+1])<<7
	}
	v, n := binary.Uvarint(b[i:])
	d.i = i + n
	return v
}

// varint decodes a zig-zag varint as binary.AppendVarint writes it.
func (d *decoder) varint() int64 {
	u := d.uvarint()
	return int64(u>>1) ^ -int64(u&1)
}

func (d *decoder) fields(r *record, strs []string) {
	switch r.kind {
	case recSync:
		r.flag = d.byte()
		if r.flag&flagSnapshot != 0 {
			r.arg = d.uvarint()
			r.arg2 = d.uvarint()
		}
	case recHeap, recGOMAXPROCS:
		r.arg = d.uvarint()
	case recHeapGoal:
		r.arg = d.uvarint()
		r.g = d.varint()
	case recLabel:
		r.g = d.varint()
		r.flag = d.byte()
	case recGCBegin, recGCActive, recGCEnd:
		r.flag = d.byte()
	case recSTWBegin, recSTWEnd:
		r.g = d.varint()
		r.str = strs[d.uvarint()]
	case recAssistBegin, recAssistActive, recAssistEnd:
		r.g = d.varint()
	case recSweepBegin, recSweepActive, recSweepEnd:
		r.p = int32(d.varint())
		r.g = d.varint()
	case recTaskBegin:
		r.arg = d.uvarint()
		r.arg2 = d.uvarint()
		r.str = strs[d.uvarint()]
		r.g = d.varint()
	case recTaskEnd:
		r.arg = d.uvarint()
	case recRegionBegin, recRegionEnd:
		r.arg = d.uvarint()
		r.str = strs[d.uvarint()]
		r.g = d.varint()
	case recGoState:
		r.g = d.varint()
		if r.to == exptrace.GoRunning {
			r.p = int32(d.varint())
		}
	case recProcKnown:
		r.p = int32(d.varint())
		r.flag = d.byte()
	case recServe:
		r.g = d.varint()
		r.flag = d.byte()
		r.str = strs[d.uvarint()]
	case recStack:
		r.g = d.varint()
		r.arg = d.uvarint()
		r.flag = d.byte()
	}
}
