package capture

import (
	"cmp"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/gcwatch/gcwatch/internal/limits"
	"github.com/gcwatch/gcwatch/internal/model"
	"github.com/gcwatch/gcwatch/internal/outfile"
	"github.com/gcwatch/gcwatch/internal/units"
)

// ManifestName is the file a capture folder's description is kept in;
// gcwatch analyze reads the settings back from it.
const ManifestName = "manifest.json"

// Schema and KindCapture are the manifest's version and kind among
// gcwatch's JSON documents (docs/json.md). capture sits below the report
// package, so it names the version itself; the JSON convention test holds
// it to report.Schema.
const (
	Schema      = "gcwatch/v2"
	KindCapture = "capture"
)

// Manifest describes a capture folder.
type Manifest struct {
	// Schema and Kind are Schema and KindCapture, set when written.
	Schema      string    `json:"schema"`
	Kind        string    `json:"kind"`
	Tool        string    `json:"tool"`
	Target      string    `json:"target,omitempty"`
	Command     []string  `json:"command,omitempty"`
	Started     time.Time `json:"started"`
	Finished    time.Time `json:"finished"`
	Seconds     int       `json:"seconds,omitempty"`
	Interrupted bool      `json:"interrupted,omitempty"`
	ExitCode    *int      `json:"exit_code,omitempty"`
	// Settings the service ran with, as read from its metrics or its
	// environment (null when unknown). gcwatch analyze reads gogc and
	// memlimit_bytes.
	GoVersion   string       `json:"go_version,omitempty"`
	GOMAXPROCS  *int         `json:"gomaxprocs"`
	GOGC        *units.GOGC  `json:"gogc"`
	MemoryLimit *units.Limit `json:"memlimit_bytes"`
	// CgroupCPU is what the child's cgroup v2 counted over gcwatch run
	// (cpu.stat differences, cpu.max quota); ProcessCPU the service's
	// process_cpu_seconds_total over gcwatch capture's window. Null when
	// not measured.
	CgroupCPU  *model.CgroupCPU  `json:"cgroup_cpu"`
	ProcessCPU *model.ProcessCPU `json:"process_cpu"`
	Files      []File            `json:"files"`
}

func (m *Manifest) write(dir string) error {
	m.Schema, m.Kind = Schema, KindCapture
	b, err := json.MarshalIndent(m, "", "  ")
	if err != nil {
		return err
	}
	if err := outfile.WriteNew(filepath.Join(dir, ManifestName), append(b, '\n')); err != nil {
		return fmt.Errorf("cannot write the capture manifest: %w", err)
	}
	return nil
}

// readSettings fills the settings from the metrics fetched, if any.
func (m *Manifest) readSettings(dir string) {
	f, err := os.Open(filepath.Join(dir, "metrics.txt"))
	if err != nil {
		return
	}
	defer f.Close()
	s := parseMetrics(io.LimitReader(f, 64<<20))
	m.GoVersion = s.goVersion
	if s.gomaxprocs > 0 && s.gomaxprocs < 1<<20 {
		m.GOMAXPROCS = ptr(int(s.gomaxprocs))
	}
	if s.hasGOGC && s.gogc <= math.MaxInt32 { // above: not a GOGC the runtime reports
		m.GOGC = ptr(units.GOGC(max(s.gogc, -1)))
	}
	if s.hasLimit {
		switch {
		case s.limit >= math.MaxInt64/2:
			m.MemoryLimit = ptr(units.LimitOff)
		case s.limit >= 0: // below: not a limit the runtime reports
			m.MemoryLimit = ptr(units.Limit(s.limit))
		}
	}
}

func ptr[T any](v T) *T { return &v }

