package latencylog

import (
	"strings"
	"testing"
)

func TestLooksLike(t *testing.T) {
	request := `{"ts":1795687200.5,"latency_ms":3}`
	for _, tc := range []struct {
		name   string
		prefix string
		want   bool
	}{
		{"jsonl", request + "\n", true},
		{"jsonl after app lines", `{"level":"info","msg":"listening"}` + "\nstarting\n" + request + "\n", true},
		{"jsonl cut", request[:20], false},
		{"jsonl whole file without newline", request, true},
		{"csv", "start,duration_ms\n2026-11-26T10:00:00Z,1\n", true},
		{"csv header only", "start,duration_ms\n", false},
		{"csv header cut", "start,dur", false},
		{"gctrace", "gc 1 @0.012s 1%: 0.1+1+0.1 ms clock, 0.2+0.5/1/0+0.2 ms cpu, 4->4->2 MB, 5 MB goal, 0 MB stacks, 0 MB globals, 2 P\n", false},
		{"gctrace in docker json", `{"log":"gc 1 @0.012s 1%: ...\n","stream":"stderr","time":"2026-11-26T10:00:00Z"}` + "\n", false},
		{"text with commas", "hello, world\nstart, duration\n", false},
		{"request too late", strings.Repeat("x\n", looksLines) + request + "\n", false},
		{"empty", "", false},
	} {
		if got := LooksLike([]byte(tc.prefix)); got != tc.want {
			t.Errorf("%s: LooksLike = %v, want %v", tc.name, got, tc.want)
		}
	}
}
