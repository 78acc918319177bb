package ingest

import (
	"os"
	"path/filepath"
	"strings"
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

// TestReadManifestCPU reads the CPU figures gcwatch run and capture write,
// and leaves out ones no cgroup or process could have counted, still
// reading the settings beside them.
func TestReadManifestCPU(t *testing.T) {
	for _, tc := range []struct {
		json               string
		cgroup, processCPU bool
	}{
		{`{"gogc":100,"cgroup_cpu":{"path":"/a","wall_ms":1000,"usage_ms":900,"periods":10,"throttled_periods":4,"throttled_ms":200,"quota_cpus":1},"process_cpu":{"cpu_ms":800,"wall_ms":1000,"gomaxprocs":4}}`, true, true},
		{`{"gogc":100,"cgroup_cpu":{"path":"/a","wall_ms":1000,"usage_ms":900,"periods":null,"throttled_periods":null,"throttled_ms":null,"quota_cpus":null},"process_cpu":null}`, true, false},
		{`{"gogc":100,"cgroup_cpu":{"path":"/a","wall_ms":1000,"usage_ms":900,"periods":10,"throttled_periods":11,"throttled_ms":200}}`, false, false},
		{`{"gogc":100,"cgroup_cpu":{"path":"/a","wall_ms":1000,"usage_ms":900,"periods":10,"throttled_periods":null,"throttled_ms":200}}`, false, false},
		{`{"gogc":100,"cgroup_cpu":{"path":"/a","wall_ms":0,"usage_ms":900}}`, false, false},
		{`{"gogc":100,"cgroup_cpu":"throttled","process_cpu":{"cpu_ms":-1,"wall_ms":1000}}`, false, false},
		{`{"gogc":100,"process_cpu":{"cpu_ms":1,"wall_ms":0}}`, false, false},
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
		if (m.cgroup != nil) != tc.cgroup || (m.processCPU != nil) != tc.processCPU || m.gogc == nil || *m.gogc != 100 {
			t.Errorf("%s: cgroup %+v process %+v gogc %v", tc.json, m.cgroup, m.processCPU, deref(m.gogc))
		}
	}
}

// TestManifestCPUReachesRun: a capture folder's manifest carrying what
// gcwatch run read of the child's cgroup gives the run those counters,
// with a note naming where they came from.
func TestManifestCPUReachesRun(t *testing.T) {
	dir := gctraceFolder(t)
	manifest := `{"schema":"gcwatch/v2","kind":"capture","tool":"gcwatch run","gogc":null,"memlimit_bytes":null,"gomaxprocs":2,
"cgroup_cpu":{"path":"/svc","wall_ms":5000,"usage_ms":4000,"periods":50,"throttled_periods":20,"throttled_ms":900,"quota_cpus":1},"process_cpu":null,"files":[]}`
	if err := os.WriteFile(filepath.Join(dir, "manifest.json"), []byte(manifest), 0o644); err != nil {
		t.Fatal(err)
	}
	res, err := Load([]string{dir}, Options{})
	if err != nil {
		t.Fatal(err)
	}
	c := res.Runs[0].Cgroup
	if c == nil || *c.Periods != 50 || *c.ThrottledPeriods != 20 || *c.QuotaCPUs != 1 || res.Runs[0].CPUFrom != "manifest.json" || res.Runs[0].ProcessCPU != nil {
		t.Fatalf("cgroup %+v from %q, process %+v", c, res.Runs[0].CPUFrom, res.Runs[0].ProcessCPU)
	}
	if !strings.Contains(strings.Join(res.Notes, " "), "the CPU the process was given") {
		t.Errorf("notes %q do not say the CPU figures were read", res.Notes)
	}
}
