package analyze

import (
	"github.com/gcwatch/gcwatch/internal/mmu"
	"github.com/gcwatch/gcwatch/internal/model"
)

// synthesizeMMU builds a coarse MMU curve from cycle phases when no trace
// measured one (gctrace logs only).
func synthesizeMMU(run *model.Run) *model.MMU {
	if run.Duration() <= 0 {
		return nil
	}
	b := mmu.NewBuilder(mmu.Options{})
	mmu.Synthesize(run.Cycles, run.GOMAXPROCS, run.Start, run.End, b)
	m := b.Finish(run.End)
	if m != nil {
		m.Synthesized = true
	}
	return m
}
