package exectrace

import (
	"bytes"
	"errors"
	"os"
	"testing"
	"time"

	"github.com/gcwatch/gcwatch/internal/limits"
)

// repeatReader yields head, then body over and over, without end.
type repeatReader struct {
	head, body []byte
	off        int
	n          int64 // bytes yielded
}

func (r *repeatReader) Read(p []byte) (int, error) {
	var n int
	if len(r.head) > 0 {
		n = copy(p, r.head)
		r.head = r.head[n:]
	} else {
		n = copy(p, r.body[r.off:])
		r.off = (r.off + n) % len(r.body)
	}
	r.n += int64(n)
	return n, nil
}

// TestBrokenGenerationsBounded feeds Read a trace followed by one
// generation that is well formed batch by batch but that x/exp cannot
// parse, repeated without end: it stops once limits.Unusable says so,
// with a bounded number of warnings, instead of parsing forever.
func TestBrokenGenerationsBounded(t *testing.T) {
	orig, err := os.ReadFile("../../../examples/testdata/stwmix-p4/trace.out")
	if err != nil {
		t.Fatal(err)
	}
	// A byte whose change the splitter does not see but x/exp does: the
	// trace is one generation, which then fails as a whole.
	var broken []byte
	for off := 1000; off < len(orig) && broken == nil; off += 997 {
		data := bytes.Clone(orig)
		data[off] ^= 0xff
		_, err := Read(bytes.NewReader(data), "broken", Options{})
		var dmg *DamageError
		if errors.As(err, &dmg) && dmg.Offset == headerLen && dmg.LostBytes == int64(len(data)-headerLen) &&
			errors.As(err, new(*readerError)) {
			broken = data
		}
	}
	if broken == nil {
		t.Fatal("no single-byte change makes the generation fail to parse")
	}
	// The whole trace, then the broken generation without end.
	in := &repeatReader{head: orig, body: broken[headerLen:]}
	done := make(chan error, 1)
	start := time.Now()
	var warnings []string
	go func() {
		run, err := Read(in, "endless", Options{})
		if run != nil {
			warnings = run.Warnings
		}
		done <- err
	}()
	select {
	case err := <-done:
		t.Logf("read %d MiB in %v: %v", in.n>>20, time.Since(start), err)
		if len(warnings) == 0 || len(warnings) > maxDamageWarnings+3 {
			t.Errorf("%d warnings, want some and at most %d: %q", len(warnings), maxDamageWarnings+3, warnings)
		}
		if limit := int64(limits.MinUnusable + 8<<20); in.n > limit {
			t.Errorf("read %d bytes, want at most %d", in.n, limit)
		}
		if err == nil {
			t.Error("no error")
		}
	case <-time.After(30 * time.Second):
		t.Fatalf("still reading after 30 s (%d MiB)", in.n>>20)
	}
}
