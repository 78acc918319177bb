package trace

import (
	"encoding/json"
	"fmt"
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
		Env        map[string]string `json:"env"`
	}
	if err := json.Unmarshal(b, &raw); err != nil {
		return nil, fmt.Errorf("%s: not a capture description: %w", path, err)
	}
	m := &manifest{path: path}
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

func unquote(raw json.RawMessage) string {
	var s string
	if json.Unmarshal(raw, &s) == nil {
		return strings.TrimSpace(s)
	}
	return strings.TrimSpace(string(raw))
}

func ptr[T any](v T) *T { return &v }

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
	return set
}
