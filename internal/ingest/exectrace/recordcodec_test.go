package exectrace

import (
	"math/rand/v2"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	exptrace "golang.org/x/exp/trace"

	"github.com/gcwatch/gcwatch/internal/mmu"
	"github.com/gcwatch/gcwatch/internal/model"
	"github.com/gcwatch/gcwatch/internal/tracetest"
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

// TestApplyToMatchesEach feeds a real trace's records to two builders,
// one through applyTo (goroutine transitions decoded and applied without
// a record) and one through each(apply), and compares the runs.
func TestApplyToMatchesEach(t *testing.T) {
	data, _ := traced(t, workload{tasks: 60, workers: 3, alloc: 32 << 10, forced: 2})
	var fast, slow recordBuffer
	var rec record
	var mv moves
	transitions := 0
	for ev := range tracetest.EventsOf(t, "trace", data) {
		if mv.record(&ev, &rec) {
			fast.put(&rec)
			slow.put(&rec)
			if rec.kind == recGoState {
				transitions++
			}
		}
	}
	if transitions < 1000 {
		t.Fatalf("only %d goroutine transitions in the test trace", transitions)
	}
	runs := [2]*model.Run{{}, {}}
	bf, bs := newBuilder(runs[0], mmu.Options{}), newBuilder(runs[1], mmu.Options{})
	fast.applyTo(bf)
	slow.each(bs.apply)
	bf.finish()
	bs.finish()
	if runs[1].Requests.Len() < 60 {
		t.Fatalf("only %d requests in the test run", runs[1].Requests.Len())
	}
	if d := cmp.Diff(runs[1], runs[0], cmpopts.EquateEmpty()); d != "" {
		t.Errorf("applyTo and each(apply) differ (-each +applyTo):\n%s", d)
	}
}
