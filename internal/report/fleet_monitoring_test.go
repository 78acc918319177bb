package report_test

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"

	"github.com/gcwatch/gcwatch/internal/advice"
	"github.com/gcwatch/gcwatch/internal/fleet"
	"github.com/gcwatch/gcwatch/internal/report"
	"github.com/gcwatch/gcwatch/internal/units"
)

func TestFleetMonitoring(t *testing.T) {
	cpu, p99 := 0.3, 1.5
	doc := &fleet.Document{Kind: "fleet", Source: fleet.SourcePrometheus, Window: &fleet.Window{URL: "http://p:9090", Job: ".+", Range: "1h", Step: "6m"},
		Services: []fleet.Service{{Name: "a<b>", Rank: 1, Verdict: &advice.Verdict{ID: "worth-trace-capture"}, WorthCapture: true, Data: "sufficient",
			Reasons: []string{"GC takes 30.0% of the CPU"}, Knowable: []string{"cannot tell: the p99 of GC pauses"},
			Metrics: &fleet.Metrics{GCCPUFraction: &cpu, PauseP99Ms: &p99, GOGC: ptrTo(units.GOGC(50)), LatencyQuantile: 0.99}}},
		Notes: []string{"query x: the server warned: partial"}}
	for _, format := range []string{"text", "markdown", "html"} {
		var b bytes.Buffer
		if err := report.RenderFleet(&b, doc, report.Format(format), report.Options{}); err != nil {
			t.Fatalf("%s: %v", format, err)
		}
		out := b.String()
		for _, want := range []string{"30.0%", "1.50 ms", "cannot tell: the p99 of GC pauses", "partial"} {
			if !strings.Contains(out, want) {
				t.Errorf("%s: %q missing:\n%s", format, want, out)
			}
		}
		if format == "html" && strings.Contains(out, "a<b>") {
			t.Errorf("html: the job name is not escaped")
		}
	}
	var b bytes.Buffer
	report.RenderFleet(&b, doc, report.JSON, report.Options{})
	var back fleet.Document
	if err := json.Unmarshal(b.Bytes(), &back); err != nil || !back.Services[0].WorthCapture || back.Source != fleet.SourcePrometheus {
		t.Errorf("json round trip: %v %+v", err, back)
	}
}

func ptrTo[T any](v T) *T { return &v }
