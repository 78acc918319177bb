package ingest

import (
	"bytes"
	"compress/gzip"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/gcwatch/gcwatch/internal/model"
)

// bombSize is how much filler a bomb decompresses to: far more than any
// decoder may read past the last usable byte (maxGarbage and its like in
// the decoders), and enough that reading all of it takes seconds.
const bombSize = 2 << 30

// writeBomb writes a gzip file that decompresses to head followed by
// bombSize bytes of filler (repeated). The filler is one gzip member of
// 1 MiB repeated, which the reader takes as one multistream input: the
// file stays a few MB and is written at once.
func writeBomb(t *testing.T, head, filler []byte) string {
	t.Helper()
	member := func(p []byte) []byte {
		var buf bytes.Buffer
		zw, _ := gzip.NewWriterLevel(&buf, gzip.BestCompression)
		zw.Write(p)
		if err := zw.Close(); err != nil {
			t.Fatal(err)
		}
		return buf.Bytes()
	}
	block := member(bytes.Repeat(filler, (1<<20)/len(filler)))
	var file bytes.Buffer
	file.Write(member(head))
	for range bombSize >> 20 {
		file.Write(block)
	}
	path := filepath.Join(t.TempDir(), "bomb.gz")
	if err := os.WriteFile(path, file.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// decodeBomb opens and decodes one gzipped input as Load would, and
// returns what it made, how many bytes were decompressed and how long it
// took.
func decodeBomb(t *testing.T, path string) (*group, int64, time.Duration, error) {
	t.Helper()
	start := time.Now()
	in, err := openInput(path, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer in.close()
	g := &group{}
	_, err = decodeInput(in, Options{}, g, &Result{})
	return g, in.gz.out, time.Since(start), err
}

// TestGzipBombsBounded checks that what follows the last usable byte of a
// compressed input is read only so far: a trace header, a whole trace, a
// gctrace log and a latency log each followed by 2 GiB of zeros or of text
// the decoder cannot use. Decompression stops within the bounds the
// decoders enforce (64 MiB past the usable part, which is small here),
// whatever the machine's speed; what came before is analysed or the
// input refused with one line, as without the filler.
func TestGzipBombsBounded(t *testing.T) {
	if testing.Short() {
		t.Skip("decompresses up to a few hundred MB")
	}
	tr, err := os.ReadFile(filepath.Join(recordings, "memlimit", "trace.out"))
	if err != nil {
		t.Fatal(err)
	}
	log, err := os.ReadFile(filepath.Join(recordings, "memlimit", "gctrace.log"))
	if err != nil {
		t.Fatal(err)
	}
	// The heads are longer than what recognises an input (sniffSize), so
	// that the zeros do not make it binary data at once.
	log = append(log, strings.Repeat("INFO started\n", sniffSize/10)...)
	var latency bytes.Buffer
	for i := range 2000 {
		fmt.Fprintf(&latency, "{\"start\":%d,\"duration_us\":%d}\n", 1795687200000+int64(i)*10, 1000+i)
	}
	const zeros, appLine = "\x00", "INFO request served\n"
	for _, tc := range []struct {
		name         string
		head, filler string
		usable       bool
	}{
		{"trace header, zeros", string(tr[:16]), zeros, false},
		{"trace, zeros", string(tr), zeros, true},
		{"trace, text", string(tr), appLine, true},
		{"gctrace, zeros", string(log), zeros, true},
		{"gctrace, text", string(log), appLine, true},
		{"latency, zeros", latency.String(), zeros, true},
		{"latency, text", latency.String(), appLine, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			path := writeBomb(t, []byte(tc.head), []byte(tc.filler))
			g, read, took, err := decodeBomb(t, path)
			t.Logf("%s: decompressed %d MiB in %v: %v", tc.name, read>>20, took, err)
			if limit := int64(len(tc.head)) + 64<<20 + 8<<20; read > limit {
				t.Errorf("decompressed %d bytes of %d, want at most %d", read, len(tc.head)+bombSize, limit)
			}
			// The bound is on the bytes decompressed, checked above; the
			// time only catches a hang (a machine shared with other work
			// can take 12 s for what takes 0.4 s alone).
			if took > time.Minute {
				t.Errorf("took %v", took)
			}
			if got := err == nil; got != tc.usable {
				t.Fatalf("usable %v (%v), want %v", got, err, tc.usable)
			}
			if err != nil && strings.Count(err.Error(), "\n") > 0 {
				t.Errorf("error of several lines: %q", err)
			}
			var warnings []string
			for _, runs := range [][]*model.Run{g.traces, g.gctraces} {
				for _, r := range runs {
					warnings = append(warnings, r.Warnings...)
				}
			}
			for _, l := range g.latency {
				warnings = append(warnings, l.Warnings...)
			}
			if tc.usable && !hasWarning(warnings, "not read") {
				t.Errorf("warnings %q do not say the rest was not read", warnings)
			}
		})
	}
}

// TestOldFormatGzipBombBounded: x/exp reads a Go ≤1.21 trace whole before
// it parses a byte, so the unusable-stretch rule cannot stop a bomb with
// such a header; instead a gzipped one may decompress to at most 50× its
// file plus 64 MiB, and is refused with one line beyond that.
func TestOldFormatGzipBombBounded(t *testing.T) {
	if testing.Short() {
		t.Skip("decompresses a few hundred MB")
	}
	head := make([]byte, 16)
	copy(head, "go 1.21 trace")
	path := writeBomb(t, head, []byte("\x00"))
	st, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	_, read, took, err := decodeBomb(t, path)
	t.Logf("decompressed %d MiB of a %d KiB file in %v: %v", read>>20, st.Size()>>10, took, err)
	if limit := maxWholeTrace(st.Size()) + 8<<20; read > limit {
		t.Errorf("decompressed %d bytes, want at most %d", read, limit)
	}
	if err == nil || !strings.Contains(err.Error(), "read whole") || strings.Contains(err.Error(), "\n") {
		t.Errorf("error %v: want one line saying an old trace is read whole", err)
	}
	if took > 20*time.Second {
		t.Errorf("took %v", took)
	}
}
