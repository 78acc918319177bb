package crosscheck

import (
	"encoding/json"
	"os"
	"path/filepath"
	"testing"
)

// testdata is where examples/internal/record writes the recordings.
const testdata = "../../examples/testdata"

// scenario is one recorded folder and the parts of its meta.json the tests
// use.
type scenario struct {
	Name       string
	Dir        string
	GOMAXPROCS string `json:"gomaxprocs"`
	Summary    struct {
		Before  int `json:"gc_cycles_before_trace"`
		AtStart int `json:"gc_cycles_at_trace_start"`
		AtStop  int `json:"gc_cycles_at_trace_stop"`
		After   int `json:"gc_cycles_after_trace"`
	} `json:"summary"`
	Files map[string]struct {
		Bytes int64 `json:"bytes"`
	} `json:"files"`
}

func (s scenario) path(name string) string { return filepath.Join(s.Dir, name) }

// scenarios lists every recording; it fails the test when there are none, so
// that a moved testdata folder cannot make every check pass vacuously.
func scenarios(t *testing.T) []scenario {
	t.Helper()
	dirs, err := filepath.Glob(filepath.Join(testdata, "*", "meta.json"))
	if err != nil {
		t.Fatal(err)
	}
	if len(dirs) < 6 {
		t.Fatalf("found %d recordings under %s, want at least 6", len(dirs), testdata)
	}
	var out []scenario
	for _, m := range dirs {
		b, err := os.ReadFile(m)
		if err != nil {
			t.Fatal(err)
		}
		var s scenario
		if err := json.Unmarshal(b, &s); err != nil {
			t.Fatalf("%s: %v", m, err)
		}
		s.Dir = filepath.Dir(m)
		s.Name = filepath.Base(s.Dir)
		out = append(out, s)
	}
	return out
}
