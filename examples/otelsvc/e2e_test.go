package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"testing"
)

// TestRecordAndCheck records the service afresh, its spans exported by the
// SDK's OTLP/HTTP exporter to the loopback receiver and by its stdout
// exporter, and runs gcwatch's checks of span-based latency and
// attribution (internal/crosscheck, TestOTelSpan*) on that recording
// rather than on the committed one.
func TestRecordAndCheck(t *testing.T) {
	if testing.Short() {
		t.Skip("records for a few seconds")
	}
	dir := t.TempDir()
	rec := exec.Command("go", "run", "./record", "-out", dir)
	if out, err := rec.CombinedOutput(); err != nil {
		t.Fatalf("record: %v\n%s", err, out)
	}
	for _, f := range []string{"trace.out", "spans.otlp.json.gz", "spans.stdout.json.gz", "sdk-spans.jsonl.gz", "meta.json"} {
		if st, err := os.Stat(filepath.Join(dir, f)); err != nil || st.Size() == 0 {
			t.Errorf("%s: %v", f, err)
		}
	}
	check := exec.Command("go", "test", "-count=1", "-run", "^TestOTelSpan", "-v", "./internal/crosscheck")
	check.Dir = "../.."
	check.Env = append(os.Environ(), "GCWATCH_OTEL_RECORDING="+dir)
	out, err := check.CombinedOutput()
	t.Logf("%s", out)
	if err != nil {
		t.Fatal(err)
	}
}
