package mmu

import "github.com/gcwatch/gcwatch/internal/model"

// mark is a change point of the series with the running integral of every
// series up to it. The utilisation after a mark is not stored: it is the
// slope to the next mark, and the Builder keeps the newest one aside. That
// keeps a mark at 48 bytes, which matters because a busy trace can have
// hundreds of thousands of marks inside the largest window.
type mark struct {
	t     model.Time
	integ [numSeries]float64 // ∫u dt from the rebase point to t, in ns
}

// ring holds the recent marks, oldest first. Marks are named by absolute
// sequence numbers that never change, so cursors survive growth and drops.
type ring struct {
	buf  []mark
	mask uint64
	head uint64 // sequence number of the oldest mark kept
	tail uint64 // sequence number the next mark will get
}

func (r *ring) len() uint64 { return r.tail - r.head }

// at returns the mark with sequence number i, which must be in [head, tail).
func (r *ring) at(i uint64) *mark { return &r.buf[i&r.mask] }

func (r *ring) push(m mark) {
	if r.len() == uint64(len(r.buf)) {
		r.grow()
	}
	r.buf[r.tail&r.mask] = m
	r.tail++
}

// grow doubles the capacity, moving every mark to its slot under the new mask.
func (r *ring) grow() {
	n := 2 * len(r.buf)
	if n == 0 {
		n = 64
	}
	buf := make([]mark, n)
	mask := uint64(n - 1)
	for i := r.head; i < r.tail; i++ {
		buf[i&mask] = r.buf[i&r.mask]
	}
	r.buf, r.mask = buf, mask
}

// dropBefore forgets every mark older than sequence number i.
func (r *ring) dropBefore(i uint64) {
	if i > r.head {
		r.head = min(i, r.tail)
	}
}

// rebase subtracts the oldest mark's integrals from every mark, so that the
// integrals stay small and window means keep full float64 precision however
// long the trace is.
func (r *ring) rebase() {
	if r.len() == 0 {
		return
	}
	base := r.at(r.head).integ
	for i := r.head; i < r.tail; i++ {
		m := r.at(i)
		for k := range m.integ {
			m.integ[k] -= base[k]
		}
	}
}
