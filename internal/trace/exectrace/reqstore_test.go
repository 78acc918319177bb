package exectrace

import (
	"errors"
	"math"
	"math/rand/v2"
	"os"
	"slices"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/gcwatch/gcwatch/internal/model"
)

// storedRequest is a request with the goroutines it lists.
type storedRequest struct {
	r    requestRec
	gors []uint64
}

// storeInput makes n requests with deltas of every sign and extreme
// values.
func storeInput(n int) []storedRequest {
	rng := rand.New(rand.NewPCG(1, 2))
	var in []storedRequest
	for i := range n {
		r := requestRec{
			id: uint64(i + 1), start: model.Time(i * 1000), end: model.Time(i*1000 + rng.IntN(1e6)),
			running: time.Duration(rng.IntN(1e6)), runnable: time.Duration(rng.IntN(1e3)),
			blocked: time.Duration(rng.Int64()), total: rng.IntN(100),
			typ: uint32(rng.IntN(4)), open: i%7 == 0,
		}
		var gors []uint64
		for k := range rng.IntN(4) {
			gors = append(gors, uint64(i+k*rng.IntN(1000)))
		}
		if i%3 == 0 {
			r.parent = uint64(rng.IntN(i + 1))
		}
		if i%5 == 0 { // pause stacks, as when reading stacks
			r.pauses, r.pauseN = i*2, uint32(1+rng.IntN(3))
		}
		if i%101 == 0 { // out of order and extreme
			r.id, r.parent = math.MaxUint64-uint64(i), math.MaxUint64
			r.start, r.end = math.MinInt64+1, math.MaxInt64
			r.syscall, r.assist, r.sweep, r.runnableDuringMark = -1, math.MaxInt64, math.MinInt64, 1
			r.typ = math.MaxUint32
			r.pauses, r.pauseN = math.MaxInt64, math.MaxUint32
			gors = []uint64{math.MaxUint64, 0, math.MaxUint64 / 3}
		}
		if i%997 == 0 { // as many goroutines as a request lists
			gors = nil
			for k := range maxListedGoroutines {
				gors = append(gors, uint64(rng.Int64()>>(k%60)))
			}
		}
		r.listed = len(gors)
		in = append(in, storedRequest{r, gors})
	}
	return in
}

// checkStore adds in to s, drains it and compares; it returns how many
// came out and the drain's error.
func checkStore(t *testing.T, s *requestStore, in []storedRequest) (int, error) {
	t.Helper()
	for _, x := range in {
		s.add(x.r, x.gors)
	}
	if s.n != len(in) {
		t.Fatalf("%d requests stored, want %d", s.n, len(in))
	}
	i := 0
	err := s.drain(func(r *requestRec, gors []uint64) {
		if i < len(in) && (*r != in[i].r || !slices.Equal(gors, in[i].gors)) {
			t.Fatalf("request %d: got %+v %v, want %+v %v", i, *r, gors, in[i].r, in[i].gors)
		}
		i++
	})
	if s.n != 0 || s.blocks != nil || s.file != nil {
		t.Errorf("store left with %d requests, %d blocks, file %v", s.n, len(s.blocks), s.file)
	}
	return i, err
}

// TestRequestStoreRoundTrip checks that requests and their goroutines
// come out of the store as they went in, in order, across blocks, kept in
// memory and spilled to a file.
func TestRequestStoreRoundTrip(t *testing.T) {
	in := storeInput(40_000)
	for _, spill := range []int{math.MaxInt, 0, 200 << 10} {
		spillAfter0 := spillAfter
		spillAfter = spill
		var s requestStore
		for _, x := range in[:len(in)/2] {
			s.add(x.r, x.gors)
		}
		filed, blocks := s.filed, len(s.blocks)
		spillAfter = spillAfter0
		if (spill == math.MaxInt) != (filed == 0) || blocks < 1 || spill == math.MaxInt && blocks < 2 {
			t.Fatalf("spillAfter %d: %d bytes in the file, %d blocks in memory", spill, filed, blocks)
		}
		s = requestStore{}
		spillAfter = spill
		n, err := checkStore(t, &s, in)
		spillAfter = spillAfter0
		if n != len(in) || err != nil {
			t.Errorf("spillAfter %d: drained %d of %d: %v", spill, n, len(in), err)
		}
	}
}

// failingFile is a spill file whose writes fail after a number of bytes,
// part of the write that crosses it landing in the file.
type failingFile struct {
	data  []byte
	left  int
	reads error // ReadAt's error, when set
}

