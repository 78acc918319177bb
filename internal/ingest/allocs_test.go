package ingest

import (
	"bytes"
	"os"
	"runtime"
	"runtime/pprof"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

var sink [][]byte

//go:noinline
func allocateLots() {
	for i := 0; i < 2000; i++ {
		sink = append(sink, make([]byte, 4096))
	}
}

// TestReadAllocsRanksOwnCode writes a real allocs profile of this test
// process after a known function allocated about 8 MB, and checks that the
// function is ranked first with the bytes it allocated, under its own name
// rather than runtime.mallocgc.
func TestReadAllocsRanksOwnCode(t *testing.T) {
	old := runtime.MemProfileRate
	runtime.MemProfileRate = 1
	defer func() { runtime.MemProfileRate = old }()
	sink = make([][]byte, 0, 2000) // so that only the 4 KiB buffers are allocated inside
	allocateLots()
	sink = nil
	runtime.GC() // the profile publishes at the end of a cycle
	runtime.GC()
	var buf bytes.Buffer
	if err := pprof.Lookup("allocs").WriteTo(&buf, 0); err != nil {
		t.Fatal(err)
	}
	ap, err := readAllocs(&buf, "allocs.pb.gz")
	if err != nil {
		t.Fatal(err)
	}
	if ap.SampleType != "alloc_space" || len(ap.Sites) == 0 {
		t.Fatalf("profile %+v", ap)
	}
	var mine int64
	for _, s := range ap.Sites {
		if strings.HasPrefix(s.Function, "runtime.") {
			t.Errorf("runtime frame ranked as a site: %s", s.Function)
		}
		if strings.HasSuffix(s.Function, "allocateLots") {
			mine += s.Bytes
		}
	}
	// 2000 × 4096 bytes, each in a 4096-byte size class. The runtime may
	// charge a few hundred bytes of its own bookkeeping to the same
	// frame (seen: 368), never a whole buffer more.
	if want := int64(2000 * 4096); mine < want || mine >= want+4096 {
		t.Errorf("allocateLots allocated %d bytes by the profile, want %d", mine, want)
	}
	if !strings.HasSuffix(ap.Sites[0].Function, "allocateLots") {
		t.Errorf("top site %s, want allocateLots", ap.Sites[0].Function)
	}
}

func TestReadAllocsRejectsCPUProfile(t *testing.T) {
	var buf bytes.Buffer
	if err := pprof.StartCPUProfile(&buf); err != nil {
		t.Skip("cpu profile:", err)
	}
	pprof.StopCPUProfile()
	if _, err := readAllocs(&buf, "cpu.pprof"); err == nil || !strings.Contains(err.Error(), "not a heap or allocs profile") {
		t.Errorf("err = %v", err)
	}
}

func TestIsStdFrame(t *testing.T) {
	for fn, want := range map[string]bool{
		"encoding/json.Marshal": true, "fmt.Sprintf": true, "reflect.growslice": true,
		"main.(*catalog).price.func2": false, "github.com/x/y.(*T).F": false, "golang.org/x/exp/trace.(*Reader).ReadEvent": false,
		"internal/poll.(*FD).Read": true, "weird": false,
	} {
		if got := isStdFrame(fn); got != want {
			t.Errorf("isStdFrame(%q) = %v, want %v", fn, got, want)
		}
	}
}

// TestReadAllocsOrderIsStable reads a recorded profile whose sites tie on
// bytes, function and line (main.newCatalog:49 directly and through
// fmt.Sprintf) many times: the order must not follow map iteration.
func TestReadAllocsOrderIsStable(t *testing.T) {
	data, err := os.ReadFile("../../examples/testdata/tune-after/allocs.pb.gz")
	if err != nil {
		t.Skip(err)
	}
	first, err := readAllocs(bytes.NewReader(data), "allocs.pb.gz")
	if err != nil {
		t.Fatal(err)
	}
	for i := range 30 {
		again, err := readAllocs(bytes.NewReader(data), "allocs.pb.gz")
		if err != nil {
			t.Fatal(err)
		}
		if d := cmp.Diff(first.Sites, again.Sites); d != "" {
			t.Fatalf("read %d ranks the sites differently (-first +again):\n%s", i+2, d)
		}
	}
}
