package compare

import (
	"fmt"
	"math"
)

// rows builds the table. Each figure is computed from the pooled samples
// or sums; the samples behind it, where there are any, are what the test
// compares.
func rows(b, a *gathered, opts Options) []Row {
	return buildRows(b, a, &tester{opts: opts})
}

// figures are g's figures by metric, untested (NaN where g lacks one).
func figures(g *gathered) map[string]float64 {
	out := map[string]float64{}
	for _, r := range buildRows(g, g, &tester{figuresOnly: true}) {
		out[r.Metric] = math.NaN()
		if r.Before != nil {
			out[r.Metric] = *r.Before
		}
	}
	return out
}

func buildRows(b, a *gathered, t *tester) []Row {
	var out []Row
	add := func(r Row) { out = append(out, r) }

	perSecond := func(g *gathered) float64 { return ratio(float64(g.cycles), g.window) }
	add(t.row("gc_per_second", "per_second", "higher", perSecond(b), perSecond(a)).
		test(t, b.periods, a.periods, "intervals between GC cycles", 0))
	cpu := func(g *gathered) float64 {
		if !g.cpuKnown {
			return math.NaN()
		}
		return ratio(g.cpuTime, g.capacity)
	}
	add(t.row("gc_cpu_fraction", "fraction", "higher", cpu(b), cpu(a)).
		test(t, b.cycleCPU, a.cycleCPU, "GC cycles", 0))
	for _, q := range []struct {
		metric string
		p      float64
	}{{"pause_p50_ms", 0.50}, {"pause_p99_ms", 0.99}, {"pause_max_ms", 1}} {
		add(t.row(q.metric, "ms", "higher", quantile(b.pauses, q.p), quantile(a.pauses, q.p)).
			test(t, b.pauses, a.pauses, "GC pauses", q.p))
	}
	add(t.row("time_to_stop_p99_ms", "ms", "higher", quantile(b.toStop, 0.99), quantile(a.toStop, 0.99)).
		test(t, b.toStop, a.toStop, "GC pauses from a trace", 0.99))
	add(t.row("mark_assist_ms_per_second", "ms_per_second", "higher", ratio(b.assist, b.window), ratio(a.assist, a.window)).
		test(t, b.cycleAssist, a.cycleAssist, "GC cycles from a trace", 0))
	for _, w := range mmuWindows {
		r := t.row(fmt.Sprintf("mmu_%dms", w.Milliseconds()), "fraction", "lower", b.mmu[w], a.mmu[w])
		r.Note = "a minimum over every window of the run: not tested"
		add(r)
	}
	add(t.row("live_heap_bytes", "bytes", "higher", quantile(b.live, 0.5), quantile(a.live, 0.5)).
		test(t, b.live, a.live, "GC cycles", 0))
	add(t.row("peak_heap_bytes", "bytes", "higher", quantile(b.peak, 1), quantile(a.peak, 1)).
		test(t, b.peak, a.peak, "GC cycles", 0))
	for _, q := range []struct {
		metric string
		p      float64
	}{{"request_p50_ms", 0.50}, {"request_p99_ms", 0.99}, {"request_p999_ms", 0.999}} {
		add(t.row(q.metric, "ms", "higher", quantile(b.requests, q.p), quantile(a.requests, q.p)).
			blockTest(t, b, a, q.p))
	}
	r := t.row("gc_share_of_tail", "fraction", "higher", tailShare(b.tail), tailShare(a.tail))
	r.BeforeN, r.AfterN, r.Samples = len(b.tail), len(a.tail), "requests"
	r.Note = "not tested"
	add(r)
	return out
}

func ratio(x, y float64) float64 {
	if y <= 0 || math.IsNaN(x) {
		return math.NaN()
	}
	return x / y
}

// tester runs the tests of one comparison; each row draws its bootstrap
// resamples from a stream of its own, so rows do not depend on each other.
type tester struct {
	opts   Options
	stream uint64
	// figuresOnly skips the tests: the rows carry the figures alone.
	figuresOnly bool
}

func (t *tester) row(metric, unit, worse string, before, after float64) Row {
	r := Row{Metric: metric, Unit: unit, WorseWhen: worse, Before: ptr(before), After: ptr(after)}
	switch {
	case r.Before == nil && r.After == nil:
		r.Note = "known on neither side"
	case r.Before == nil:
		r.Note = "not known on BEFORE"
	case r.After == nil:
		r.Note = "not known on AFTER"
	case before == after:
		r.Change = ptr(0)
	case before != 0:
		r.Change = ptr((after - before) / before)
	}
	return r
}

// test compares the samples behind r with a Mann–Whitney U test. For a
// percentile (0 < p < 1) the change must also be outside the bootstrap
// interval of the difference: the distributions may differ where this
// percentile did not move.
func (r Row) test(t *tester, before, after []float64, samples string, p float64) Row {
	t.stream++
	r.Samples, r.BeforeN, r.AfterN = samples, len(before), len(after)
	if r.Before == nil || r.After == nil || t.figuresOnly {
		return r
	}
	switch {
	case len(before) == 0 || len(after) == 0:
		r.Note = fmt.Sprintf("no %s on one side to test", samples)
		return r
	case minP(len(before), len(after)) >= t.opts.Alpha:
		r.Note = fmt.Sprintf("too few %s (%d and %d) to tell a change from noise", samples, len(before), len(after))
		return r
	}
	u := MannWhitney(before, after)
	r.Test, r.PValue = "mann-whitney-u", ptr(u.P)
	significant := u.P < t.opts.Alpha
	if p > 0 && p < 1 {
		diff, bci, aci := t.quantileDiff(before, after, p)
		r.BeforeCI, r.AfterCI = &bci, &aci
		if *r.Before != 0 {
			r.ChangeCI = &[2]float64{diff[0] / *r.Before, diff[1] / *r.Before}
		}
		if diff[0] <= 0 && diff[1] >= 0 {
			significant = false
		}
	}
	r.Significant = &significant
	return r
}

