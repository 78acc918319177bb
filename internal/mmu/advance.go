package mmu

import "github.com/gcwatch/gcwatch/internal/model"

// advance closes the segment from the newest mark to t (which is later),
// evaluates every candidate window whose right edge lies in that segment,
// pushes a mark at t and forgets marks no window needs any more.
func (b *Builder) advance(t model.Time) {
	last := b.marks.at(b.marks.tail - 1) // valid until the push below
	u := &b.lastU
	var endInteg [numSeries]float64
	span := float64(t - last.t)
	for k := range endInteg {
		endInteg[k] = last.integ[k] + u[k]*span
	}
	var mean [numSeries]float64
	for i := range b.windows {
		w := &b.windows[i]
		// Windows starting at a mark and ending inside (last.t, t].
		for w.next < b.marks.tail {
			m := b.marks.at(w.next)
			if t-m.t < model.Time(w.size) {
				break
			}
			if m.t < w.skipTo {
				w.next++
				continue
			}
			into := float64(m.t-last.t) + float64(w.size)
			for k := range mean {
				mean[k] = (last.integ[k] + u[k]*into - m.integ[k]) * w.inv
			}
			w.consider(m.t, &mean)
			w.next++
		}
		// The window ending at t.
		if t-b.first < model.Time(w.size) {
			continue
		}
		leftEdge := t.Add(-w.size)
		for w.left+1 < b.marks.tail && b.marks.at(w.left+1).t <= leftEdge {
			w.left++
		}
		if leftEdge < w.skipTo {
			continue
		}
		var leftInteg [numSeries]float64
		b.integralAt(w.left, leftEdge, &leftInteg)
		for k := range mean {
			mean[k] = (endInteg[k] - leftInteg[k]) * w.inv
		}
		w.consider(leftEdge, &mean)
	}
	b.marks.push(mark{t: t, integ: endInteg})
	b.forget()
}

// integralAt sets out to the integrals at time x, which lies between mark i and
// the next mark (or after mark i when it is the newest).
func (b *Builder) integralAt(i uint64, x model.Time, out *[numSeries]float64) {
	m := b.marks.at(i)
	if i+1 == b.marks.tail {
		d := float64(x - m.t)
		for k := range out {
			out[k] = m.integ[k] + b.lastU[k]*d
		}
		return
	}
	n := b.marks.at(i + 1)
	f := float64(x-m.t) / float64(n.t-m.t)
	for k := range out {
		out[k] = m.integ[k] + (n.integ[k]-m.integ[k])*f
	}
}

// forget drops the marks older than every window's cursors, and rebases the
// integrals once the oldest mark has moved far enough. A rebase touches
// every kept mark, but the next one waits until the oldest mark has moved
// on by more than the largest window, so each mark is rebased a bounded
// number of times.
func (b *Builder) forget() {
	keep := b.marks.tail - 1
	for i := range b.windows {
		keep = min(keep, b.windows[i].left, b.windows[i].next)
	}
	b.marks.dropBefore(keep)
	if oldest := b.marks.at(b.marks.head).t; oldest.Sub(b.rebasedAt) > b.rebaseEvery {
		b.marks.rebase()
		b.rebasedAt = oldest
	}
}
