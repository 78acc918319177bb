package exectrace

import (
	"time"

	"github.com/gcwatch/gcwatch/internal/model"
)

// heapResolution is the length of the buckets heap samples are reduced
// to: each keeps its lowest and highest sample. A trace carries a heap
// metric every few allocations; 10 ms keeps the sawtooth's shape at a
// few hundred samples per second of trace.
const heapResolution = 10 * time.Millisecond

// heapSampler down-samples the heap metric. Samples that mark a cycle's
// phases are pinned: kept exactly, whatever the bucket holds.
type heapSampler struct {
	res    time.Duration
	bucket model.Time // start of the current bucket
	n      int        // samples in the current bucket
	lo, hi model.HeapSample
	out    []model.HeapSample
}

func (h *heapSampler) init(res time.Duration) { h.res = res }

func (h *heapSampler) add(t model.Time, live, goal int64) {
	s := model.HeapSample{At: t, Live: live, Goal: goal}
	if h.n == 0 || t.Sub(h.bucket) >= h.res {
		h.flush()
		h.bucket = t
		h.lo, h.hi, h.n = s, s, 1
		return
	}
	h.n++
	if live < h.lo.Live {
		h.lo = s
	}
	if live > h.hi.Live {
		h.hi = s
	}
}

// pin keeps a sample exactly.
func (h *heapSampler) pin(t model.Time, live, goal int64) {
	h.flush()
	s := model.HeapSample{At: t, Live: live, Goal: goal}
	if n := len(h.out); n > 0 && h.out[n-1].At == t {
		h.out[n-1] = s
		return
	}
	h.out = append(h.out, s)
}

func (h *heapSampler) flush() {
	switch {
	case h.n == 0:
	case h.lo.At == h.hi.At:
		h.out = append(h.out, h.lo)
	case h.lo.At < h.hi.At:
		h.out = append(h.out, h.lo, h.hi)
	default:
		h.out = append(h.out, h.hi, h.lo)
	}
	h.n = 0
}

func (h *heapSampler) finish() []model.HeapSample {
	h.flush()
	return h.out
}
