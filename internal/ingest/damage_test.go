package ingest

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// maxMessageLen bounds one warning or error about an input, apart from
// the file's name.
const maxMessageLen = 300

// TestDamageMessagesOneLine damages shipped traces at many offsets (a
// byte flipped, zeroed or set to a batch header's first byte) and checks
// every message Load gives, warning, note or error, is one line of
// bounded length that names the file: never x/exp's dump of its state.
func TestDamageMessagesOneLine(t *testing.T) {
	if testing.Short() {
		t.Skip("loads a few hundred damaged traces")
	}
	dir := t.TempDir()
	mutations := 0
	for _, rec := range []string{"memlimit", "stwmix-p4", "lockbound"} {
		orig, err := os.ReadFile(filepath.Join(recordings, rec, "trace.out"))
		if err != nil {
			t.Fatal(err)
		}
		path := filepath.Join(dir, rec+".trace")
		const offsets = 40
		for i := range offsets {
			off := 16 + (len(orig)-16)*i/offsets + i%7
			for _, set := range []func(byte) byte{
				func(b byte) byte { return b ^ 0xff },
				func(byte) byte { return 0 },
				func(byte) byte { return 1 },
			} {
				data := append([]byte(nil), orig...)
				data[off] = set(data[off])
				if err := os.WriteFile(path, data, 0o644); err != nil {
					t.Fatal(err)
				}
				mutations++
				res, err := Load([]string{path}, Options{})
				var msgs []string
				if err != nil {
					msgs = append(msgs, err.Error())
				}
				if res != nil {
					msgs = append(msgs, res.Notes...)
					for _, r := range res.Runs {
						msgs = append(msgs, r.Warnings...)
					}
				}
				for _, m := range msgs {
					n := len(strings.ReplaceAll(m, path, ""))
					if strings.ContainsAny(m, "\n\r") || n > maxMessageLen || !strings.Contains(m, path) {
						t.Errorf("%s byte %d: message of %d bytes besides the file name, %d lines, not one line of at most %d naming the file: %.600q",
							rec, off, n, strings.Count(m, "\n")+1, maxMessageLen, m)
					}
				}
			}
		}
	}
	t.Logf("%d mutations", mutations)
}
