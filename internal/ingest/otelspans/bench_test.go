package otelspans

import (
	"bytes"
	"compress/gzip"
	"io"
	"os"
	"testing"
)

// BenchmarkReadOTLP reads the OTLP export of examples/otelsvc (1092
// spans, 250 KB) over and over.
func BenchmarkReadOTLP(b *testing.B) {
	f, err := os.Open("../../../examples/otelsvc/testdata/spans.otlp.json.gz")
	if err != nil {
		b.Skip(err)
	}
	defer f.Close()
	zr, err := gzip.NewReader(f)
	if err != nil {
		b.Fatal(err)
	}
	data, err := io.ReadAll(zr)
	if err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Read(bytes.NewReader(data), "spans", Options{}); err != nil {
			b.Fatal(err)
		}
	}
}
