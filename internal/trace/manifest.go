package trace

import (
	"encoding/json"
	"fmt"
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
		GOGC       json.RawMessage   `json:"gogc"`
		GOMemLimit json.RawMessage   `json:"gomemlimit"`
		GoVersion  json.RawMessage   `json:"go_version"`
		Env        map[string]string `json:"env"`
	}
	if err := json.Unmarshal(b, &raw); err != nil {
		return nil, fmt.Errorf("%s: not a capture description: %w", path, err)
	}
	m := &manifest{path: path}
	if v := unquote(raw.GoVersion); goVersionPattern.MatchString(v) {
		m.goVersion = v
	}
	gogc := unquote(raw.GOGC)
	limit := unquote(raw.GOMemLimit)
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
	// A trace's format already says the release (near enough for the
	// advice); a gctrace log does not.
	if m.goVersion != "" && run.GoVersion == "" {
		run.GoVersion, run.GoVersionFrom = m.goVersion, filepath.Base(m.path)
		set = append(set, "the Go version")
	}
	return set
}
