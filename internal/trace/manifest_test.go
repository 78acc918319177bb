package trace

import (
	"os"
	"path/filepath"
	"testing"
)

// TestReadManifestSettings reads the settings as each writer of capture
// descriptions spells them: gcwatch/v2 manifests (numbers, "off", null),
// v1 manifests and meta.json files (strings), and the environment.
func TestReadManifestSettings(t *testing.T) {
	for _, tc := range []struct {
		json  string
		gogc  *int
		limit *int64
	}{
		{`{"schema":"gcwatch/v2","kind":"capture","gogc":200,"memlimit_bytes":"off"}`, ptr(200), ptr(int64(-1))},
		{`{"gogc":"off","memlimit_bytes":536870912}`, ptr(-1), ptr(int64(512 << 20))},
		{`{"gogc":null,"memlimit_bytes":null,"gomaxprocs":null}`, nil, nil},
		{`{"gogc":"100","gomemlimit":"512MiB"}`, ptr(100), ptr(int64(512 << 20))},
		{`{"gogc":"100","env":{"GOGC":"50","GOMEMLIMIT":"off"}}`, ptr(50), ptr(int64(-1))},
	} {
		path := filepath.Join(t.TempDir(), "manifest.json")
		if err := os.WriteFile(path, []byte(tc.json), 0o644); err != nil {
			t.Fatal(err)
		}
		m, err := readManifest(path)
		if err != nil {
			t.Errorf("%s: %v", tc.json, err)
			continue
		}
		if !samePtr(m.gogc, tc.gogc) || !samePtr(m.memoryLimit, tc.limit) {
			t.Errorf("%s: gogc %v limit %v, want %v %v", tc.json, deref(m.gogc), deref(m.memoryLimit), deref(tc.gogc), deref(tc.limit))
		}
	}
}

func samePtr[T comparable](a, b *T) bool { return (a == nil) == (b == nil) && (a == nil || *a == *b) }

func deref[T any](p *T) any {
	if p == nil {
		return nil
	}
	return *p
}
