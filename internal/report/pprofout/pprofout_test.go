package pprofout

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/pprof/profile"
	exptrace "golang.org/x/exp/trace"

	"github.com/gcwatch/gcwatch/internal/analyze"
	"github.com/gcwatch/gcwatch/internal/ingest"
	"github.com/gcwatch/gcwatch/internal/model"
	"github.com/gcwatch/gcwatch/internal/report"
	"github.com/gcwatch/gcwatch/internal/tracetest"
)

// recordings are the example captures with tasks and mark assists.
var recordings = []string{"bigheap", "allocheavy-p2-gogc100", "tune-before"}

func load(t *testing.T, dir string) *analyze.Result {
	t.Helper()
	path := filepath.Join("../../../examples/testdata", dir)
	if _, err := os.Stat(path); err != nil {
		t.Skipf("no recording %s: %v", dir, err)
	}
	opts := ingest.Options{}
	opts.Trace.Stacks = true
	loaded, err := ingest.Load([]string{path}, opts)
	if err != nil {
		t.Fatal(err)
	}
	if len(loaded.Runs) != 1 {
		t.Fatalf("%s: %d runs, want 1", dir, len(loaded.Runs))
	}
	return analyze.Analyze(loaded.Runs[0], analyze.DefaultOptions())
}

// build makes the profile and reads it back as go tool pprof would.
func build(t *testing.T, res *analyze.Result) (*profile.Profile, []byte) {
	t.Helper()
	p, err := Build(res)
	if err != nil {
		t.Fatalf("Build: %v", err)
	}
	var buf bytes.Buffer
	if err := Write(&buf, p); err != nil {
		t.Fatal(err)
	}
	back, err := profile.Parse(bytes.NewReader(buf.Bytes()))
	if err != nil {
		t.Fatalf("parsing the written profile: %v", err)
	}
	return back, buf.Bytes()
}

// TestTotalsMatchReport checks the per-type totals against the report's
// JSON numbers.
func TestTotalsMatchReport(t *testing.T) {
	for _, dir := range recordings {
		t.Run(dir, func(t *testing.T) {
			res := load(t, dir)
			p, _ := build(t, res)
			doc := report.Build([]report.Input{{Result: res, Budget: -1}}, "test", nil)
			proc := doc.Processes[0]
			got := Sum(p)
			if proc.GC.MarkAssistMs == nil || ms(got.MarkAssist) != *proc.GC.MarkAssistMs {
				t.Errorf("mark_assist total %v ms, report gc.mark_assist_total_ms %v", ms(got.MarkAssist), proc.GC.MarkAssistMs)
			}
			if proc.Attribution == nil || ms(got.STWOverlap) != proc.Attribution.STWOverlapTotalMs {
				t.Errorf("stw_overlap total %v ms, report attribution %+v", ms(got.STWOverlap), proc.Attribution)
			}
			if got.MarkAssist == 0 || got.STWOverlap == 0 {
				t.Errorf("%s: totals %+v: the recording should have both", dir, got)
			}
			for _, s := range p.Sample {
				if s.Value[1] > 0 && s.Location[0].Line[0].Function.Name == frameUnknown {
					t.Errorf("stw_overlap %d ns at an unknown stack", s.Value[1])
				}
			}
		})
	}
}

func ms(d time.Duration) float64 { return float64(d) / 1e6 }

// profileKey names a sample's stack by its frames.
func profileKey(s *profile.Sample) string {
	var sb strings.Builder
	for _, l := range s.Location {
		fmt.Fprintf(&sb, "%s:%d\n", l.Line[0].Function.Name, l.Line[0].Line)
	}
	return sb.String()
}

// rawFacts is what the tests compute from the trace's raw events.
type rawFacts struct {
	assist     map[string]time.Duration // executing assist time by stack
	stwOverlap time.Duration            // top-level ended tasks × GC pauses
}

