package gctrace

import (
	"bytes"
	"fmt"
	"testing"
	"time"
)

// benchLog generates a log of about size bytes: gc records, one in every
// appEvery lines, between application lines, each line wrapped by wrap.
func benchLog(size, appEvery int, wrap func(line string, at time.Duration) string) []byte {
	var b bytes.Buffer
	n, t := 0, time.Duration(0)
	for i := 0; b.Len() < size; i++ {
		t += 3 * time.Millisecond
		var line string
		if i%appEvery == 0 {
			n++
			line = fmt.Sprintf("gc %d @%d.%03ds %d%%: 0.%03d+%d+0.0%d ms clock, 0.%d+1.%d/%d/%d+0.%d ms cpu, %d->%d->%d MB, %d MB goal, 0 MB stacks, 1 MB globals, 8 P",
				n, t/time.Second, t%time.Second/time.Millisecond, n%7, n%1000, n%97, n%10, n%10, n%9, n%300, n%100, n%10,
				400+n%50, 410+n%50, 200+n%30, 420+n%50)
		} else {
			line = fmt.Sprintf("level=info ts=%d msg=\"handled request\" path=/api/v1/items/%d status=200 duration=%dus bytes=%d",
				t, i, 50+i%4000, 100+i%9000)
		}
		b.WriteString(wrap(line, t))
		b.WriteByte('\n')
	}
	return b.Bytes()
}

func plain(line string, _ time.Duration) string { return line }

func dockerJSON(line string, at time.Duration) string {
	ts := time.Date(2026, 11, 26, 10, 0, 0, 0, time.UTC).Add(at).Format(time.RFC3339Nano)
	return `{"log":"` + dockerEscape(line) + `\n","stream":"stderr","time":"` + ts + `"}`
}

func BenchmarkParse(b *testing.B) {
	cases := []struct {
		name string
		log  []byte
	}{
		{"mixed", benchLog(16<<20, 4, plain)},
		{"gc-only", benchLog(16<<20, 1, plain)},
		{"app-mostly", benchLog(16<<20, 100, plain)},
		{"docker-json", benchLog(16<<20, 4, dockerJSON)},
	}
	for _, c := range cases {
		b.Run(c.name, func(b *testing.B) {
			b.SetBytes(int64(len(c.log)))
			b.ReportAllocs()
			for b.Loop() {
				res, err := Parse(bytes.NewReader(c.log), "bench.log")
				if err != nil || len(res.Processes) != 1 {
					b.Fatalf("err %v, %d processes, warnings %q", err, len(res.Processes), res.Warnings)
				}
			}
		})
	}
}
