package ingest

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// FuzzReadManifest feeds arbitrary bytes to the reader of a capture
// folder's description (meta.json): it must not panic or hang, and a
// problem must be one line of bounded length naming the file.
func FuzzReadManifest(f *testing.F) {
	f.Add([]byte(`{"gogc": 100, "gomemlimit": "2GiB"}`))
	f.Add([]byte(`{"gogc": "off", "env": {"GOMEMLIMIT": "9223372036854775807"}}`))
	f.Add([]byte(`{"env": {"GOGC": "-1", "GOMEMLIMIT": "1e400"}}`))
	f.Add([]byte(`[1, 2]`))
	if meta, err := os.ReadFile(filepath.Join(recordings, "memlimit", "meta.json")); err == nil {
		f.Add(meta)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		path := filepath.Join(t.TempDir(), "meta.json")
		if err := os.WriteFile(path, data, 0o644); err != nil {
			t.Fatal(err)
		}
		done := make(chan error, 1)
		go func() {
			_, err := readManifest(path)
			done <- err
		}()
		var err error
		select {
		case err = <-done:
		case <-time.After(5 * time.Second):
			t.Fatalf("reading a %d-byte manifest still running after 5s", len(data))
		}
		if err == nil {
			return
		}
		m := err.Error()
		if n := len(strings.ReplaceAll(m, path, "")); strings.ContainsAny(m, "\n\r") || n > maxMessageLen || !strings.HasPrefix(m, path+": ") {
			t.Errorf("error of %d bytes besides the name, not one line of at most %d starting with the file: %.300q", n, maxMessageLen, m)
		}
	})
}
