package exectrace

import (
	"bytes"
	"os"
	"testing"
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

func BenchmarkRead(b *testing.B) {
	data := benchTrace(b)
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Read(bytes.NewReader(data), "bench", Options{}); err != nil {
			b.Fatal(err)
		}
	}
}
