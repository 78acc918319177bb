package latencylog

import (
	"bytes"
	"fmt"
	"testing"
	"time"
)

// benchLog is n requests in the shape of a typical access log.
func benchLog(n int, csv bool) []byte {
	var b bytes.Buffer
	if csv {
		b.WriteString("start,duration_ms,request_id,method,path,status\n")
	}
	t0 := time.Date(2026, 11, 26, 10, 0, 0, 0, time.UTC)
	for i := range n {
		start := t0.Add(time.Duration(i) * 997 * time.Microsecond).Format(time.RFC3339Nano)
		ms := float64(i%5000) / 100
		if csv {
			fmt.Fprintf(&b, "%s,%.2f,%d,GET,/api/items/%d?q=1,200\n", start, ms, i+1, i%50)
		} else {
			fmt.Fprintf(&b, `{"level":"info","time":%q,"msg":"request","request_id":%d,"method":"GET","path":"/api/items/%d?q=1","status":200,"duration_ms":%.2f,"bytes":5123}`+"\n",
				start, i+1, i%50, ms)
		}
	}
	return b.Bytes()
}

func benchmarkParse(b *testing.B, csv bool) {
	data := benchLog(20000, csv)
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	for b.Loop() {
		log, err := Parse(bytes.NewReader(data), "bench")
		if err != nil || log.Stats.Parsed != 20000 {
			b.Fatal(err)
		}
	}
}

func BenchmarkParseJSONL(b *testing.B) { benchmarkParse(b, false) }
func BenchmarkParseCSV(b *testing.B)   { benchmarkParse(b, true) }

func BenchmarkAlign(b *testing.B) {
	log, err := Parse(bytes.NewReader(benchLog(20000, false)), "bench")
	if err != nil {
		b.Fatal(err)
	}
	run := traceRun()
	b.ReportAllocs()
	for b.Loop() {
		if _, _, err := Align(log, run, nil); err != nil {
			b.Fatal(err)
		}
	}
}
