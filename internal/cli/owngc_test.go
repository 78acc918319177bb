package cli

import (
	"slices"
	"testing"
)

// TestGCPhases checks that gcwatch leaves the GC alone unless main asks
// (GOGC unset), and then sets the ingest percent before reading each
// service's inputs and the analysis percent once its trace's stream is
// read and after its inputs are.
func TestGCPhases(t *testing.T) {
	var calls []int
	saved := setGCPercent
	setGCPercent = func(p int) int { calls = append(calls, p); return 100 }
	defer func() {
		setGCPercent = saved
		managedGC.Store(false)
	}()
	a := "../../examples/testdata/allocheavy-p2-gogc100"
	b := "../../examples/testdata/lockbound"
	if code, _, errs := run(t, "analyze", "--format", "json", a); code != 0 {
		t.Fatalf("analyze: exit %d: %s", code, errs)
	}
	if len(calls) != 0 {
		t.Fatalf("GC percent set to %v without ManageGC", calls)
	}
	ManageGC()
	if code, _, errs := run(t, "analyze", "--format", "json", a); code != 0 {
		t.Fatalf("analyze: exit %d: %s", code, errs)
	}
	if code, _, errs := run(t, "report", "--format", "json", a, b); code != 0 {
		t.Fatalf("report: exit %d: %s", code, errs)
	}
	// Per service: before the inputs, at the trace's start and end, after.
	i, g := ingestGOGC, analysisGOGC
	if want := []int{i, i, i, g, g, i, i, g, g, i, i, g, g}; !slices.Equal(calls, want) {
		t.Errorf("GC percents %v, want %v (ManageGC, analyze, report of two services)", calls, want)
	}
}