// readRaw computes, with one x/exp reader and no gcwatch code, the assist
// executing time by the stack of each assist's begin event (tracer frames
// left out), and the overlap of the tasks the report counts (begun and
// ended in the trace, parent not begun in it) with GC pauses.
func readRaw(t *testing.T, path string) rawFacts {
	type goInfo struct {
		running, assist bool
		since           exptrace.Time
		stack           string
	}
	type span struct{ start, end exptrace.Time }
	gs := map[exptrace.GoID]*goInfo{}
	f := rawFacts{assist: map[string]time.Duration{}}
	info := func(g exptrace.GoID) *goInfo {
		if gs[g] == nil {
			gs[g] = &goInfo{}
		}
		return gs[g]
	}
	settle := func(gi *goInfo, now exptrace.Time) {
		if gi.running && gi.assist {
			f.assist[gi.stack] += now.Sub(gi.since)
		}
		gi.since = now
	}
	tasks := map[exptrace.TaskID]*span{}
	parents := map[exptrace.TaskID]exptrace.TaskID{}
	var pauses []span
	stwOpen := map[string]exptrace.Time{}
	stwBy := map[string]exptrace.GoID{}
	// A mark-termination pause ends, as the runtime counts it, at the
	// heap goal its stopper traces while committing the next cycle.
	const markTerm = "stop-the-world (GC mark termination)"
	released := map[string]exptrace.Time{}
	var last exptrace.Time
	for ev := range tracetest.Events(t, path) {
		last = ev.Time()
		switch ev.Kind() {
		case exptrace.EventMetric:
			if _, ok := stwOpen[markTerm]; ok && ev.Metric().Name == "/gc/heap/goal:bytes" && ev.Goroutine() == stwBy[markTerm] {
				if _, done := released[markTerm]; !done {
					released[markTerm] = ev.Time()
				}
			}
		case exptrace.EventStateTransition:
			st := ev.StateTransition()
			if st.Resource.Kind == exptrace.ResourceGoroutine {
				gi := info(st.Resource.Goroutine())
				_, to := st.Goroutine()
				settle(gi, ev.Time())
				gi.running = to == exptrace.GoRunning
			}
		case exptrace.EventRangeBegin, exptrace.EventRangeActive, exptrace.EventRangeEnd:
			rg := ev.Range()
			if strings.HasPrefix(rg.Name, "stop-the-world (GC ") {
				switch {
				case ev.Kind() == exptrace.EventRangeBegin:
					stwOpen[rg.Name] = ev.Time()
					stwBy[rg.Name] = ev.Goroutine()
					if gi := info(ev.Goroutine()); gi.assist && rg.Name == markTerm {
						// an assist that stops the world for mark
						// termination is not assist time from there on
						settle(gi, ev.Time())
						gi.assist = false
					}
				case ev.Kind() == exptrace.EventRangeEnd:
					if begin, ok := stwOpen[rg.Name]; ok {
						end := ev.Time()
						if r, ok := released[rg.Name]; ok {
							end = r
						}
						pauses = append(pauses, span{begin, end})
						delete(stwOpen, rg.Name)
						delete(released, rg.Name)
					}
				}
			}
			if rg.Name != "GC mark assist" {
				continue
			}
			gi := info(rg.Scope.Goroutine())
			on := ev.Kind() != exptrace.EventRangeEnd
			if on == gi.assist {
				continue
			}
			settle(gi, ev.Time())
			gi.assist, gi.stack = on, ""
			if ev.Kind() == exptrace.EventRangeBegin {
				var sb strings.Builder
				own := false
				for fr := range ev.Stack().Frames() {
					if own = own || !strings.HasPrefix(fr.Func, "runtime.trace"); own {
						fmt.Fprintf(&sb, "%s:%d\n", fr.Func, fr.Line)
					}
				}
				gi.stack = sb.String()
			}
		case exptrace.EventTaskBegin:
			tasks[ev.Task().ID] = &span{start: ev.Time()}
			parents[ev.Task().ID] = ev.Task().Parent
		case exptrace.EventTaskEnd:
			if s := tasks[ev.Task().ID]; s != nil && s.end == 0 {
				s.end = ev.Time()
			}
		}
	}
	for _, gi := range gs {
		settle(gi, last)
	}
	for id, s := range tasks {
		if _, nested := tasks[parents[id]]; nested || s.end == 0 {
			continue
		}
		for _, p := range pauses {
			if b, e := max(s.start, p.start), min(s.end, p.end); e > b {
				f.stwOverlap += e.Sub(b)
			}
		}
	}
	for k, v := range f.assist {
		if v == 0 {
			delete(f.assist, k)
		}
	}
	return f
}

// TestAgainstRawEvents checks the profile's assist stacks and overlap
// total against the raw events.
func TestAgainstRawEvents(t *testing.T) {
	for _, dir := range recordings {
		t.Run(dir, func(t *testing.T) {
			res := load(t, dir)
			p, _ := build(t, res)
			raw := readRaw(t, filepath.Join("../../../examples/testdata", dir, "trace.out"))
			got := map[string]time.Duration{}
			for _, s := range p.Sample {
				if s.Value[0] > 0 {
					got[profileKey(s)] += time.Duration(s.Value[0])
				}
			}
			if d := cmp.Diff(raw.assist, got); d != "" {
				t.Errorf("mark assist by stack (-raw +profile):\n%s", d)
			}
			if sum := Sum(p); sum.STWOverlap != raw.stwOverlap {
				t.Errorf("stw_overlap total %v, raw tasks × GC pauses %v", sum.STWOverlap, raw.stwOverlap)
			}
		})
	}
}

