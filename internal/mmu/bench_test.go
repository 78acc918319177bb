package mmu

import (
	"math/rand/v2"
	"slices"
	"testing"
	"time"

	"github.com/gcwatch/gcwatch/internal/model"
)

// gcLikeSeries draws the Set calls an execution-trace ingest makes for a
// busy 8-P service: a GC cycle every 20ms with two short pauses, a 4ms
// mark with two dedicated workers, a fractional worker coming and going
// and assists flickering on up to three Ps every few microseconds, then
// 2ms of dense incremental sweeping and sparse sweeping until the next
// cycle. Times start at origin; the series lasts d.
func gcLikeSeries(rng *rand.Rand, origin model.Time, d time.Duration) []call {
	const procs = 8
	us := model.Time(time.Microsecond)
	var calls []call
	set := func(t model.Time, busy [model.NumSources]float64) {
		calls = append(calls, call{t, procs, busy})
	}
	gap := func(mean model.Time) model.Time { return 1 + model.Time(rng.ExpFloat64()*float64(mean)) }
	for cycle := origin; cycle < origin.Add(d); cycle += 20 * ms {
		set(cycle, busyOf(model.SourceSTW, procs)) // sweep termination
		t := cycle + 30*us
		var busy [model.NumSources]float64
		busy[model.SourceBackground] = 2
		for markEnd := t + 4*ms; t < markEnd; t += gap(2 * us) {
			if rng.IntN(8) == 0 {
				busy[model.SourceBackground] = 2 + float64(rng.IntN(2)) // fractional worker
			} else {
				busy[model.SourceAssist] = float64(rng.IntN(4))
			}
			set(t, busy)
		}
		set(t, busyOf(model.SourceSTW, procs)) // mark termination
		t += 50 * us
		for sweepEnd := t + 2*ms; t < sweepEnd; t += gap(3 * us) {
			set(t, busyOf(model.SourceSweep, rng.IntN(3)))
		}
		for next := cycle + 20*ms; t < next; t += gap(200 * us) {
			set(t, busyOf(model.SourceSweep, rng.IntN(2)))
		}
	}
	return calls
}

// BenchmarkBuilder feeds the default windows with a GC-like series and
// reports the cost of one Set. About a third of the Sets do not change the
// utilisation and return early, as in real ingest. "no-assist" is the same
// series in a program that never assists: one series then sits at its
// minimum, which limits pruning.
func BenchmarkBuilder(b *testing.B) {
	const span = 2 * time.Second
	busy := gcLikeSeries(rand.New(rand.NewPCG(5, 6)), 0, span)
	noAssist := slices.Clone(busy)
	for i := range noAssist {
		noAssist[i].busy[model.SourceAssist] = 0
	}
	b.Run("busy", func(b *testing.B) { benchmarkSets(b, busy, span) })
	b.Run("no-assist", func(b *testing.B) { benchmarkSets(b, noAssist, span) })
}

// benchmarkSets replays calls, shifted by span on every pass, for b.N Sets.
func benchmarkSets(b *testing.B, calls []call, span time.Duration) {
	b.ReportAllocs()
	bld := NewBuilder(Options{})
	var offset model.Time
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		j := i % len(calls)
		if j == 0 && i > 0 {
			offset += model.Time(span)
		}
		c := &calls[j]
		bld.Set(c.t+offset, c.procs, c.busy)
	}
	bld.Finish(calls[len(calls)-1].t + offset + 1)
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N), "ns/Set")
	b.ReportMetric(float64(len(calls))/span.Seconds(), "Sets/trace-s")
}
