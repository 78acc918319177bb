package ingest

import (
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"

	"github.com/gcwatch/gcwatch/internal/limits"
	"github.com/gcwatch/gcwatch/internal/model"
	"github.com/gcwatch/gcwatch/internal/units"
)

// manifest is what gcwatch reads from a capture folder's description
// (meta.json and the like): the GC settings the process ran with, which
// neither a trace nor a gctrace log carries.
type manifest struct {
	path        string
	gogc        *int
	memoryLimit *int64
	// goVersion is the runtime's version (go_version: gcwatch capture reads
	// it from /metrics go_info; the examples' meta.json from the program).
	goVersion string
	// cgroup and processCPU are the CPU the process was given, as gcwatch
	// run and gcwatch capture measured it (nil when not measured).
	cgroup     *model.CgroupCPU
	processCPU *model.ProcessCPU
}

// readManifest reads the settings out of a capture description. Unknown
// fields are fine; a file that is not a JSON object is not a manifest, and
// one larger than limits.SideFile is not read.
func readManifest(path string) (*manifest, error) {
	b, err := limits.ReadFile(path, limits.SideFile)
	if err != nil {
		return nil, err
	}
	var raw struct {
		GOGC json.RawMessage `json:"gogc"`
		// memlimit_bytes is gcwatch's own (docs/json.md); gomemlimit
		// is what capture folders written before it, and meta.json
		// files, carry.
		MemLimit   json.RawMessage   `json:"memlimit_bytes"`
		GOMemLimit json.RawMessage   `json:"gomemlimit"`
		GoVersion  json.RawMessage   `json:"go_version"`
		Env        map[string]string `json:"env"`
		CgroupCPU  json.RawMessage   `json:"cgroup_cpu"`
		ProcessCPU json.RawMessage   `json:"process_cpu"`
	}
	if err := json.Unmarshal(b, &raw); err != nil {
		return nil, fmt.Errorf("%s: not a capture description: %s", path, jsonProblem(err))
	}
	m := &manifest{path: path}
	// The CPU figures are only ever gcwatch's own: ones it cannot have
	// written are left out (the settings are still read).
	var c *model.CgroupCPU
	if json.Unmarshal(raw.CgroupCPU, &c) == nil && c != nil && validCgroup(c) {
		m.cgroup = c
	}
	var p *model.ProcessCPU
	if json.Unmarshal(raw.ProcessCPU, &p) == nil && p != nil && p.WallMs > 0 && p.CPUMs >= 0 && p.GOMAXPROCS >= 0 && finite(p.CPUMs, p.WallMs) {
		m.processCPU = p
	}
	if v := unquote(raw.GoVersion); goVersionPattern.MatchString(v) {
		m.goVersion = v
	}
	gogc := unquote(raw.GOGC)
	if gogc == "null" {
		gogc = ""
	}
	limit := unquote(raw.GOMemLimit)
	if l := unquote(raw.MemLimit); l != "" && l != "null" {
		limit = l
	}
	if v, ok := raw.Env["GOGC"]; ok {
		gogc = v
	}
	if v, ok := raw.Env["GOMEMLIMIT"]; ok {
		limit = v
	}
	if gogc != "" {
		if strings.EqualFold(gogc, "off") {
			m.gogc = ptr(-1)
		} else if n, err := strconv.Atoi(gogc); err == nil && n >= 0 {
			m.gogc = ptr(n)
		} else {
			return nil, fmt.Errorf("%s: GOGC %q is neither a number nor off", path, gogc)
		}
	}
	if limit != "" {
		if strings.EqualFold(limit, "off") || limit == strconv.FormatInt(1<<63-1, 10) {
			m.memoryLimit = ptr(int64(-1))
		} else if n, err := units.ParseSize(limit); err == nil {
			m.memoryLimit = ptr(n)
		} else {
			return nil, fmt.Errorf("%s: GOMEMLIMIT %q is not a size", path, limit)
		}
	}
	return m, nil
}

// validCgroup says whether a manifest's cgroup counters are ones a cgroup
// could have counted; others are left out, not guessed at.
func validCgroup(c *model.CgroupCPU) bool {
	if c.WallMs <= 0 || c.UsageMs < 0 || !finite(c.WallMs, c.UsageMs) {
		return false
	}
	if (c.Periods == nil) != (c.ThrottledPeriods == nil) || (c.Periods == nil) != (c.ThrottledMs == nil) {
		return false
	}
	if c.Periods != nil && (*c.Periods < 0 || *c.ThrottledPeriods < 0 || *c.ThrottledPeriods > *c.Periods || *c.ThrottledMs < 0 || !finite(*c.ThrottledMs)) {
		return false
	}
	return c.QuotaCPUs == nil || *c.QuotaCPUs > 0 && finite(*c.QuotaCPUs)
}

func finite(vs ...float64) bool {
	for _, v := range vs {
		if math.IsNaN(v) || math.IsInf(v, 0) {
			return false
		}
	}
	return true
}

func unquote(raw json.RawMessage) string {
	var s string
	if json.Unmarshal(raw, &s) == nil {
		return strings.TrimSpace(s)
	}
	return strings.TrimSpace(string(raw))
}

func ptr[T any](v T) *T { return &v }

// goVersionPattern is a Go release as runtime.Version and go_info spell it
// (go1.24.3, go1.26rc1, devel go1.27-…); anything else is not taken as a
// version.
var goVersionPattern = regexp.MustCompile(`^(devel )?go1\.[0-9]+([.a-z0-9+-]*)?( .*)?$`)

// apply sets the run's settings from the manifest where the inputs did
// not show them.
func (m *manifest) apply(run *model.Run) []string {
	var set []string
	if m.gogc != nil && run.GOGC == nil {
		run.GOGC = m.gogc
		set = append(set, "GOGC")
	}
	if m.memoryLimit != nil && run.MemoryLimit == nil {
		run.MemoryLimit = m.memoryLimit
		set = append(set, "GOMEMLIMIT")
	}
	if m.cgroup != nil || m.processCPU != nil {
		run.Cgroup, run.ProcessCPU, run.CPUFrom = m.cgroup, m.processCPU, filepath.Base(m.path)
		set = append(set, "the CPU the process was given")
	}
	// A trace's format already says the release (near enough for the
	// advice); a gctrace log does not.
	if m.goVersion != "" && run.GoVersion == "" {
		run.GoVersion, run.GoVersionFrom = m.goVersion, filepath.Base(m.path)
		set = append(set, "the Go version")
	}
	return set
}

// jsonProblem says what is wrong with a JSON document in a few words,
// without the Go types encoding/json names.
func jsonProblem(err error) string {
	var syntax *json.SyntaxError
	var typ *json.UnmarshalTypeError
	switch {
	case errors.As(err, &syntax):
		return fmt.Sprintf("invalid JSON at byte %d", syntax.Offset)
	case errors.As(err, &typ) && typ.Field != "":
		return fmt.Sprintf("field %q is a JSON %s, not what it should be (byte %d)", typ.Field, typ.Value, typ.Offset)
	case errors.As(err, &typ):
		return fmt.Sprintf("a JSON %s, not an object (byte %d)", typ.Value, typ.Offset)
	}
	return err.Error()
}
