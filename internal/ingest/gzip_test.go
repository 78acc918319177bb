package ingest

import (
	"bytes"
	"compress/gzip"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func gzipped(t *testing.T, data []byte) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	zw.Write(data)
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// salvage is what a plain gzip reader gets out of data before it fails.
func salvage(t *testing.T, data []byte) ([]byte, error) {
	t.Helper()
	zr, err := gzip.NewReader(bytes.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	out, err := io.ReadAll(zr)
	if err == nil {
		t.Fatal("the damaged stream read without an error")
	}
	return out, err
}

func loadOne(t *testing.T, name string, data []byte) (*Result, error) {
	t.Helper()
	path := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(path, data, 0o644); err != nil {
		t.Fatal(err)
	}
	return Load([]string{path}, Options{})
}

func hasWarning(ws []string, sub string) bool {
	for _, w := range ws {
		if strings.Contains(w, sub) {
			return true
		}
	}
	return false
}

// TestGzipDamagedLog checks that a gzip-compressed gctrace log cut short
// or corrupted is analysed as far as it decompresses, with a warning
// saying where it broke: the same cycles as the plain text a gzip reader
// salvages from it.
func TestGzipDamagedLog(t *testing.T) {
	log, err := os.ReadFile(filepath.Join(recordings, "memlimit", "gctrace.log"))
	if err != nil {
		t.Fatal(err)
	}
	z := gzipped(t, log)
	corrupt := bytes.Clone(z)
	for i := len(z) / 2; i < len(z)/2+8; i++ {
		corrupt[i] ^= 0x5a
	}
	for _, tc := range []struct {
		name string
		data []byte
		want string
	}{
		{"cut", z[:len(z)/2], "the gzip stream is cut short"},
		{"corrupt", corrupt, "the gzip stream is damaged"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			plain, zerr := salvage(t, tc.data)
			want, err := loadOne(t, "plain.log", plain)
			if err != nil {
				t.Fatalf("salvaged text: %v", err)
			}
			got, err := loadOne(t, "gctrace.log.gz", tc.data)
			if err != nil {
				t.Fatalf("Load: %v", err)
			}
			if len(got.Runs) != 1 || len(got.Runs[0].Cycles) != len(want.Runs[0].Cycles) || len(got.Runs[0].Cycles) == 0 {
				t.Fatalf("%d runs; cycles %d, want %d from the %d bytes a gzip reader salvages (%v)",
					len(got.Runs), len(got.Runs[0].Cycles), len(want.Runs[0].Cycles), len(plain), zerr)
			}
			// The bytes it reports decompressed are the ones a gzip
			// reader salvages.
			wantWarning := fmt.Sprintf("%s (%v) after %d bytes of the file, %d bytes decompressed", tc.want, zerr, len(tc.data), len(plain))
			if !hasWarning(got.Runs[0].Warnings, wantWarning) {
				t.Errorf("warnings %q lack %q", got.Runs[0].Warnings, wantWarning)
			}
		})
	}
}

// TestGzipDamagedTrace checks a compressed trace cut short: the error (or,
// when a generation was complete, the warning) says the gzip stream broke.
func TestGzipDamagedTrace(t *testing.T) {
	tr, err := os.ReadFile(filepath.Join(recordings, "bigheap", "trace.out"))
	if err != nil {
		t.Fatal(err)
	}
	z := gzipped(t, tr)
	for _, cut := range []int{len(z) / 20, len(z) * 9 / 10} {
		res, err := loadOne(t, "trace.out.gz", z[:cut])
		switch {
		case err != nil:
			if !strings.Contains(err.Error(), "gzip stream broke") {
				t.Errorf("cut at %d of %d: error %q does not name the gzip damage", cut, len(z), err)
			}
		case len(res.Runs) != 1 || !hasWarning(res.Runs[0].Warnings, "the gzip stream is cut short"):
			t.Errorf("cut at %d of %d: %d runs, warnings %q", cut, len(z), len(res.Runs), res.Runs[0].Warnings)
		}
	}
}

// TestGzipBrokenEarly checks gzip streams that break at once (nothing
// decompressed) or after a few bytes: the error names the gzip damage.
func TestGzipBrokenEarly(t *testing.T) {
	for _, tc := range []struct{ data, want string }{
		{"\x1f\x8b\x08\x00garbage", "the gzip stream is damaged before any data"},
		// The whole 14-byte file was read; flate made 3 bytes of "junk".
		{"\x1f\x8b\x08\x00\x00\x00\x00\x00\x00\xffjunk", "its gzip stream broke after 14 bytes of the file, 3 bytes decompressed"},
	} {
		_, err := loadOne(t, "bad.gz", []byte(tc.data))
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%q: error %v, want %q", tc.data, err, tc.want)
		}
	}
}
