package report

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"github.com/gcwatch/gcwatch/internal/compare"
)

func TestRenderCompareJobs(t *testing.T) {
	yes := true
	before, after, change, p := 2.0, 1.0, -0.5, 0.001
	job := compare.Job{Job: "<b>svc|x", Knowable: []string{"cannot tell: the tail"},
		Comparison: &compare.Comparison{Rows: []compare.Row{{Metric: "gc_per_second", Unit: "per_second", Before: &before, After: &after,
			Change: &change, Significant: &yes, PValue: &p, BeforeN: 10, AfterN: 10, WorseWhen: "higher"}}, Notes: []string{}}}
	doc := &CompareJobsDocument{Schema: Schema, Kind: KindComparison, Source: "prometheus", Alpha: 0.05, Jobs: []compare.Job{job}, Notes: []string{},
		Window: CompareWindows{URL: "http://p:9090", Job: ".+", Step: "6m0s",
			Before: TimeRange{Start: time.Unix(0, 0), End: time.Unix(3600, 0)}, After: TimeRange{Start: time.Unix(7200, 0), End: time.Unix(10800, 0)}}}
	for _, f := range []Format{Text, Markdown, HTML, JSON} {
		var b bytes.Buffer
		if err := RenderCompareJobs(&b, doc, f, Options{}); err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		out := b.String()
		if !strings.Contains(out, "-50.0%") && f != JSON {
			t.Errorf("%s: no change column:\n%s", f, out)
		}
		switch f {
		case HTML:
			if strings.Contains(out, "<b>svc") || !strings.Contains(out, "&lt;b&gt;svc") {
				t.Errorf("html: job name not escaped")
			}
		case Markdown:
			if strings.Contains(out, "svc|x") {
				t.Errorf("markdown: | in a job name not escaped:\n%s", out)
			}
		case JSON:
			if !strings.Contains(out, `"schema": "gcwatch/v2"`) || !strings.Contains(out, `"kind": "comparison"`) || !strings.Contains(out, `"job": "\u003cb\u003esvc|x"`) {
				t.Errorf("json:\n%s", out)
			}
		}
	}
}
