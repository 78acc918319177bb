package capture

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// fakeCgroup writes /proc/PID/cgroup and the cgroup's files under a
// temporary root and returns where to point the reader.
func fakeCgroup(t *testing.T, pid int, procCgroup, stat, max string) CgroupFS {
	t.Helper()
	root := t.TempDir()
	fs := CgroupFS{Proc: filepath.Join(root, "proc"), Cgroup: filepath.Join(root, "cgroup")}
	write := func(path, text string) {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write(filepath.Join(fs.Proc, "4242", "cgroup"), procCgroup)
	dir := filepath.Join(fs.Cgroup, "system.slice", "svc.service")
	if stat != "" {
		write(filepath.Join(dir, "cpu.stat"), stat)
	}
	if max != "" {
		write(filepath.Join(dir, "cpu.max"), max)
	}
	return fs
}

func setStat(t *testing.T, fs CgroupFS, stat string) {
	t.Helper()
	if err := os.WriteFile(filepath.Join(fs.Cgroup, "system.slice", "svc.service", "cpu.stat"), []byte(stat), 0o644); err != nil {
		t.Fatal(err)
	}
}

// TestCgroupThrottling reads a throttled cgroup twice: the differences of
// its counters, and its quota in CPUs.
func TestCgroupThrottling(t *testing.T) {
	const procCgroup = "12:cpu,cpuacct:/old-v1\n0::/system.slice/svc.service\n"
	fs := fakeCgroup(t, 4242, procCgroup,
		"usage_usec 5000000\nuser_usec 4000000\nsystem_usec 1000000\nnr_periods 100\nnr_throttled 10\nthrottled_usec 200000\nnr_bursts 0\nburst_usec 0\n",
		"150000 100000\n")
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	w := watchCgroup(fs, 4242, t0)
	if w == nil {
		t.Fatal("no cgroup found")
	}
	setStat(t, fs, "usage_usec 20000000\nnr_periods 200\nnr_throttled 70\nthrottled_usec 3200000\n")
	c := w.finish(t0.Add(10 * time.Second))
	if c == nil {
		t.Fatal("no counters at the end")
	}
	if c.Path != "/system.slice/svc.service" || c.WallMs != 10000 || c.UsageMs != 15000 {
		t.Errorf("path %q wall %v ms usage %v ms; want the v2 path, 10000 and 15000", c.Path, c.WallMs, c.UsageMs)
	}
	if c.Periods == nil || *c.Periods != 100 || *c.ThrottledPeriods != 60 || *c.ThrottledMs != 3000 {
		t.Errorf("periods %v throttled %v (%v ms); want 100, 60, 3000", c.Periods, c.ThrottledPeriods, c.ThrottledMs)
	}
	if c.QuotaCPUs == nil || *c.QuotaCPUs != 1.5 {
		t.Errorf("quota %v CPUs, want 1.5", c.QuotaCPUs)
	}
}

// TestCgroupUnknown: without the files, or on a v1-only host, nothing is
// known and nothing is guessed; without the CPU controller (no nr_periods)
// or a quota, only usage is known.
func TestCgroupUnknown(t *testing.T) {
	t0 := time.Unix(0, 0)
	if w := watchCgroup(CgroupFS{Proc: t.TempDir(), Cgroup: t.TempDir()}, 4242, t0); w != nil {
		t.Errorf("no /proc/PID/cgroup: got %+v", w)
	}
	if w := watchCgroup(fakeCgroup(t, 4242, "4:cpu:/x\n", "usage_usec 1\n", ""), 4242, t0); w != nil {
		t.Errorf("a v1 cgroup only: got %+v", w)
	}
	if w := watchCgroup(fakeCgroup(t, 4242, "0::/system.slice/svc.service\n", "", ""), 4242, t0); w != nil {
		t.Errorf("no cpu.stat: got %+v", w)
	}
	if w := watchCgroup(fakeCgroup(t, 4242, "0::/../outside\n", "usage_usec 1\n", ""), 4242, t0); w != nil {
		t.Errorf("a cgroup outside the namespace: got %+v", w)
	}
	fs := fakeCgroup(t, 4242, "0::/system.slice/svc.service\n", "usage_usec 1000\n", "max 100000\n")
	w := watchCgroup(fs, 4242, t0)
	setStat(t, fs, "usage_usec 3000\n")
	c := w.finish(t0.Add(time.Second))
	if c == nil || c.UsageMs != 2 || c.Periods != nil || c.ThrottledPeriods != nil || c.ThrottledMs != nil || c.QuotaCPUs != nil {
		t.Errorf("usage only: got %+v", c)
	}
	// Counters that went backwards are another cgroup's.
	setStat(t, fs, "usage_usec 10\n")
	if c := w.finish(t0.Add(time.Second)); c != nil {
		t.Errorf("counters went backwards: got %+v", c)
	}
}

// TestRunWithoutCgroup: gcwatch run on a host without the cgroup files
// writes cgroup_cpu null rather than a guess.
func TestRunWithoutCgroup(t *testing.T) {
	sh, err := exec.LookPath("sh")
	if err != nil {
		t.Skip("no sh")
	}
	dir := filepath.Join(t.TempDir(), "run")
	res, err := Run(context.Background(), []string{sh, "-c", "exit 0"}, RunOptions{Dir: dir, Cgroup: CgroupFS{Proc: t.TempDir(), Cgroup: t.TempDir()}})
	if err != nil {
		t.Fatal(err)
	}
	if res.Manifest.CgroupCPU != nil {
		t.Errorf("cgroup_cpu %+v, want null", res.Manifest.CgroupCPU)
	}
	b, err := os.ReadFile(filepath.Join(dir, ManifestName))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(b), `"cgroup_cpu": null`) {
		t.Errorf("manifest without cgroup_cpu null:\n%s", b)
	}
}

// TestCgroupHybrid finds cgroup v2 where a hybrid host mounts it, beside
// the v1 hierarchies: /sys/fs/cgroup/unified.
func TestCgroupHybrid(t *testing.T) {
	root := t.TempDir()
	fs := CgroupFS{Proc: filepath.Join(root, "proc"), Cgroup: filepath.Join(root, "cgroup")}
	for path, text := range map[string]string{
		filepath.Join(fs.Proc, "7", "cgroup"):                  "1:cpu:/\n0::/job\n",
		filepath.Join(fs.Cgroup, "unified", "job", "cpu.stat"): "usage_usec 100\nnr_periods 0\nnr_throttled 0\nthrottled_usec 0\n",
	} {
		os.MkdirAll(filepath.Dir(path), 0o755)
		if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	w := watchCgroup(fs, 7, time.Unix(0, 0))
	if w == nil {
		t.Fatal("the unified hierarchy was not found")
	}
	if c := w.finish(time.Unix(1, 0)); c == nil || c.Path != "/job" || c.Periods == nil || *c.Periods != 0 {
		t.Errorf("got %+v", c)
	}
}
