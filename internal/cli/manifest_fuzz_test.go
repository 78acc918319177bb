package cli

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// FuzzReadFleetManifest feeds arbitrary bytes, as YAML or JSON, to the
// fleet manifest's reader and then to each service's settings: neither
// may panic or hang, and a problem must be one line naming the manifest.
func FuzzReadFleetManifest(f *testing.F) {
	f.Add([]byte("services:\n  - name: checkout\n    captures: .\n    mem_budget: 2GiB\n    slo: p99=50ms\n    gogc: 100\n    memlimit: off\n"))
	f.Add([]byte(`{"services": [{"name": "a", "captures": ".", "mem_budget": 1e400, "slo": "p99=99999999999h"}]}`))
	f.Add([]byte("services:\n  - name: a\n    captures: .\n  - name: a\n    captures: .\n"))
	f.Add([]byte("a: &a [*a, *a]\nservices: *a\n"))
	f.Add([]byte("services:\n  - name: \"\\e[2J\"\n    captures: /\n    memlimit: 9223372036854775807\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		dir := t.TempDir()
		path := filepath.Join(dir, "fleet.yaml")
		if err := os.WriteFile(path, data, 0o644); err != nil {
			t.Fatal(err)
		}
		done := make(chan []error, 1)
		go func() {
			specs, err := readFleetManifest(path)
			if err != nil {
				done <- []error{err}
				return
			}
			o := &fleetOptions{analyzeOptions: *newAnalyzeOptions(), Manifest: path}
			var errs []error
			for i, sp := range specs {
				if _, err := o.serviceOptions(i, sp); err != nil {
					errs = append(errs, err)
				}
			}
			done <- errs
		}()
		var errs []error
		select {
		case errs = <-done:
		case <-time.After(5 * time.Second):
			t.Fatalf("reading a %d-byte manifest still running after 5s", len(data))
		}
		for _, err := range errs {
			m := err.Error()
			if strings.ContainsAny(m, "\n\r") || !strings.HasPrefix(m, path+": ") {
				t.Errorf("not one line starting with the manifest: %.300q", m)
			}
		}
	})
}
