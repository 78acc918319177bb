package cli

import (
	"path/filepath"
	"testing"

	"github.com/gcwatch/gcwatch/internal/tracetest"
	exptrace "golang.org/x/exp/trace"
)

// TestAnalyzeTaskNamingARegionType checks the one case where a trace with
// tasks has its regions analysed: --task names a type no task has but
// regions do; their count is checked against x/exp's own events.
func TestAnalyzeTaskNamingARegionType(t *testing.T) {
	path := filepath.Join(example, "trace.out")
	begun, endedUnbegun := regionCount(t, path, "decode")
	if begun == 0 {
		t.Fatalf("%s has no decode regions", path)
	}
	code, doc, errs := analyzeJSON(t, "--task", "decode", path)
	if code != exitOK {
		t.Fatalf("exit %d: %s", code, errs)
	}
	lat := processes(doc)[0]["latency"].(map[string]any)
	got := int(lat["requests"].(float64)) + int(lat["open"].(float64))
	if lat["source"] != "region" || got != begun+endedUnbegun {
		t.Errorf("latency %v: want source region and %d requests with the open ones", lat, begun+endedUnbegun)
	}

	_, doc, _ = analyzeJSON(t, path)
	if lat := processes(doc)[0]["latency"].(map[string]any); lat["source"] != "task" {
		t.Errorf("without --task: latency %v, want tasks", lat)
	}
}

// regionCount counts the regions of type typ begun in the trace, and
// those ended in it without a begin (begun before it started).
func regionCount(t *testing.T, path, typ string) (begun, endedUnbegun int) {
	t.Helper()
	open := map[exptrace.GoID]int{}
	for ev := range tracetest.Events(t, path) {
		if k := ev.Kind(); (k == exptrace.EventRegionBegin || k == exptrace.EventRegionEnd) && ev.Region().Type == typ {
			g := ev.Goroutine()
			switch {
			case k == exptrace.EventRegionBegin:
				begun++
				open[g]++
			case open[g] > 0:
				open[g]--
			default:
				endedUnbegun++
			}
		}
	}
	return begun, endedUnbegun
}
