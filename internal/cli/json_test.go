package cli

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/gcwatch/gcwatch/internal/capture"
	"github.com/gcwatch/gcwatch/internal/fleet"
	"github.com/gcwatch/gcwatch/internal/promfleet"
	"github.com/gcwatch/gcwatch/internal/report"
	"github.com/gcwatch/gcwatch/internal/units"
)

// TestJSONConvention walks every kind of JSON document gcwatch writes —
// analyze's on every example (with and without a budget, and a gctrace log
// alone), report's from captures and from monitoring, compare's, and a
// live capture's report and manifest.json — and holds each to the
// convention of docs/json.md, so that no field can drift from it:
//
//   - schema is report.Schema and kind names the document;
//   - keys are lower-case snake_case (data maps such as tail_made_of
//     aside);
//   - gogc is a whole number or "off"; memlimit_bytes a whole number of
//     bytes or "off"; null only for what a process ran with when unknown;
//   - every other size (bytes, *_bytes) is a whole number ≥ 0 or null,
//     never -1; every *_ms a number, an object of numbers or null;
//   - verdict is an object (or null) everywhere;
//   - a field has one type wherever it appears, in every document of every
//     kind (a process's fields in analyze and a service's in report are
//     compared as one).
func TestJSONConvention(t *testing.T) {
	docs := map[string][]byte{}
	add := func(name string, args ...string) {
		t.Helper()
		code, out, errs := run(t, args...)
		if code != exitOK {
			t.Fatalf("%s: exit %d: %s", name, code, errs)
		}
		docs[name] = []byte(out)
	}
	const dir = "../../examples/testdata/"
	examples, err := filepath.Glob(dir + "*")
	if err != nil || len(examples) == 0 {
		t.Fatalf("no examples: %v", err)
	}
	for _, e := range examples {
		n := filepath.Base(e)
		add("analyze "+n, "analyze", "--format", "json", e)
		add("analyze --mem-budget "+n, "analyze", "--format", "json", "--mem-budget", "512MiB", e)
	}
	add("analyze gctrace.log", "analyze", "--format", "json", dir+"bigheap/gctrace.log")
	add("report", append([]string{"report", "--format", "json", "--mem-budget", "1GiB"}, examples...)...)
	add("compare", "compare", "--format", "json", dir+"tune-before", dir+"tune-after")
	docs["report --prometheus"] = monitoringFleetJSON(t)

	srv := pprofServer(t)
	capDir := filepath.Join(t.TempDir(), "cap")
	add("capture", "capture", strings.TrimPrefix(srv.URL, "http://"), "--seconds", "1", "-o", capDir, "--format", "json")
	manifest, err := os.ReadFile(filepath.Join(capDir, capture.ManifestName))
	if err != nil {
		t.Fatal(err)
	}
	docs["capture manifest.json"] = manifest

	kinds := map[string]bool{}
	types := map[string]map[string]string{} // field path → JSON type → the first document with it
	for name, b := range docs {
		var doc map[string]any
		if err := json.Unmarshal(b, &doc); err != nil {
			t.Fatalf("%s: not JSON: %v", name, err)
		}
		kind, _ := doc["kind"].(string)
		kinds[kind] = true
		if doc["schema"] != report.Schema {
			t.Errorf("%s: schema %v, want %s", name, doc["schema"], report.Schema)
		}
		if !slices.Contains([]string{report.KindAnalysis, report.KindFleet, report.KindComparison, report.KindCapture}, kind) {
			t.Errorf("%s: kind %v", name, doc["kind"])
		}
		w := walker{t: t, doc: name, types: types}
		w.walk("", "", doc)
	}
	if len(kinds) != 4 {
		t.Errorf("kinds seen %v: want all four", kinds)
	}
	if capture.Schema != report.Schema || capture.KindCapture != report.KindCapture {
		t.Errorf("capture manifest schema %s kind %s, want %s %s", capture.Schema, capture.KindCapture, report.Schema, report.KindCapture)
	}
}

