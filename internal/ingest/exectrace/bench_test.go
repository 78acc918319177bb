package exectrace

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"sync/atomic"
	"testing"
	"time"

	exptrace "golang.org/x/exp/trace"

	"github.com/gcwatch/gcwatch/internal/mmu"
	"github.com/gcwatch/gcwatch/internal/model"
)

// benchTrace is the input of BenchmarkRead: the file named by
// $GCWATCH_BENCH_TRACE (bench/trace.sh makes big ones), else a trace
// recorded in-process.
func benchTrace(b *testing.B) []byte {
	if path := os.Getenv("GCWATCH_BENCH_TRACE"); path != "" {
		data, err := os.ReadFile(path)
		if err != nil {
			b.Fatal(err)
		}
		return data
	}
	data, _ := traced(b, workload{tasks: 300, workers: 2, alloc: 64 << 10, forced: 2})
	return data
}

// BenchmarkRead measures the whole ingest, with one, two and four workers
// (run it with -cpu 1,2 to see them on one and two cores).
func BenchmarkRead(b *testing.B) {
	data := benchTrace(b)
	for _, workers := range []int{1, 2, 4} {
		b.Run(fmt.Sprintf("workers=%d", workers), func(b *testing.B) {
			b.SetBytes(int64(len(data)))
			b.ReportAllocs()
			for b.Loop() {
				if _, err := Read(bytes.NewReader(data), "bench", Options{Workers: workers}); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkPlainLoop is the baseline: a bare x/exp ReadEvent loop.
func BenchmarkPlainLoop(b *testing.B) {
	data := benchTrace(b)
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	for b.Loop() {
		r, err := exptrace.NewReader(bytes.NewReader(data))
		if err != nil {
			b.Fatal(err)
		}
		for {
			_, err := r.ReadEvent()
			if errors.Is(err, io.EOF) {
				break
			}
			if err != nil {
				b.Fatal(err)
			}
		}
	}
}

// BenchmarkToRecord measures distilling events into records alone, on the
// trace's every 97th event up to 20k of them (read ahead of the timer, so
// they stay in cache; spread out, so the mix is the trace's).
func BenchmarkToRecord(b *testing.B) {
	data := benchTrace(b)
	r, err := exptrace.NewReader(bytes.NewReader(data))
	if err != nil {
		b.Fatal(err)
	}
	var evs []exptrace.Event
	for n := 0; len(evs) < 20_000; n++ {
		ev, err := r.ReadEvent()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			b.Fatal(err)
		}
		if n%97 == 0 {
			evs = append(evs, ev)
		}
	}
	b.ReportAllocs()
	var rec record
	var mv moves
	kept := 0
	for b.Loop() {
		for i := range evs {
			if mv.record(&evs[i], &rec) {
				kept++
			}
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*len(evs)), "ns/event")
	b.ReportMetric(float64(kept)/float64(b.N*len(evs)), "kept/event")
}

// BenchmarkEncodeDecode measures what a parsed generation's records cost
// between the parse worker and the state machine: put, then each with a
// no-op, on the trace's first 50k records (few enough to stay in cache,
// as the one record the parse loop reuses does).
func BenchmarkEncodeDecode(b *testing.B) {
	data := benchTrace(b)
	r, err := exptrace.NewReader(bytes.NewReader(data))
	if err != nil {
		b.Fatal(err)
	}
	var recs []record
	var rec record
	var mv moves
	for len(recs) < 50_000 {
		ev, err := r.ReadEvent()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			b.Fatal(err)
		}
		if mv.record(&ev, &rec) && rec.kind != recSync {
			recs = append(recs, rec)
		}
	}
	b.ReportAllocs()
	sum := int64(0)
	for b.Loop() {
		var rb recordBuffer
		for i := range recs {
			rb.put(&recs[i])
		}
		rb.each(func(r *record) { sum += r.g })
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*len(recs)), "ns/record")
}

// BenchmarkStages measures the two stages of the parallel ingest apart,
// to model how it scales with cores: the parse of the trace's
// generations by one worker (x/exp's reader and distilling records), and
// the one state machine applying their records in order. With N workers
// on N free cores the parse takes parse/N and runs alongside the apply,
// so the ingest reads at min(N·parse rate, apply rate): it reports those
// rates, the model's throughput for 1 to 8 workers, and the number of
// workers beyond which the state machine is the bound. Run it with
// GCWATCH_BENCH_TRACE=FILE on a big trace (bench/trace.sh makes them).
func BenchmarkStages(b *testing.B) {
	data := benchTrace(b)
	header := data[:headerLen]
	version, _ := formatVersion(header)
	split := func() []*generation {
		sp := &splitter{r: bufio.NewReader(bytes.NewReader(data[headerLen:])), version: version, off: headerLen}
		var gens []*generation
		for {
			p, ok := sp.next()
			if !ok {
				return gens
			}
			if p.dmg != nil {
				b.Fatalf("damaged at %d: %v", p.dmg.offset, p.dmg.err)
			}
			gens = append(gens, p.gen)
		}
	}
	if v, _ := formatVersion(header); v <= 21 {
		b.Skip("a Go ≤1.21 trace is read whole, not by generation")
	}
	var parse, apply time.Duration
	for i := 0; i < b.N; i++ {
		gens := split()
		var moot atomic.Bool
		start := time.Now()
		ps := make([]*parsed, len(gens))
		for k, g := range gens {
			// Workers classify server stacks only until the state machine
			// has seen a task's request, early in a trace with tasks; here
			// the apply comes after every parse, so the parse leaves it out.
			if ps[k] = parseGeneration(header, g, false, false, &moot); ps[k].err != nil {
				b.Fatal(ps[k].err)
			}
		}
		mid := time.Now()
		run := &model.Run{}
		bld := newBuilder(run, mmu.Options{})
		for _, p := range ps {
			p.records.applyTo(bld)
			if bld.inferenceMoot() {
				moot.Store(true)
			}
		}
		bld.finish()
		parse += mid.Sub(start)
		apply += time.Since(mid)
	}
	mb := float64(len(data)) / (1 << 20) * float64(b.N)
	parseRate, applyRate := mb/parse.Seconds(), mb/apply.Seconds()
	b.ReportMetric(parseRate, "parse-MB/s")
	b.ReportMetric(applyRate, "apply-MB/s")
	for _, n := range []int{1, 2, 4, 8} {
		b.ReportMetric(min(float64(n)*parseRate, applyRate), fmt.Sprintf("model-MB/s-%dw", n))
	}
	b.ReportMetric(applyRate/parseRate, "workers-to-apply-bound")
}
