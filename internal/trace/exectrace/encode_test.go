package exectrace

import (
	"math/rand/v2"
	"testing"

	"github.com/google/go-cmp/cmp"
	exptrace "golang.org/x/exp/trace"
)

// randomRecord makes a record of kind k with the fields put keeps for
// that kind set to random values (others zero, as decoding leaves them).
func randomRecord(r *rand.Rand, k recordKind, t int64) record {
	strs := []string{"request", "GC mark termination", "", "a type"}
	g := r.Int64N(1<<40) - 1
	rec := record{kind: k, t: t}
	switch k {
	case recSync:
		rec.flag = uint8(r.IntN(4))
		if rec.flag&flagSnapshot != 0 {
			rec.arg, rec.arg2 = r.Uint64(), r.Uint64()
		}
	case recHeap, recHeapGoal, recGOMAXPROCS:
		rec.arg = r.Uint64()
	case recLabel:
		rec.g, rec.flag = g, uint8(r.IntN(4))
	case recGCBegin, recGCActive, recGCEnd:
		rec.flag = uint8(r.IntN(2))
	case recSTWBegin, recSTWEnd:
		rec.g, rec.str = g, strs[r.IntN(len(strs))]
	case recAssistBegin, recAssistActive, recAssistEnd:
		rec.g = g
	case recSweepBegin, recSweepActive, recSweepEnd:
		rec.p, rec.g = int32(r.IntN(1<<16))-1, g
	case recTaskBegin:
		rec.arg, rec.arg2, rec.str, rec.g = r.Uint64(), r.Uint64(), strs[r.IntN(len(strs))], g
	case recTaskEnd:
		rec.arg = r.Uint64()
	case recRegionBegin, recRegionEnd:
		rec.arg, rec.str, rec.g = r.Uint64(), strs[r.IntN(len(strs))], g
	case recGoState:
		rec.g, rec.to = g, exptrace.GoState(r.IntN(6))
		if rec.to == exptrace.GoRunning {
			rec.p = int32(r.IntN(64)) - 1
		}
	case recProcKnown:
		rec.p = int32(r.IntN(1 << 16))
	case recStack:
		rec.g, rec.arg, rec.flag = g, r.Uint64N(1<<20), uint8(r.IntN(2))
	}
	return rec
}

func TestRecordEncoding(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	var want []record
	var rb recordBuffer
	now := int64(1 << 40)
	for range 100_000 {
		now += r.Int64N(1 << uint(r.IntN(40)))
		rec := randomRecord(r, recordKind(1+r.IntN(int(numRecordKinds)-1)), now)
		want = append(want, rec)
		rb.put(&rec)
	}
	var got []record
	rb.each(func(rec *record) { got = append(got, *rec) })
	if d := cmp.Diff(want, got, cmp.AllowUnexported(record{})); d != "" {
		t.Errorf("records changed in encoding (-+):\n%s", d)
	}
	if len(rb.blocks) != 0 {
		t.Errorf("%d blocks kept after each", len(rb.blocks))
	}
}
