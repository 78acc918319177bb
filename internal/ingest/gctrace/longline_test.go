package gctrace

import (
	"bytes"
	"io"
	"runtime"
	"strings"
	"testing"
)

// TestLongLines puts records inside lines longer than the read buffer, at
// offsets around every piece boundary, and checks each is found once.
func TestLongLines(t *testing.T) {
	rec := gcLine(1, 10, 2, false)
	offsets := []int{
		0, 5,
		readBufferSize - maxRecordLen - 1, readBufferSize - maxRecordLen, readBufferSize - maxRecordLen + 1,
		readBufferSize - len(rec), readBufferSize - 3, readBufferSize - 1, readBufferSize, readBufferSize + 1,
		2*readBufferSize - maxRecordLen, 2*readBufferSize - 2,
		3*readBufferSize + 17,
	}
	for _, off := range offsets {
		line := bytes.Repeat([]byte("x"), off)
		line = append(line, rec...)
		line = append(line, bytes.Repeat([]byte("y"), 2*readBufferSize)...)
		log := append(line, '\n')
		log = append(log, gcLine(2, 20, 2, false)+"\n"...)
		res, err := Parse(bytes.NewReader(log), "long.log")
		if err != nil {
			t.Fatal(err)
		}
		if got := numbers(res); len(got) != 1 || strings.Join(got[0], " ") != "1@10 2@20" {
			t.Errorf("record at %d: got %v, warnings %q", off, got, res.Warnings)
		}
		if res.Stats.Lines != 2 || res.Stats.GCLines != 2 {
			t.Errorf("record at %d: stats %+v", off, res.Stats)
		}
	}
}

// TestLongLineCutRecord: a record cut by the end of a very long line
// without a newline is one bad line, found once.
func TestLongLineCutRecord(t *testing.T) {
	log := strings.Repeat("z", 3*readBufferSize+5) + "gc 3 @0.030s 1%: 0.050+1.0"
	res, err := Parse(strings.NewReader(log), "long.log")
	if err != nil {
		t.Fatal(err)
	}
	if res.Stats.Lines != 1 || res.Stats.BadLines != 1 || len(res.Warnings) != 1 {
		t.Errorf("stats %+v, warnings %q", res.Stats, res.Warnings)
	}
	if want := `long.log:1: gc line cut short after "gc 3 @0.030s 1%: 0.050+1.0"`; len(res.Warnings) > 0 && res.Warnings[0] != want {
		t.Errorf("warning %q, want %q", res.Warnings[0], want)
	}
}

// TestLongLineMemory: a 64 MiB line without a newline is streamed, not
// kept: Parse allocates about the read buffer and one carried piece.
func TestLongLineMemory(t *testing.T) {
	if testing.Short() {
		t.Skip("reads 64 MiB")
	}
	const size = 64 << 20
	src := io.MultiReader(&repeatReader{b: 'q', n: size}, strings.NewReader(gcLine(1, 10, 2, false)))
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	res, err := Parse(src, "huge.log")
	runtime.ReadMemStats(&after)
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Processes) != 1 || res.Stats.Bytes != size+int64(len(gcLine(1, 10, 2, false))) {
		t.Fatalf("processes %d, stats %+v", len(res.Processes), res.Stats)
	}
	if alloc := after.TotalAlloc - before.TotalAlloc; alloc > 8<<20 {
		t.Errorf("Parse allocated %d bytes for a %d-byte line", alloc, size)
	}
}

// repeatReader yields n copies of b.
type repeatReader struct {
	b byte
	n int
}

func (r *repeatReader) Read(p []byte) (int, error) {
	if r.n == 0 {
		return 0, io.EOF
	}
	k := min(len(p), r.n)
	for i := range p[:k] {
		p[i] = r.b
	}
	r.n -= k
	return k, nil
}

// errReader fails after its data.
type errReader struct{ data io.Reader }

func (r errReader) Read(p []byte) (int, error) {
	n, err := r.data.Read(p)
	if err == io.EOF {
		return n, io.ErrUnexpectedEOF
	}
	return n, err
}

func TestReadError(t *testing.T) {
	res, err := Parse(errReader{strings.NewReader(gcLine(1, 10, 2, false) + "\n" + gcLine(2, 20, 2, false))}, "broken.log")
	if err == nil || err.Error() != "read broken.log: unexpected EOF" {
		t.Fatalf("err = %v", err)
	}
	if res == nil || len(res.Processes) != 1 || len(res.Processes[0].Cycles) != 2 {
		t.Errorf("partial result %+v", res)
	}
}
