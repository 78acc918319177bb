package mmu

import (
	"testing"
	"time"

	"github.com/gcwatch/gcwatch/internal/model"
)

// Recorder keeps the Set calls a decoder makes (through Options.Observe) so
// that the external tests, which import the decoders and so cannot live in
// package mmu, can check the curve against the reference.
type Recorder struct {
	calls     []call
	backwards int // calls earlier than the one before, against Set's contract
}

// Observe is an Options.Observe function.
func (r *Recorder) Observe(t model.Time, procs int, busy [model.NumSources]float64) {
	if n := len(r.calls); n > 0 && t < r.calls[n-1].t {
		r.backwards++
	}
	r.calls = append(r.calls, call{t, procs, busy})
}

// Len is the number of calls recorded.
func (r *Recorder) Len() int { return len(r.calls) }

// Backwards is the number of calls that went back in time.
func (r *Recorder) Backwards() int { return r.backwards }

// Check replays the calls into the reference, ended at end, and compares
// got with it at every window that fits.
func (r *Recorder) Check(t *testing.T, got *model.MMU, end model.Time, windows []time.Duration) {
	t.Helper()
	ref := &refSeries{end: end, fast: true}
	for _, c := range r.calls {
		ref.set(c.t, c.procs, c.busy)
	}
	checkAgainstReference(t, 0, got, ref, windows)
}
