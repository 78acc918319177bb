package exectrace

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"testing"

	exptrace "golang.org/x/exp/trace"
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

// BenchmarkRead measures the whole ingest, with one and two workers.
func BenchmarkRead(b *testing.B) {
	data := benchTrace(b)
	for _, workers := range []int{1, 2} {
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
