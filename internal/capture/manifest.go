package capture

import (
	"encoding/json"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"time"

	"github.com/gcwatch/gcwatch/internal/limits"
	"github.com/gcwatch/gcwatch/internal/outfile"
)

// ManifestName is the file a capture folder's description is kept in;
// gcwatch analyze reads the settings back from it.
const ManifestName = "manifest.json"

// Manifest describes a capture folder.
type Manifest struct {
	Tool        string    `json:"tool"`
	Target      string    `json:"target,omitempty"`
	Command     []string  `json:"command,omitempty"`
	Started     time.Time `json:"started"`
	Finished    time.Time `json:"finished"`
	Seconds     int       `json:"seconds,omitempty"`
	Interrupted bool      `json:"interrupted,omitempty"`
	ExitCode    *int      `json:"exit_code,omitempty"`
	// Settings the service ran with, as read from its metrics or its
	// environment ("" when unknown). gcwatch analyze reads gogc and
	// gomemlimit.
	GoVersion  string `json:"go_version,omitempty"`
	GOMAXPROCS string `json:"gomaxprocs,omitempty"`
	GOGC       string `json:"gogc,omitempty"`
	GOMEMLIMIT string `json:"gomemlimit,omitempty"`
	Files      []File `json:"files"`
}

func (m *Manifest) write(dir string) error {
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
		m.GOMAXPROCS = strconv.Itoa(int(s.gomaxprocs))
	}
	if s.hasGOGC {
		switch {
		case s.gogc < 0:
			m.GOGC = "off"
		case s.gogc > math.MaxInt32:
			// not a GOGC the runtime reports
		default:
			m.GOGC = strconv.Itoa(int(s.gogc))
		}
	}
	if s.hasLimit {
		switch {
		case s.limit >= math.MaxInt64/2:
			m.GOMEMLIMIT = "off"
		case s.limit < 0:
			// not a limit the runtime reports
		default:
			m.GOMEMLIMIT = strconv.FormatInt(int64(s.limit), 10)
		}
	}
}

// settings are what Prometheus metrics say about the Go runtime.
type settings struct {
	goVersion         string
	gomaxprocs        float64
	gogc, limit       float64
	hasGOGC, hasLimit bool
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
	for _, kv := range []struct {
		dst *string
		src string
	}{
		{&m.GoVersion, old.GoVersion}, {&m.GOMAXPROCS, old.GOMAXPROCS}, {&m.GOGC, old.GOGC}, {&m.GOMEMLIMIT, old.GOMEMLIMIT},
	} {
		if *kv.dst == "" {
			*kv.dst = kv.src
		}
	}
}
