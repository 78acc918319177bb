package capture

import (
	"bytes"
	"io"
	"runtime"
	"strings"
	"testing"
)

// endlessLine is n bytes of 'x' with no newline, made as they are read.
type endlessLine struct{ n int64 }

func (e *endlessLine) Read(p []byte) (int, error) {
	if e.n <= 0 {
		return 0, io.EOF
	}
	k := int(min(int64(len(p)), e.n))
	for i := range p[:k] {
		p[i] = 'x'
	}
	e.n -= int64(k)
	return k, nil
}

// countingWriter counts what is written to it.
type countingWriter struct{ n int64 }

func (c *countingWriter) Write(p []byte) (int, error) {
	c.n += int64(len(p))
	return len(p), nil
}

// TestCopyStderrLongLineBounded feeds 200 MB without a newline, as a child
// might write to its stderr: everything reaches the log and the terminal,
// and the memory allocated meanwhile stays far below the line's size.
func TestCopyStderrLongLineBounded(t *testing.T) {
	const size = 200 << 20
	var log, term countingWriter
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	err := copyStderr(&endlessLine{n: size}, &log, RunOptions{Stderr: &term, OnLine: func(string) {}})
	runtime.ReadMemStats(&after)
	if err != nil {
		t.Fatal(err)
	}
	if log.n != size || term.n != size {
		t.Errorf("log got %d bytes, terminal %d; want %d each", log.n, term.n, size)
	}
	if alloc := after.TotalAlloc - before.TotalAlloc; alloc > 32<<20 {
		t.Errorf("copying a %d-byte line allocated %d bytes", size, alloc)
	}
}

// TestCopyStderrQuietGCTrace holds gc lines back from the terminal, passes
// everything else (a long line too) through whole, and logs it all.
func TestCopyStderrQuietGCTrace(t *testing.T) {
	gc := "gc 1 @0.011s 2%: 0.010+0.45+0.003 ms clock, 0.040+0.1/0.3/0.2+0.012 ms cpu, 4->4->0 MB, 4 MB goal, 0 MB stacks, 0 MB globals, 4 P\n"
	long := strings.Repeat("y", 3*maxLine+5) + " gc 2 @1s 1%: ms clock, \n"
	in := "starting\n" + gc + long + gc + "tail without newline"
	var log, term bytes.Buffer
	var lines int
	err := copyStderr(strings.NewReader(in), &log, RunOptions{Stderr: &term, QuietGCTrace: true, OnLine: func(string) { lines++ }})
	if err != nil {
		t.Fatal(err)
	}
	if log.String() != in {
		t.Errorf("the log differs from the child's stderr")
	}
	if want := "starting\n" + long + "tail without newline"; term.String() != want {
		t.Errorf("terminal got %d bytes, want %d", term.Len(), len(want))
	}
	if lines != 4 {
		t.Errorf("OnLine saw %d lines, want the 4 that fit", lines)
	}
}
