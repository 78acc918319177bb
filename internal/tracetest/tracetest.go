// Package tracetest reads an execution trace's raw events for tests.
//
// The tests that check gcwatch's ingest against an independent reading of
// the same trace read it here, through golang.org/x/exp/trace alone and
// nothing of gcwatch's, so that every such reading fails the same way:
// the test stops at the first error, naming the trace.
package tracetest

import (
	"bufio"
	"bytes"
	"errors"
	"io"
	"iter"
	"os"
	"testing"

	exptrace "golang.org/x/exp/trace"
)

// Events yields every event of the trace in the file at path, in order.
// A trace that cannot be read fails t.
func Events(t testing.TB, path string) iter.Seq[exptrace.Event] {
	t.Helper()
	return func(yield func(exptrace.Event) bool) {
		f, err := os.Open(path)
		if err != nil {
			t.Fatal(err)
		}
		defer f.Close()
		read(t, path, bufio.NewReader(f), yield)
	}
}

// EventsOf yields every event of the trace in data; name says which
// trace it is in failures.
func EventsOf(t testing.TB, name string, data []byte) iter.Seq[exptrace.Event] {
	t.Helper()
	return func(yield func(exptrace.Event) bool) {
		read(t, name, bytes.NewReader(data), yield)
	}
}

func read(t testing.TB, name string, r io.Reader, yield func(exptrace.Event) bool) {
	t.Helper()
	tr, err := exptrace.NewReader(r)
	if err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	for {
		ev, err := tr.ReadEvent()
		if errors.Is(err, io.EOF) {
			return
		}
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if !yield(ev) {
			return
		}
	}
}