// fromEnv sets the settings a child's environment gives; a value the
// runtime would not read as a setting is left unknown.
func (m *Manifest) fromEnv(env []string) {
	if v := envValue(env, "GOGC"); strings.EqualFold(v, "off") {
		m.GOGC = ptr(units.GOGCOff)
	} else if n, err := strconv.Atoi(v); err == nil && n >= 0 {
		m.GOGC = ptr(units.GOGC(n))
	}
	if v := envValue(env, "GOMEMLIMIT"); strings.EqualFold(v, "off") {
		m.MemoryLimit = ptr(units.LimitOff)
	} else if n, err := units.ParseSize(v); err == nil && v != "" {
		m.MemoryLimit = ptr(units.Limit(n))
	}
	if n, err := strconv.Atoi(envValue(env, "GOMAXPROCS")); err == nil && n > 0 {
		m.GOMAXPROCS = &n
	}
}

// settings are what Prometheus metrics say about the Go runtime.
type settings struct {
	goVersion         string
	gomaxprocs        float64
	gogc, limit       float64
	hasGOGC, hasLimit bool
	// processCPU is process_cpu_seconds_total.
	processCPU    float64
	hasProcessCPU bool
}

// parseMetrics reads the series the Go client library (and
// runtime/metrics-based exporters) publish about the runtime's settings,
// from the Prometheus text format or OpenMetrics (ReadMetrics' decoding).
// Values no setting can have are left out: NaN, ±Inf (but +Inf, a limit's
// "none", for the memory limit).
func parseMetrics(r io.Reader) settings {
	var s settings
	fams, _ := decodeMetrics(r, "") // what was read, even around a bad line
	value := func(name string) (float64, bool) {
		f := fams[name]
		if f == nil || len(f.GetMetric()) == 0 {
			return 0, false
		}
		m := f.GetMetric()[0]
		var v float64
		switch {
		case m.Gauge != nil:
			v = m.GetGauge().GetValue()
		case m.Counter != nil:
			v = m.GetCounter().GetValue()
		case m.Untyped != nil:
			v = m.GetUntyped().GetValue()
		default:
			return 0, false
		}
		if math.IsNaN(v) || math.IsInf(v, -1) || math.IsInf(v, 1) && name != "go_gc_gomemlimit_bytes" {
			return 0, false
		}
		return v, true
	}
	if f := fams["go_info"]; f != nil {
		for _, m := range f.GetMetric() {
			for _, l := range m.GetLabel() {
				if l.GetName() == "version" && s.goVersion == "" {
					s.goVersion = l.GetValue()
				}
			}
		}
	}
	for _, name := range []string{"go_sched_gomaxprocs_threads", "go_gomaxprocs"} {
		if v, ok := value(name); ok {
			s.gomaxprocs = v
			break
		}
	}
	if v, ok := value("process_cpu_seconds_total"); ok && v >= 0 {
		s.processCPU, s.hasProcessCPU = v, true
	}
	s.gogc, s.hasGOGC = value("go_gc_gogc_percent")
	s.limit, s.hasLimit = value("go_gc_gomemlimit_bytes")
	return s
}

// mergeFrom folds in a manifest already in dir (a capture made while a
// child ran): its files, and the settings it read from the service's
// metrics where this one has none.
func (m *Manifest) mergeFrom(dir string) {
	b, err := limits.ReadFile(filepath.Join(dir, ManifestName), limits.SideFile)
	if err != nil {
		return
	}
	var old Manifest
	if json.Unmarshal(b, &old) != nil {
		return
	}
	for _, f := range old.Files {
		if f.Name != "gctrace.log" {
			m.Files = append(m.Files, f)
		}
	}
	if m.Target == "" {
		m.Target, m.Seconds = old.Target, old.Seconds
	}
	m.GoVersion = cmp.Or(m.GoVersion, old.GoVersion)
	m.GOMAXPROCS = cmp.Or(m.GOMAXPROCS, old.GOMAXPROCS)
	m.GOGC = cmp.Or(m.GOGC, old.GOGC)
	m.MemoryLimit = cmp.Or(m.MemoryLimit, old.MemoryLimit)
	m.CgroupCPU = cmp.Or(m.CgroupCPU, old.CgroupCPU)
	m.ProcessCPU = cmp.Or(m.ProcessCPU, old.ProcessCPU)
}
