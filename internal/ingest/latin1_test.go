package ingest

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestLatin1ApplicationOutput reads a gctrace log whose application output
// at the top is in ISO-8859-1, as a service that logs in French under a
// Latin-1 locale writes it: the bytes that are not UTF-8 must not make the
// log binary data, and every gc line must be read.
func TestLatin1ApplicationOutput(t *testing.T) {
	gc, err := os.ReadFile(filepath.Join(recordings, "allocheavy-p2-gogc100", "gctrace.log"))
	if err != nil {
		t.Fatal(err)
	}
	want := 0
	for _, line := range strings.Split(string(gc), "\n") {
		if strings.HasPrefix(line, "gc ") {
			want++
		}
	}
	// "Démarrage du serveur…" and friends in Latin-1: é is 0xe9, à 0xe0,
	// the ellipsis written as three dots (Latin-1 has none).
	var log bytes.Buffer
	for range 4 {
		log.WriteString("D\xe9marrage du serveur...\n")
		log.WriteString("Param\xe8tres charg\xe9s \xe0 partir de /etc/app.conf\n")
		log.WriteString("Connexion \xe0 la base de donn\xe9es \xe9tablie\n")
	}
	log.Write(gc)
	path := filepath.Join(t.TempDir(), "gctrace.log")
	if err := os.WriteFile(path, log.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	res, err := Load([]string{path}, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Runs) != 1 {
		t.Fatalf("%d runs, want 1", len(res.Runs))
	}
	if got := len(res.Runs[0].Cycles); got != want {
		t.Errorf("%d cycles read, want the log's %d gc lines", got, want)
	}
}

func TestRecogniseTextNotUTF8(t *testing.T) {
	gcLine := "gc 1 @0.010s 1%: 0.010+0.20+0.003 ms clock, 0.021+0.1/0.2/0.3+0.007 ms cpu, 4->4->0 MB, 4 MB goal, 0 MB stacks, 0 MB globals, 2 P\n"
	latin1 := strings.Repeat("caf\xe9 cr\xe8me br\xfbl\xe9e \xa9 \xbd\n", 50)
	random := make([]byte, 4096)
	x := uint32(1)
	for i := range random {
		x = x*1664525 + 1013904223
		random[i] = byte(x >> 24)
	}
	for _, tc := range []struct {
		name string
		in   string
		want kindOf
	}{
		{"latin-1 then gc", latin1 + gcLine, gctraceKind},
		{"latin-1 only", latin1, textKind},
		{"windows-1252 quotes", "\x93quoted\x94 \x85\n" + gcLine, gctraceKind},
		{"random bytes", string(random), unknownKind},
		{"zeros", strings.Repeat("\x00", 4096), unknownKind},
		{"text then zeros", latin1 + strings.Repeat("\x00", 4096), unknownKind},
	} {
		if got, _ := recognise([]byte(tc.in)); got != tc.want {
			t.Errorf("%s: recognise = %v, want %v", tc.name, got, tc.want)
		}
	}
}
