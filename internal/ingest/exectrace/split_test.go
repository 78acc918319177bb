package exectrace

import (
	"bufio"
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/gcwatch/gcwatch/internal/model"
)

// exampleTraces are engineer D's recorded example traces (Go 1.26, some
// with several generations).
func exampleTraces(t *testing.T) map[string][]byte {
	t.Helper()
	files, _ := filepath.Glob("../../../examples/testdata/*/trace.out")
	if len(files) == 0 {
		t.Skip("no example traces in examples/testdata")
	}
	out := map[string][]byte{}
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		out[filepath.Base(filepath.Dir(f))] = data
	}
	return out
}

func mustRead(t *testing.T, data []byte, opts Options) *model.Run {
	t.Helper()
	run, err := Read(bytes.NewReader(data), "t.trace", opts)
	if err != nil {
		t.Fatalf("Read(%+v): %v", opts, err)
	}
	return run
}

// TestSplitMatchesWhole checks that reading each generation with its own
// x/exp reader, one or two at a time, gives exactly the run that one
// reader over the whole stream gives.
func TestSplitMatchesWhole(t *testing.T) {
	traces := exampleTraces(t)
	live, _ := traced(t, workload{tasks: 40, workers: 2, alloc: 128 << 10, forced: 2})
	traces["live"] = live
	if path := os.Getenv("GCWATCH_BENCH_TRACE"); path != "" {
		data, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		traces["bench"] = data
	}
	multi := 0
	for name, data := range traces {
		t.Run(name, func(t *testing.T) {
			whole := mustRead(t, data, Options{whole: true})
			one := mustRead(t, data, Options{Workers: 1})
			two := mustRead(t, data, Options{Workers: 2})
			if d := cmp.Diff(whole, one); d != "" {
				t.Errorf("whole stream vs one worker (-+):\n%s", d)
			}
			if d := cmp.Diff(one, two); d != "" {
				t.Errorf("one worker vs two (-+):\n%s", d)
			}
			if one.Stats.Generations > 1 {
				multi++
			}
		})
	}
	if multi == 0 {
		t.Errorf("no trace had more than one generation")
	}
}

// generationEnds returns the offsets at which each generation of an
// intact trace ends.
func generationEnds(t *testing.T, data []byte) []int64 {
	t.Helper()
	v, _ := formatVersion(data)
	sp := &splitter{r: bufio.NewReader(bytes.NewReader(data[headerLen:])), version: v, off: headerLen}
	var ends []int64
	for {
		p, ok := sp.next()
		if !ok {
			return ends
		}
		if p.dmg != nil {
			t.Fatalf("intact trace reported damaged: %+v", p.dmg)
		}
		ends = append(ends, p.gen.offset+p.gen.size)
	}
}

func TestTruncated(t *testing.T) {
	traces := exampleTraces(t)
	data := traces["bigheap"]
	if data == nil {
		t.Skip("no bigheap example")
	}
	ends := generationEnds(t, data)
	if len(ends) < 2 || ends[len(ends)-1] != int64(len(data)) {
		t.Fatalf("generation ends %v for %d bytes", ends, len(data))
	}
	whole := mustRead(t, data, Options{})
	var cuts []int64
	for i := int64(1); i < 60; i++ {
		cuts = append(cuts, int64(len(data))*i/60)
	}
	for _, e := range ends[:len(ends)-1] {
		cuts = append(cuts, e-1, e, e+1)
	}
	cuts = append(cuts, 0, 5, headerLen, headerLen+1)
	for _, cut := range cuts {
		run, err := Read(bytes.NewReader(data[:cut]), "cut.trace", Options{})
		good := 0
		for _, e := range ends {
			if e <= cut {
				good++
			}
		}
		if good == 0 {
			if err == nil || run != nil {
				t.Errorf("cut at %d: run %v, err %v; want no run and an error", cut, run != nil, err)
			}
			continue
		}
		var dmg *DamageError
		if !errors.As(err, &dmg) {
			if cut != ends[good-1] {
				t.Errorf("cut at %d: err %v, want a DamageError", cut, err)
			}
			continue
		}
		lost := cut - ends[good-1]
		if run == nil || run.Stats.Generations != good || dmg.GoodGenerations != good ||
			dmg.LostBytes != lost || run.Stats.LostBytes != lost || dmg.Offset < ends[good-1] || dmg.Offset > cut {
			t.Errorf("cut at %d: generations %d, damage %+v; want %d generations, %d bytes lost after offset %d",
				cut, run.Stats.Generations, dmg, good, lost, ends[good-1])
		}
		if len(run.Warnings) == 0 || run.Start != whole.Start {
			t.Errorf("cut at %d: warnings %q, start %d (want %d)", cut, run.Warnings, run.Start, whole.Start)
		}
	}
}

func TestCorruptedMiddle(t *testing.T) {
	data := exampleTraces(t)["bigheap"]
	if data == nil {
		t.Skip("no bigheap example")
	}
	ends := generationEnds(t, data)
	if len(ends) < 3 {
		t.Skipf("need 3 generations, have %d", len(ends))
	}
	// Break the first batch header of the second generation.
	bad := bytes.Clone(data)
	at := ends[0]
	bad[at] = 0xee
	run, err := Read(bytes.NewReader(bad), "bad.trace", Options{})
	var dmg *DamageError
	if !errors.As(err, &dmg) {
		t.Fatalf("err %v, want a DamageError", err)
	}
	if dmg.Offset != at || dmg.LostBytes != ends[1]-ends[0] {
		t.Errorf("damage %+v, want offset %d and %d bytes lost", dmg, at, ends[1]-ends[0])
	}
	// The third generation is self-contained: it is analysed too.
	if run.Stats.Generations != len(ends)-1 || dmg.GoodGenerations != len(ends)-1 {
		t.Errorf("generations %d (damage says %d), want %d", run.Stats.Generations, dmg.GoodGenerations, len(ends)-1)
	}
	if len(run.Warnings) != 2 || !strings.Contains(run.Warnings[1], "analysed on their own") {
		t.Errorf("warnings %q, want the damage and the resumption", run.Warnings)
	}
	want := "bad.trace: damaged at byte offset"
	if got := dmg.Error(); !bytes.Contains([]byte(got), []byte(want)) {
		t.Errorf("error %q does not start with %q", got, want)
	}
}

// TestCorruptedAnywhere overwrites bytes all over a trace: Read must never
// panic or hang, and whatever it returns must be consistent.
func TestCorruptedAnywhere(t *testing.T) {
	data := exampleTraces(t)["stwmix-p2"]
	if data == nil {
		t.Skip("no stwmix-p2 example")
	}
	for i := 0; i < 80; i++ {
		at := headerLen + (len(data)-headerLen)*i/80
		bad := bytes.Clone(data)
		for j := at; j < min(at+8, len(bad)); j++ {
			bad[j] ^= 0x5a
		}
		run, err := Read(bytes.NewReader(bad), "bad.trace", Options{})
		if run == nil && err == nil {
			t.Fatalf("corrupt at %d: no run and no error", at)
		}
		if run != nil {
			checkCycleOrder(t, run)
		}
	}
}