// monitoringFleetJSON is the fleet report read from monitoring, for two
// jobs with the settings Prometheus can report (GOGC off, no limit; GOGC
// 50, 512 MiB) and one without them. Collecting it needs a Prometheus
// (TestFleetReportPrometheus); the document is built from what it would
// have read.
func monitoringFleetJSON(t *testing.T) []byte {
	t.Helper()
	f := func(v float64) *float64 { return &v }
	off, fifty, limit, noLimit := units.GOGCOff, units.GOGC(50), units.Limit(512<<20), units.LimitOff
	res := &promfleet.Result{
		Opts: promfleet.Options{End: time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC), Range: time.Hour, Step: 6 * time.Minute, Job: ".+", Quantile: 0.99},
		Jobs: []promfleet.Job{
			{Name: "heavy", Metrics: fleet.Metrics{Instances: 2, GCCycles: 400, GCPerSecond: 0.05, PauseMeanMs: f(0.2), GCCPUFraction: f(0.3),
				HeapInuseMaxBytes: f(300 << 20), HeapLiveMaxBytes: f(100 << 20), GOGC: &fifty, MemoryLimit: &limit, GOMAXPROCS: f(4)}},
			{Name: "quiet", Metrics: fleet.Metrics{Instances: 1, GCCycles: 40, GCPerSecond: 0.01, PauseMeanMs: f(0.05), GCCPUFraction: f(0.01),
				GOGC: &off, MemoryLimit: &noLimit, GOMAXPROCS: f(2), LatencyMs: f(20), LatencyQuantile: 0.99}},
			{Name: "bare", Metrics: fleet.Metrics{Instances: 1, GCCycles: 1}},
		},
	}
	var buf bytes.Buffer
	if err := report.RenderFleet(&buf, promfleet.Document(res, "http://prometheus:9090", report.Schema, "test"), report.JSON, report.Options{}); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

type walker struct {
	t     *testing.T
	doc   string
	types map[string]map[string]string
}

var (
	snakeCase = regexp.MustCompile(`^[a-z][a-z0-9_]*$`)
	// dataMaps are objects whose keys are data (names from the inputs or
	// the analysis), not fields.
	dataMaps = map[string]bool{"tail_made_of": true}
)

// walk checks v, found under key at path.
func (w walker) walk(path, key string, v any) {
	w.t.Helper()
	where := fmt.Sprintf("%s: %s", w.doc, strings.TrimPrefix(path, "."))
	switch key {
	case "gogc", "memlimit_bytes":
		if !wholeOrOff(v) {
			w.t.Errorf("%s = %v: want a whole number, \"off\" or null", where, v)
		}
		// Null is "not known": only for what a process ran with. A
		// setting the model predicts or recommends is always known, and
		// "off" is written "off".
		parent := path[:strings.LastIndex(path, ".")]
		if v == nil && !strings.HasSuffix(parent, ".before") && !strings.HasSuffix(parent, ".after") &&
			!strings.HasSuffix(parent, ".metrics") && parent != "" {
			w.t.Errorf("%s is null: a setting the model predicts or recommends is known", where)
		}
	case "verdict":
		if _, ok := v.(map[string]any); !ok && v != nil {
			w.t.Errorf("%s = %v: want the verdict object", where, v)
		}
	default:
		if key == "bytes" || strings.HasSuffix(key, "_bytes") {
			if n, ok := v.(float64); v != nil && (!ok || n < 0 || n != math.Trunc(n)) {
				w.t.Errorf("%s = %v: want a whole number of bytes ≥ 0 or null", where, v)
			}
		}
		if strings.HasSuffix(key, "_ms") && !millis(v) {
			w.t.Errorf("%s = %v: want milliseconds (or an object of them, such as breakdown_ms) or null", where, v)
		}
	}
	if v != nil {
		w.note(path, key, v)
	}
	switch v := v.(type) {
	case map[string]any:
		if dataMaps[key] {
			return
		}
		for k, c := range v {
			if !snakeCase.MatchString(k) {
				w.t.Errorf("%s.%s: want a lower-case snake_case key", where, k)
			}
			w.walk(path+"."+k, k, c)
		}
	case []any:
		for _, c := range v {
			w.walk(path+"[]", key, c)
		}
	}
}

// note records v's type under its path, with a process's fields and a
// service's under one name, and reports a second type.
func (w walker) note(path, key string, v any) {
	w.t.Helper()
	p := path
	for _, list := range []string{".processes[]", ".services[]"} {
		if rest, ok := strings.CutPrefix(p, list); ok {
			p = "(process or service)" + rest
		}
	}
	typ := jsonType(v)
	if key == "gogc" || key == "memlimit_bytes" {
		typ = "setting" // a number or "off", checked above
	}
	seen := w.types[p]
	if seen == nil {
		seen = map[string]string{}
		w.types[p] = seen
	}
	if _, ok := seen[typ]; !ok {
		seen[typ] = w.doc
		if len(seen) > 1 {
			w.t.Errorf("%s is %v: one field, one type", p, seen)
		}
	}
}

func jsonType(v any) string {
	switch v.(type) {
	case map[string]any:
		return "object"
	case []any:
		return "array"
	case string:
		return "string"
	case float64:
		return "number"
	case bool:
		return "bool"
	}
	return "null"
}

func wholeOrOff(v any) bool {
	switch v := v.(type) {
	case nil:
		return true
	case string:
		return v == "off"
	case float64:
		return v >= 0 && v == math.Trunc(v)
	}
	return false
}

func millis(v any) bool {
	switch v := v.(type) {
	case nil, float64:
		return true
	case map[string]any:
		for _, c := range v {
			if _, ok := c.(float64); !ok {
				return false
			}
		}
		return true
	}
	return false
}