// TestGoToolPprof runs go tool pprof -top on a written profile: it must
// read it, show the report's total and put the expected function on top.
func TestGoToolPprof(t *testing.T) {
	gobin, err := exec.LookPath("go")
	if err != nil {
		t.Skip("no go command in PATH: cannot run go tool pprof")
	}
	res := load(t, "bigheap")
	p, data := build(t, res)
	file := filepath.Join(t.TempDir(), "gc.pb.gz")
	if err := os.WriteFile(file, data, 0o644); err != nil {
		t.Fatal(err)
	}
	for i, typ := range []string{MarkAssist, STWOverlap} {
		// The expected top: the leaf with the most flat time, and the
		// total, summed here from the samples.
		flat := map[string]int64{}
		var total int64
		for _, s := range p.Sample {
			flat[s.Location[0].Line[0].Function.Name] += s.Value[i]
			total += s.Value[i]
		}
		top := ""
		for fn, v := range flat {
			if top == "" || v > flat[top] || v == flat[top] && fn < top {
				top = fn
			}
		}
		out, err := exec.Command(gobin, "tool", "pprof", "-top", "-sample_index="+typ, "-unit=ns", file).CombinedOutput()
		if err != nil {
			t.Fatalf("go tool pprof: %v\n%s", err, out)
		}
		text := string(out)
		if want := fmt.Sprintf("of %dns total", total); !strings.Contains(text, want) {
			t.Errorf("%s: pprof does not show %q:\n%s", typ, want, text)
		}
		if first := firstRow(text); !strings.HasSuffix(first, " "+top) {
			t.Errorf("%s: top row %q, want function %s:\n%s", typ, first, top, text)
		}
	}
}

// firstRow returns the first row of pprof -top's table.
func firstRow(text string) string {
	lines := strings.Split(text, "\n")
	for i, l := range lines {
		if strings.Contains(l, "flat%") && i+1 < len(lines) {
			return strings.TrimSpace(lines[i+1])
		}
	}
	return ""
}

// TestNothingToProfile checks the errors for runs the profile cannot
// describe.
func TestNothingToProfile(t *testing.T) {
	trace := model.Fidelity{Trace: true, Stacks: true}
	cases := []struct {
		name string
		run  model.Run
		want error
	}{
		{"gctrace only", model.Run{Fidelity: model.Fidelity{GCTrace: true}}, ErrNoTrace},
		{"no stacks", model.Run{Fidelity: model.Fidelity{Trace: true}}, ErrNoStacks},
		{"no assists, no requests", model.Run{Fidelity: trace, End: 1e9,
			Pauses: []model.Pause{{Start: 10, Duration: 100, Kind: model.PauseMarkTermination, Cycle: -1}}}, ErrEmpty},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := Build(analyze.Analyze(&c.run, analyze.DefaultOptions()))
			if !errors.Is(err, c.want) {
				t.Errorf("Build: %v, want %v", err, c.want)
			}
		})
	}
}

// TestOldTraceWithoutAssists reads a Go 1.21 trace with tasks but no mark
// assist and no GC pause: nothing to profile, said so.
func TestOldTraceWithoutAssists(t *testing.T) {
	out, err := exec.Command("go", "env", "GOROOT").Output()
	if err != nil {
		t.Skipf("go env GOROOT: %v", err)
	}
	path := filepath.Join(strings.TrimSpace(string(out)), "src/internal/trace/internal/tracev1/testdata/user_task_region_1_21_good")
	if _, err := os.Stat(path); err != nil {
		t.Skipf("no %s", path)
	}
	opts := ingest.Options{}
	opts.Trace.Stacks = true
	loaded, err := ingest.Load([]string{path}, opts)
	if err != nil {
		t.Fatal(err)
	}
	res := analyze.Analyze(loaded.Runs[0], analyze.DefaultOptions())
	if _, err := Build(res); !errors.Is(err, ErrEmpty) {
		t.Errorf("Build: %v, want %v", err, ErrEmpty)
	}
}

// BenchmarkBuild measures making and writing the profile of a recording
// with many requests (memlimit: about 10,000 pause stacks).
func BenchmarkBuild(b *testing.B) {
	path := "../../../examples/testdata/memlimit"
	if _, err := os.Stat(path); err != nil {
		b.Skipf("no recording: %v", err)
	}
	opts := ingest.Options{}
	opts.Trace.Stacks = true
	loaded, err := ingest.Load([]string{path}, opts)
	if err != nil {
		b.Fatal(err)
	}
	res := analyze.Analyze(loaded.Runs[0], analyze.DefaultOptions())
	b.ReportAllocs()
	for b.Loop() {
		p, err := Build(res)
		if err != nil {
			b.Fatal(err)
		}
		if err := Write(io.Discard, p); err != nil {
			b.Fatal(err)
		}
	}
}
