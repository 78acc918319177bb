package cli

import (
	"encoding/json"
	"fmt"
	"math"
	"os"
	"testing"

	"github.com/gcwatch/gcwatch/internal/units"
)

// TestTunePredictionHolds is the tune verdict's proof. tune-before is the
// allocheavy service at GOGC=100; tune-after is the same program, load and
// GOMAXPROCS run again with the setting gcwatch recommends for
// tune-before under a 1 GiB budget. The recommendation must be the one
// tune-after ran with, and what gcwatch predicted for it must match what
// tune-after measured: GC frequency within ±20 %, p99 within ±30 %.
func TestTunePredictionHolds(t *testing.T) {
	const dir = "../../examples/testdata/"
	code, before, errs := analyzeJSON(t, "--mem-budget", "1GiB", dir+"tune-before")
	if code != exitOK {
		t.Fatalf("exit %d: %s", code, errs)
	}
	v := processes(before)[0]["verdict"].(map[string]any)
	if v["id"] != "tune" {
		t.Fatalf("tune-before: verdict %v (%v)", v["id"], v["summary"])
	}
	settings := v["settings"].(map[string]any)
	var meta struct {
		Env map[string]string `json:"env"`
	}
	b, err := os.ReadFile(dir + "tune-after/meta.json")
	if err != nil {
		t.Fatal(err)
	}
	json.Unmarshal(b, &meta)
	limit := meta.Env["GOMEMLIMIT"]
	if limit == "" {
		limit = "off"
	}
	if fmt.Sprint(settings["gogc"]) != meta.Env["GOGC"] || limitText(settings["memlimit_bytes"]) != limit {
		t.Fatalf("gcwatch now recommends gogc %v memlimit_bytes %v for tune-before, but tune-after ran with GOGC=%s GOMEMLIMIT=%s: re-record tune-after (go generate ./examples/...)",
			settings["gogc"], settings["memlimit_bytes"], meta.Env["GOGC"], limit)
	}
	predicted := settings["predicted"].(map[string]any)

	code, after, errs := analyzeJSON(t, dir+"tune-after")
	if code != exitOK {
		t.Fatalf("exit %d: %s", code, errs)
	}
	p := processes(after)[0]
	gcps := p["gc"].(map[string]any)["per_second"].(float64)
	p99 := p["latency"].(map[string]any)["p99_ms"].(float64)
	t.Logf("GOGC=%v: GC %.2f/s predicted, %.2f/s measured; p99 %.3f ms predicted, %.3f ms measured",
		settings["gogc"], predicted["gc_per_second"], gcps, predicted["p99_ms"], p99)
	check := func(what string, pred, got, tol float64) {
		if math.Abs(pred-got) > tol*got {
			t.Errorf("%s predicted %.3f, measured %.3f: off by %.0f%%, more than ±%.0f%%", what, pred, got, 100*(pred-got)/got, 100*tol)
		}
	}
	check("GC per second", predicted["gc_per_second"].(float64), gcps, 0.20)
	check("p99 ms", predicted["p99_ms"].(float64), p99, 0.30)
}

// limitText is a memlimit_bytes from JSON as GOMEMLIMIT is written.
func limitText(v any) string {
	if b, ok := v.(float64); ok {
		return units.Limit(b).String()
	}
	return fmt.Sprint(v)
}
