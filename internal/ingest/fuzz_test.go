package ingest

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// FuzzDecodeInput feeds arbitrary bytes, as they are and gzip-compressed,
// to the entry point every input file goes through (recognition, gzip,
// then the decoder it names): it must not panic or hang, and what it says
// about the input must be one line of bounded length naming it.
func FuzzDecodeInput(f *testing.F) {
	f.Add([]byte("go 1.26 trace\x00\x00\x00\x01\x02\x03"))
	f.Add([]byte("gc 1 @0.010s 1%: 0.010+1.0+0.020 ms clock, 0.040+0.5/1.0/0.1+0.080 ms cpu, 4->4->1 MB, 4 MB goal, 0 MB stacks, 0 MB globals, 4 P\n"))
	f.Add([]byte("{\"start\":1795687200123,\"duration_us\":12500}\n"))
	f.Add([]byte(`{"resourceSpans":[{"resource":{"attributes":[{"key":"service.name","value":{"stringValue":"a"}}]},"scopeSpans":[{"spans":[{"traceId":"4bf92f3577b34da6a3ce929d0e0e4736","spanId":"00f067aa0ba902b7","name":"GET /","kind":2,"startTimeUnixNano":"1764000000000000000","endTimeUnixNano":"1764000000001000000"}]}]}]}` + "\n"))
	f.Add([]byte("\x1f\x8b\x08\x00\x00\x00\x00\x00\x00\xffjunk"))
	if small, err := os.ReadFile(filepath.Join(recordings, "stwmix-p4", "trace.out")); err == nil {
		f.Add(small[:4096]) // a trace cut short
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		for _, in := range [][]byte{data, gzipped(t, data)} {
			msgs := decodeWithin(t, in, 10*time.Second)
			for _, m := range msgs {
				n := len(strings.ReplaceAll(m, "<stdin>", ""))
				if strings.ContainsAny(m, "\n\r") || n > maxMessageLen || !strings.Contains(m, "<stdin>") {
					t.Errorf("message of %d bytes besides the name, not one line of at most %d naming the input: %.300q",
						n, maxMessageLen, m)
				}
			}
		}
	})
}

// decodeWithin opens data as standard input and decodes it, failing the
// test when that takes longer than limit; it returns the error, notes and
// warnings.
func decodeWithin(t *testing.T, data []byte, limit time.Duration) []string {
	t.Helper()
	done := make(chan []string, 1)
	go func() {
		var msgs []string
		in, err := openInput("-", bytes.NewReader(data))
		if err != nil {
			done <- []string{err.Error()}
			return
		}
		defer in.close()
		var g group
		res := &Result{}
		if _, err := decodeInput(in, Options{}, &g, res); err != nil {
			msgs = append(msgs, err.Error())
		}
		msgs = append(msgs, res.Notes...)
		for _, r := range append(g.traces, g.gctraces...) {
			msgs = append(msgs, r.Warnings...)
		}
		for _, l := range g.latency {
			msgs = append(msgs, l.Warnings...)
		}
		done <- msgs
	}()
	select {
	case msgs := <-done:
		return msgs
	case <-time.After(limit):
		t.Fatalf("decoding %d bytes still running after %v", len(data), limit)
		return nil
	}
}