// quantileDiff is the bootstrap interval of after's p-quantile less
// before's, and the intervals of the p-quantile on each side.
func (t *tester) quantileDiff(before, after []float64, p float64) (diff, beforeCI, afterCI [2]float64) {
	resamples := t.opts.Resamples
	// Keep a million-request comparison to seconds.
	if n := len(before) + len(after); n*resamples > 4e8 {
		resamples = max(100, 4e8/n)
	}
	rng := newRand(t.opts.Seed, t.stream)
	bq := bootstrapQuantiles(before, []float64{p}, resamples, rng)[0]
	aq := bootstrapQuantiles(after, []float64{p}, resamples, rng)[0]
	diffs := make([]float64, resamples)
	for i := range diffs {
		diffs[i] = aq[i] - bq[i]
	}
	return interval(diffs, t.opts.Confidence), interval(bq, t.opts.Confidence), interval(aq, t.opts.Confidence)
}

// minBlocks is the fewest blocks of requests a run is cut into, and the
// fewest a side needs for the block bootstrap to say anything: with fewer,
// its resamples are a handful of the same few blocks.
const minBlocks = 8

// blockTest tests a request percentile by the block bootstrap: blocks of
// consecutive requests are resampled on each side, and the change is
// significant when the interval of the difference of the percentile
// excludes 0; the p-value is read off the same draws. Requests close in
// time are not independent samples (they share a GC cycle, a queue, the
// machine's load), so a test that treats each as one — Mann–Whitney over
// requests — finds "significant" changes between two runs of the same
// program.
func (r Row) blockTest(t *tester, b, a *gathered, p float64) Row {
	t.stream++
	r.Samples, r.BeforeN, r.AfterN = "requests", len(b.requests), len(a.requests)
	if r.Before == nil || r.After == nil || t.figuresOnly {
		return r
	}
	if nb, na := countBlocks(b.requestBlocks), countBlocks(a.requestBlocks); nb < minBlocks || na < minBlocks {
		r.Note = fmt.Sprintf("too few requests (%d and %d) to tell a change from noise", len(b.requests), len(a.requests))
		return r
	}
	resamples := t.opts.Resamples
	if n := len(b.requests) + len(a.requests); n*resamples > 4e8 {
		resamples = max(100, 4e8/n)
	}
	rng := newRand(t.opts.Seed, t.stream)
	bq := blockBootstrapQuantiles(b.requests, b.requestBlocks, []float64{p}, resamples, rng)[0]
	aq := blockBootstrapQuantiles(a.requests, a.requestBlocks, []float64{p}, resamples, rng)[0]
	diffs := make([]float64, resamples)
	for i := range diffs {
		diffs[i] = aq[i] - bq[i]
	}
	r.Test, r.PValue = "block-bootstrap", ptr(bootstrapP(diffs))
	diff := interval(diffs, t.opts.Confidence)
	bci, aci := interval(bq, t.opts.Confidence), interval(aq, t.opts.Confidence)
	r.BeforeCI, r.AfterCI = &bci, &aci
	if *r.Before != 0 {
		r.ChangeCI = &[2]float64{diff[0] / *r.Before, diff[1] / *r.Before}
	}
	significant := diff[0] > 0 || diff[1] < 0
	r.Significant = &significant
	return r
}

func countBlocks(runs [][][]int32) int {
	n := 0
	for _, r := range runs {
		n += len(r)
	}
	return n
}

// overRuns retests the rows with each run as one sample, as benchstat
// does with benchmark runs, when there are enough runs for such a test to
// reach α (4 a side at 0.05): a Mann–Whitney U test over the runs' own
// figures. Samples within a run share its machine, host and moment; only
// the spread between runs says how much two runs of one service differ.
// Every row with a figure per run is tested, MMU and the GC share of the
// tail included.
func overRuns(rows []Row, before, after Side, opts Options) {
	perRun := func(s Side) []map[string]float64 {
		var out []map[string]float64
		for _, r := range s.Runs {
			out = append(out, figures(gather(Side{Runs: []Run{r}, Known: s.Known}, "")))
		}
		return out
	}
	bf, af := perRun(before), perRun(after)
	for i := range rows {
		r := &rows[i]
		var bs, as []float64
		for _, f := range bf {
			bs = append(bs, f[r.Metric])
		}
		for _, f := range af {
			as = append(as, f[r.Metric])
		}
		bs, as = sortedCopy(bs), sortedCopy(as)
		r.Test, r.PValue, r.Significant, r.Note = "", nil, nil, ""
		r.ChangeCI, r.BeforeCI, r.AfterCI = nil, nil, nil
		r.Samples, r.BeforeN, r.AfterN = "runs", len(bs), len(as)
		switch {
		case r.Before == nil || r.After == nil:
			r.Note = "not known on both sides"
			continue
		case minP(len(bs), len(as)) >= opts.Alpha:
			r.Note = fmt.Sprintf("too few runs with this figure (%d and %d) to tell a change from run-to-run noise", len(bs), len(as))
			continue
		}
		u := MannWhitney(bs, as)
		significant := u.P < opts.Alpha
		r.Test, r.PValue, r.Significant = "mann-whitney-u", ptr(u.P), &significant
	}
}
