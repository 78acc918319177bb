package advice

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"

	"github.com/gcwatch/gcwatch/internal/model"
)

// greenTeaMinor is the Go release (1.26) that made the Green Tea garbage
// collector the default. The Go team's release notes expect 10–40 % less
// GC overhead on real programs that use the GC heavily, not on all (see
// docs/verdicts.md); gcwatch applies that range to the measured GC CPU as
// an estimate, never as a prediction.
const (
	greenTeaMinor      = 26
	greenTeaSavingLow  = 0.10
	greenTeaSavingHigh = 0.40
)

// RuntimeVersion is what the inputs say of the Go release the process
// ran, for the upgrade-go option.
type RuntimeVersion struct {
	// Version as the inputs give it: "go1.24.3" (a capture description),
	// "go1.23+" (a trace's format: a release that writes it), "go1.18+"
	// or "older than go1.18" (a gctrace log's format); "" when unknown.
	Version string `json:"version"`
	// From says where: "trace", the description's file name (meta.json,
	// manifest.json: /metrics go_info), or "gctrace".
	From string `json:"from"`
	// OlderThanGreenTea is true when the release is older than go1.26,
	// false when it is go1.26 or later, null when the inputs cannot tell.
	OlderThanGreenTea *bool `json:"older_than_go1_26"`
}

var goMinorPattern = regexp.MustCompile(`go1\.([0-9]+)`)

// runtimeVersion reads the release from the run: its version (from a
// trace's format or a capture description), else the gctrace format.
func runtimeVersion(run *model.Run) RuntimeVersion {
	if v := run.GoVersion; v != "" {
		rv := RuntimeVersion{Version: v, From: run.GoVersionFrom}
		if m := goMinorPattern.FindStringSubmatch(v); m != nil {
			if minor, err := strconv.Atoi(m[1]); err == nil {
				// "go1.N+" from a trace is a release writing format N:
				// go1.26 and later write 26 or above, so N < 26 is older.
				older := minor < greenTeaMinor
				rv.OlderThanGreenTea = &older
			}
		}
		return rv
	}
	// gctrace prints "S MB stacks, G MB globals" since go1.18. A log where
	// no complete record carries them comes from an older release; one
	// that does says only "go1.18 or later".
	withRoots, without := 0, 0
	for _, c := range run.Cycles {
		if c.Partial || (c.From != model.FromGCTrace && c.From != model.FromBoth) || c.HeapGoal < 0 {
			continue
		}
		if c.Stacks >= 0 {
			withRoots++
		} else {
			without++
		}
	}
	switch {
	case withRoots > 0:
		return RuntimeVersion{Version: "go1.18+", From: "gctrace"}
	case without >= 3:
		older := true
		return RuntimeVersion{Version: "older than go1.18", From: "gctrace", OlderThanGreenTea: &older}
	}
	return RuntimeVersion{}
}

// describe says the version and where it was read, in words.
func (rv RuntimeVersion) describe() string {
	if rv.Version == "" {
		return "the Go version is not known (no trace, no go_version in a capture description, and the gctrace format does not say)"
	}
	from := rv.From
	switch {
	case from == "trace":
		from = "the trace's format"
	case from == "gctrace":
		from = "the gctrace format"
	case strings.HasSuffix(from, ".json"):
		from = fmt.Sprintf("the capture's %s", from)
	case from == "":
		from = "the inputs"
	}
	return fmt.Sprintf("the runtime is %s (from %s)", rv.Version, from)
}
