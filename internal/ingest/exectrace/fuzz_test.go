package exectrace

import (
	"bytes"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/gcwatch/gcwatch/internal/model"
)

var updateSeeds = flag.Bool("update-seeds", false, "rewrite testdata/fuzz/FuzzRead from a fresh small trace")

// TestWriteFuzzSeeds regenerates the FuzzRead seed corpus: a small real
// trace and cut and corrupted variants of it.
//
//	go test -run TestWriteFuzzSeeds -update-seeds
func TestWriteFuzzSeeds(t *testing.T) {
	if !*updateSeeds {
		t.Skip("run with -update-seeds to regenerate")
	}
	data, _ := traced(t, workload{tasks: 1, workers: 1, alloc: 4 << 10, forced: 1})
	corrupt := bytes.Clone(data)
	for i := len(corrupt) / 2; i < len(corrupt)/2+16; i++ {
		corrupt[i] ^= 0xa5
	}
	seeds := map[string][]byte{
		"small":   data,
		"cut":     data[:len(data)/3],
		"corrupt": corrupt,
	}
	dir := filepath.Join("testdata", "fuzz", "FuzzRead")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	for name, b := range seeds {
		body := fmt.Sprintf("go test fuzz v1\n[]byte(%s)\n", strconv.Quote(string(b)))
		if err := os.WriteFile(filepath.Join(dir, name), []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

// fuzzReadLimit bounds one read of a fuzz input (at most a few KB; a read
// takes milliseconds): longer is a hang, which the fuzzer cannot see by
// itself.
const fuzzReadLimit = 10 * time.Second

// readWithin reads data, failing the test when the read takes longer than
// limit.
func readWithin(t *testing.T, data []byte, opts Options, limit time.Duration) (*model.Run, error) {
	t.Helper()
	type result struct {
		run *model.Run
		err error
	}
	done := make(chan result, 1)
	go func() {
		run, err := Read(bytes.NewReader(data), "fuzz", opts)
		done <- result{run, err}
	}()
	select {
	case r := <-done:
		return r.run, r.err
	case <-time.After(limit):
		t.Fatalf("%+v: read of %d bytes still running after %v", opts, len(data), limit)
		return nil, nil
	}
}

// FuzzRead feeds arbitrary bytes to both read paths: they must never
// panic or hang, and what they return must hang together.
func FuzzRead(f *testing.F) {
	f.Add([]byte("go 1.26 trace\x00\x00\x00"))
	f.Add([]byte("go 1.21 trace\x00\x00\x00\x01\x02"))
	f.Fuzz(func(t *testing.T, data []byte) {
		for _, opts := range []Options{{Workers: 2}, {whole: true}, {Workers: 2, Stacks: true}} {
			run, err := readWithin(t, data, opts, fuzzReadLimit)
			if run == nil {
				if err == nil {
					t.Fatalf("%+v: no run and no error", opts)
				}
				continue
			}
			if run.End < run.Start {
				t.Fatalf("%+v: window [%d, %d]", opts, run.Start, run.End)
			}
			if run.Stats.Bytes != int64(len(data)) {
				t.Fatalf("%+v: %d bytes counted of %d", opts, run.Stats.Bytes, len(data))
			}
			for i, c := range run.Cycles {
				if c.End < c.Start {
					t.Fatalf("%+v: cycle %d ends before it starts: %+v", opts, i, c)
				}
			}
			for _, p := range run.Pauses {
				if p.Duration < 0 {
					t.Fatalf("%+v: pause %+v", opts, p)
				}
			}
			checkStacks(t, run)
		}
	})
}
