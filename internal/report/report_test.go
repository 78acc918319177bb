package report

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/gcwatch/gcwatch/internal/analyze"
	"github.com/gcwatch/gcwatch/internal/model"
)

// sampleResult is a small analysed run with every part filled.
func sampleResult() *analyze.Result {
	run := &model.Run{
		Inputs:    []model.Input{{Path: "<script>alert(1)</script>.trace", Kind: model.KindTrace}},
		GoVersion: "go1.26", GOMAXPROCS: 4,
		Start: 0, End: model.Time(2 * time.Second),
		Fidelity: model.Fidelity{Trace: true},
		GCCPU:    model.GCCPU{Assist: 3 * time.Millisecond, Capacity: 8 * time.Second},
		Cycles:   []model.Cycle{{N: 7, Start: 100, End: 200, HeapLive: 1 << 20, HeapGoal: 2 << 20, HeapStart: -1, HeapEnd: -1, Stacks: -1, Globals: -1}},
		Pauses: []model.Pause{
			{Start: 100, Duration: 2 * time.Millisecond, Kind: model.PauseSweepTermination, Reason: "GC sweep termination", Cycle: 0, TimeToStop: time.Millisecond},
			{Start: 500, Duration: time.Millisecond, Kind: model.PauseNonGC, Reason: "read <mem> stats", Cycle: -1, TimeToStop: -1},
		},
		Requests: model.RequestsOf(model.Request{ID: 1, Type: "req", Kind: model.RequestTask, Start: 0, End: model.Time(5 * time.Millisecond)}),
		MMU: &model.MMU{Points: []model.MMUPoint{{Window: time.Millisecond, MMU: 0.25,
			Worst: []model.MMUWindow{{Start: 10, Utilization: 0.25}}}}},
		Warnings: []string{"something <odd>"},
		Allocs: &model.AllocProfile{SampleType: "alloc_space", TotalBytes: 100, Sites: []model.AllocSite{{
			Function: "main.<i>render</i>", File: "/src/<em>x</em>.go", Line: 3, Via: "text/<u>template</u>.Execute",
			Callers: []string{"main.<s>serve</s>"}, Bytes: 100, Share: 1}}},
	}
	return analyze.Analyze(run, analyze.DefaultOptions())
}

// TestJSONContract checks the field names that issues spell out: they are
// an API and must not change within schema gcwatch/v2.
func TestJSONContract(t *testing.T) {
	doc := Build([]Input{{Result: sampleResult()}}, "test", nil)
	var buf bytes.Buffer
	if err := Render(&buf, doc, JSON, Options{}); err != nil {
		t.Fatal(err)
	}
	var top map[string]any
	if err := json.Unmarshal(buf.Bytes(), &top); err != nil {
		t.Fatal(err)
	}
	if top["schema"] != "gcwatch/v2" || top["kind"] != "analysis" {
		t.Fatalf("schema = %v, kind = %v", top["schema"], top["kind"])
	}
	procs := top["processes"].([]any)
	p := procs[0].(map[string]any)
	for _, path := range []string{
		"source.inputs", "source.go_version", "source.gomaxprocs",
		"gc.cycles", "gc.forced_cycles", "gc.stw_count", "gc.stw_total_ms", "gc.stw_max_ms", "gc.stw_p99_ms",
		"gc.cpu_fraction", "gc.mark_assist_total_ms", "gc.mmu", "non_gc_stw",
		"latency.source", "latency.requests", "latency.p50_ms", "latency.p99_ms", "latency.p999_ms", "latency.max_ms",
		"warnings",
	} {
		if _, ok := lookup(p, path); !ok {
			t.Errorf("JSON report lacks %s", path)
		}
	}
	mmu, _ := lookup(p, "gc.mmu")
	pt := mmu.([]any)[0].(map[string]any)
	if pt["window_ms"] != 1.0 || pt["mmu"] != 0.25 {
		t.Errorf("gc.mmu[0] = %v", pt)
	}
	if v, _ := lookup(p, "gc.stw_max_ms"); v != 2.0 {
		t.Errorf("gc.stw_max_ms = %v, want 2", v)
	}
	if v, _ := lookup(p, "gc.mark_assist_total_ms"); v != 3.0 {
		t.Errorf("gc.mark_assist_total_ms = %v, want 3", v)
	}
	if v, _ := lookup(p, "latency.source"); v != "task" {
		t.Errorf("latency.source = %v", v)
	}
}

func lookup(m map[string]any, path string) (any, bool) {
	var cur any = m
	for _, k := range strings.Split(path, ".") {
		mm, ok := cur.(map[string]any)
		if !ok {
			return nil, false
		}
		if cur, ok = mm[k]; !ok {
			return nil, false
		}
	}
	return cur, true
}

func TestHTMLEscapesInputs(t *testing.T) {
	doc := Build([]Input{{Result: sampleResult()}}, "test", []string{"note <b>x</b>"})
	var buf bytes.Buffer
	if err := Render(&buf, doc, HTML, Options{}); err != nil {
		t.Fatal(err)
	}
	out := buf.String()
	for _, bad := range []string{"<script>", "<mem>", "<odd>", "<b>x", "<i>", "<em>", "<u>", "<s>"} {
		if strings.Contains(out, bad) {
			t.Errorf("HTML report contains unescaped %q", bad)
		}
	}
	if !strings.Contains(out, "&lt;script&gt;alert(1)&lt;/script&gt;") {
		t.Errorf("HTML report lacks the escaped file name")
	}
}

func TestMarkdownEscapesInputs(t *testing.T) {
	doc := Build([]Input{{Result: sampleResult()}}, "test", nil)
	var buf bytes.Buffer
	if err := Render(&buf, doc, Markdown, Options{}); err != nil {
		t.Fatal(err)
	}
	for _, bad := range []string{"<script>", "<i>", "<em>", "<u>", "<s>"} {
		if strings.Contains(buf.String(), bad) {
			t.Errorf("Markdown report contains raw HTML from an input: %q", bad)
		}
	}
}

func TestTextHeadlineFirst(t *testing.T) {
	doc := Build([]Input{{Result: sampleResult()}}, "test", nil)
	var buf bytes.Buffer
	if err := Render(&buf, doc, Text, Options{}); err != nil {
		t.Fatal(err)
	}
	out := buf.String()
	if strings.Contains(out, "\x1b[") {
		t.Errorf("colour without Options.Color")
	}
	gc := strings.Index(out, "GC pauses")
	worst := strings.Index(out, "Worst pauses")
	if gc < 0 || worst < gc {
		t.Errorf("headline numbers should come before the worst pauses:\n%s", out)
	}
	if !strings.Contains(out, "2.00 ms") || !strings.Contains(out, "non-GC: read <mem> stats") {
		t.Errorf("text report lacks the worst pause:\n%s", out)
	}
}

func TestParseFormat(t *testing.T) {
	for in, want := range map[string]Format{"text": Text, "JSON": JSON, "md": Markdown, "markdown": Markdown, "html": HTML} {
		if got, err := ParseFormat(in); err != nil || got != want {
			t.Errorf("ParseFormat(%q) = %v, %v", in, got, err)
		}
	}
	if _, err := ParseFormat("yaml"); err == nil {
		t.Errorf("ParseFormat(yaml) succeeded")
	}
}