func (f *failingFile) Write(p []byte) (int, error) {
	if len(p) > f.left {
		f.data = append(f.data, p[:f.left]...)
		n := f.left
		f.left = 0
		return n, errors.New("no space left on device")
	}
	f.data = append(f.data, p...)
	f.left -= len(p)
	return len(p), nil
}

func (f *failingFile) ReadAt(p []byte, off int64) (int, error) {
	if f.reads != nil {
		return 0, f.reads
	}
	if off >= int64(len(f.data)) {
		return 0, errors.New("EOF")
	}
	n := copy(p, f.data[off:])
	return n, nil
}

func (f *failingFile) Close() error { return nil }

// TestRequestStoreSpillFails checks the fallbacks: a file that cannot be
// created, and one that fails after some blocks (mid-block, mid-header),
// keep the rest in memory and lose nothing; a file that cannot be read
// back is an error, not missing requests.
func TestRequestStoreSpillFails(t *testing.T) {
	in := storeInput(30_000)
	create0, spillAfter0 := createSpill, spillAfter
	defer func() { createSpill, spillAfter = create0, spillAfter0 }()
	spillAfter = 0

	createSpill = func() (spillFile, error) { return nil, errors.New("read-only file system") }
	if n, err := checkStore(t, &requestStore{}, in); n != len(in) || err != nil {
		t.Errorf("no file: drained %d of %d: %v", n, len(in), err)
	}
	for _, after := range []int{0, 2, 100, reqBlockSize + 1, 3*reqBlockSize + 7} {
		var f *failingFile
		createSpill = func() (spillFile, error) { f = &failingFile{left: after}; return f, nil }
		var s requestStore
		if n, err := checkStore(t, &s, in); n != len(in) || err != nil {
			t.Errorf("a file failing after %d bytes: drained %d of %d: %v", after, n, len(in), err)
		}
		if f == nil || len(f.data) != after {
			t.Errorf("a file failing after %d bytes: the store wrote %d", after, len(f.data))
		}
	}
	createSpill = func() (spillFile, error) {
		return &failingFile{left: math.MaxInt, reads: errors.New("input/output error")}, nil
	}
	if _, err := checkStore(t, &requestStore{}, in); err == nil {
		t.Error("a file that cannot be read back: no error")
	}
}

// TestRequestStoreTempFile checks that the store's file goes where
// temporary files go and is not left there.
func TestRequestStoreTempFile(t *testing.T) {
	dir := t.TempDir()
	t.Setenv("TMPDIR", dir)
	spillAfter0 := spillAfter
	defer func() { spillAfter = spillAfter0 }()
	spillAfter = 0
	var s requestStore
	for _, x := range storeInput(10_000) {
		s.add(x.r, x.gors)
	}
	if s.filed == 0 {
		t.Fatal("nothing spilled")
	}
	if err := s.drain(func(*requestRec, []uint64) {}); err != nil {
		t.Fatal(err)
	}
	if left, _ := os.ReadDir(dir); len(left) != 0 {
		t.Errorf("%d files left in the temporary folder", len(left))
	}
	t.Setenv("TMPDIR", dir+"/missing")
	if _, err := checkStore(t, &requestStore{}, storeInput(5_000)); err != nil {
		t.Errorf("no temporary folder: %v", err)
	}
}

// TestSpilledRunMatches checks that a run whose requests went through a
// temporary file is the run kept in memory gives, on every example trace
// and a live one, with tasks, inferred requests and pause stacks.
func TestSpilledRunMatches(t *testing.T) {
	traces := exampleTraces(t)
	live, _ := traced(t, workload{tasks: 40, workers: 2, alloc: 128 << 10, forced: 2})
	traces["live"] = live
	create0, spillAfter0 := createSpill, spillAfter
	defer func() { createSpill, spillAfter = create0, spillAfter0 }()
	files := 0
	createSpill = func() (spillFile, error) { files++; return create0() }
	for name, data := range traces {
		for _, opts := range []Options{{}, {InferRequests: InferAlways, Stacks: true, Workers: 1}} {
			spillAfter = math.MaxInt
			kept := mustRead(t, data, opts)
			spillAfter = 0
			spilled := mustRead(t, data, opts)
			if d := cmp.Diff(kept, spilled); d != "" {
				t.Errorf("%s %+v: in memory vs spilled (-+):\n%s", name, opts, d)
			}
		}
	}
	if files == 0 {
		t.Error("no run spilled its requests")
	}
}
