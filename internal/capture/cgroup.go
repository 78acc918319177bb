package capture

import (
	"bufio"
	"bytes"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/gcwatch/gcwatch/internal/limits"
	"github.com/gcwatch/gcwatch/internal/model"
)

// CgroupFS says where the files describing a process's cgroup are:
// /proc and the cgroup v2 mount. Tests point it at a temporary folder.
type CgroupFS struct {
	Proc   string // "/proc" when empty
	Cgroup string // "/sys/fs/cgroup" when empty
}

func (fs CgroupFS) proc() string {
	if fs.Proc == "" {
		return "/proc"
	}
	return fs.Proc
}

func (fs CgroupFS) root() string {
	if fs.Cgroup == "" {
		return "/sys/fs/cgroup"
	}
	return fs.Cgroup
}

// cpuStat is one reading of a cgroup's cpu.stat. A counter the file does
// not carry (the CPU controller not enabled: only usage_usec and its
// split are there) is -1.
type cpuStat struct {
	at                                     time.Time
	usage, periods, throttled, throttledUs int64
}

// cgroupWatch is the cgroup of a child, read at its start so that its end
// can be read after the child has gone.
type cgroupWatch struct {
	path  string // as /proc/PID/cgroup names it
	dir   string // where its files are
	start cpuStat
	quota *float64
}

// watchCgroup finds pid's cgroup v2 and reads its CPU counters and quota.
// Nil when any of it is missing: a cgroup v1 host, no /sys/fs/cgroup (not
// Linux), a cgroup without cpu.stat. Nothing is guessed then.
func watchCgroup(fs CgroupFS, pid int, now time.Time) *cgroupWatch {
	b, err := limits.ReadFile(filepath.Join(fs.proc(), strconv.Itoa(pid), "cgroup"), limits.SideFile)
	if err != nil {
		return nil
	}
	path, ok := unifiedCgroup(b)
	if !ok {
		return nil
	}
	w := &cgroupWatch{path: path, dir: filepath.Join(fs.root(), filepath.FromSlash(path))}
	st, ok := readCPUStat(w.dir, now)
	if !ok {
		// A hybrid host mounts cgroup v2 beside the v1 hierarchies.
		w.dir = filepath.Join(fs.root(), "unified", filepath.FromSlash(path))
		if st, ok = readCPUStat(w.dir, now); !ok {
			return nil
		}
	}
	w.start = st
	w.quota = readCPUMax(w.dir)
	return w
}

// unifiedCgroup is the cgroup v2 path in a /proc/PID/cgroup file: the
// line "0::PATH" (v1 hierarchies have other numbers and controllers).
func unifiedCgroup(b []byte) (string, bool) {
	for line := range bytes.Lines(b) {
		if p, ok := bytes.CutPrefix(bytes.TrimRight(line, "\n"), []byte("0::")); ok && bytes.HasPrefix(p, []byte("/")) {
			// A path outside the namespace's view ("/../x") cannot be
			// found under its mount.
			if bytes.Contains(p, []byte("/..")) {
				return "", false
			}
			return string(p), true
		}
	}
	return "", false
}

// readCPUStat reads a cgroup's cpu.stat; usage_usec must be there.
func readCPUStat(dir string, now time.Time) (cpuStat, bool) {
	f, err := os.Open(filepath.Join(dir, "cpu.stat"))
	if err != nil {
		return cpuStat{}, false
	}
	defer f.Close()
	st := cpuStat{at: now, usage: -1, periods: -1, throttled: -1, throttledUs: -1}
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		key, val, ok := strings.Cut(sc.Text(), " ")
		if !ok {
			continue
		}
		n, err := strconv.ParseInt(strings.TrimSpace(val), 10, 64)
		if err != nil || n < 0 {
			continue
		}
		switch key {
		case "usage_usec":
			st.usage = n
		case "nr_periods":
			st.periods = n
		case "nr_throttled":
			st.throttled = n
		case "throttled_usec":
			st.throttledUs = n
		}
	}
	return st, sc.Err() == nil && st.usage >= 0
}

// readCPUMax reads cpu.max ("QUOTA PERIOD" in microseconds, QUOTA "max"
// for none) as CPUs; nil for no quota or an unreadable file.
func readCPUMax(dir string) *float64 {
	b, err := limits.ReadFile(filepath.Join(dir, "cpu.max"), limits.SideFile)
	if err != nil {
		return nil
	}
	f := strings.Fields(string(b))
	if len(f) != 2 || f[0] == "max" {
		return nil
	}
	quota, err1 := strconv.ParseInt(f[0], 10, 64)
	period, err2 := strconv.ParseInt(f[1], 10, 64)
	if err1 != nil || err2 != nil || quota <= 0 || period <= 0 {
		return nil
	}
	cpus := float64(quota) / float64(period)
	return &cpus
}

// finish reads the counters again and returns what the cgroup counted in
// between; nil when the second reading fails or goes backwards (the
// cgroup removed and made anew).
func (w *cgroupWatch) finish(now time.Time) *model.CgroupCPU {
	if w == nil {
		return nil
	}
	end, ok := readCPUStat(w.dir, now)
	if !ok || end.usage < w.start.usage {
		return nil
	}
	c := &model.CgroupCPU{
		Path:      w.path,
		WallMs:    float64(end.at.Sub(w.start.at)) / float64(time.Millisecond),
		UsageMs:   float64(end.usage-w.start.usage) / 1e3,
		QuotaCPUs: w.quota,
	}
	delta := func(a, b int64) (int64, bool) { return b - a, a >= 0 && b >= a }
	p, okP := delta(w.start.periods, end.periods)
	t, okT := delta(w.start.throttled, end.throttled)
	u, okU := delta(w.start.throttledUs, end.throttledUs)
	if okP && okT && okU && t <= p {
		ms := float64(u) / 1e3
		c.Periods, c.ThrottledPeriods, c.ThrottledMs = &p, &t, &ms
	}
	return c
}
