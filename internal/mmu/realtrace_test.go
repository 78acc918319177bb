package mmu_test

import (
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/gcwatch/gcwatch/internal/ingest/exectrace"
	"github.com/gcwatch/gcwatch/internal/mmu"
)

// The curve the execution-trace ingest builds from real traces matches the
// reference fed with the very same Set calls.
func TestRealTraces(t *testing.T) {
	paths, err := filepath.Glob("../../examples/testdata/*/trace.out")
	if err != nil {
		t.Fatal(err)
	}
	if len(paths) == 0 {
		t.Skip("no recorded traces under examples/testdata")
	}
	for _, path := range paths {
		t.Run(filepath.Base(filepath.Dir(path)), func(t *testing.T) {
			f, err := os.Open(path)
			if err != nil {
				t.Fatal(err)
			}
			defer f.Close()
			var rec mmu.Recorder
			run, err := exectrace.Read(f, path, exectrace.Options{MMU: mmu.Options{Observe: rec.Observe}})
			if _, damaged := errors.AsType[*exectrace.DamageError](err); err != nil && !damaged {
				t.Fatal(err)
			}
			if run == nil || run.MMU == nil {
				t.Fatalf("no MMU curve from %s", path)
			}
			if rec.Backwards() > 0 {
				t.Errorf("%d of %d Set calls went back in time", rec.Backwards(), rec.Len())
			}
			t.Logf("%d Set calls over %v, %d curve points", rec.Len(), run.Duration(), len(run.MMU.Points))
			rec.Check(t, run.MMU, run.End, mmu.DefaultWindows())
		})
	}
}
