package cli

import (
	"bytes"
	"compress/gzip"
	"encoding/json"
	"os"
	"path/filepath"
	"runtime"
	"runtime/pprof"
	"strings"
	"testing"
)

const example = "../../examples/testdata/allocheavy-p2-gogc100"

// analyzeJSON runs gcwatch analyze --format json and decodes the report.
func analyzeJSON(t *testing.T, args ...string) (int, map[string]any, string) {
	t.Helper()
	code, out, errs := run(t, append([]string{"analyze", "--format", "json"}, args...)...)
	if code != exitOK {
		return code, nil, errs
	}
	var doc map[string]any
	if err := json.Unmarshal([]byte(out), &doc); err != nil {
		t.Fatalf("stdout is not JSON: %v\n%s", err, out)
	}
	return code, doc, errs
}

func processes(doc map[string]any) []map[string]any {
	var out []map[string]any
	for _, p := range doc["processes"].([]any) {
		out = append(out, p.(map[string]any))
	}
	return out
}

func TestAnalyzeCaptureFolderIsOneProcess(t *testing.T) {
	code, doc, errs := analyzeJSON(t, example)
	if code != exitOK {
		t.Fatalf("exit %d: %s", code, errs)
	}
	ps := processes(doc)
	if len(ps) != 1 {
		t.Fatalf("%d processes, want 1 (trace and gctrace log of one run)", len(ps))
	}
	src := ps[0]["source"].(map[string]any)
	kinds := map[string]bool{}
	for _, in := range src["inputs"].([]any) {
		kinds[in.(map[string]any)["kind"].(string)] = true
	}
	if !kinds["trace"] || !kinds["gctrace"] || !kinds["profile"] || src["matching"] == nil {
		t.Errorf("source = %v", src)
	}
	if strings.Contains(errs, "skipped") {
		t.Errorf("the capture's meta.json should not be reported as skipped: %s", errs)
	}
	// The capture's description gives the settings the process ran with.
	if !strings.Contains(errs, "GOGC read from") {
		t.Errorf("GOGC not read from the capture's meta.json: %s", errs)
	}
}

func TestAnalyzeFormatsAndOutputFile(t *testing.T) {
	dir := t.TempDir()
	for _, f := range []string{"text", "json", "markdown", "html"} {
		out := filepath.Join(dir, "report."+f)
		code, stdout, errs := run(t, "analyze", "--format", f, "-o", out, example+"/trace.out")
		if code != exitOK || stdout != "" {
			t.Fatalf("%s: exit %d, stdout %q, stderr %s", f, code, stdout, errs)
		}
		b, err := os.ReadFile(out)
		if err != nil || len(b) < 200 {
			t.Fatalf("%s: report file: %v (%d bytes)", f, err, len(b))
		}
	}
	// No temporary files are left beside the report: the four reports,
	// and the Markdown report's plots in report_files/.
	entries, _ := os.ReadDir(dir)
	if len(entries) != 5 {
		t.Errorf("%d files in the output folder, want 5", len(entries))
	}
	if fi, err := os.Stat(filepath.Join(dir, "report_files")); err != nil || !fi.IsDir() {
		t.Errorf("no report_files folder beside report.markdown: %v", err)
	}
}

func TestAnalyzeGzipAndStdin(t *testing.T) {
	raw, err := os.ReadFile(example + "/gctrace.log")
	if err != nil {
		t.Fatal(err)
	}
	var zb bytes.Buffer
	zw := gzip.NewWriter(&zb)
	zw.Write(raw)
	zw.Close()
	path := filepath.Join(t.TempDir(), "log")
	os.WriteFile(path, zb.Bytes(), 0o644)
	_, plain, _ := analyzeJSON(t, example+"/gctrace.log")
	_, zipped, _ := analyzeJSON(t, path)
	pg, zg := processes(plain)[0]["gc"], processes(zipped)[0]["gc"]
	if pj, _ := json.Marshal(pg); string(pj) != string(mustJSON(zg)) {
		t.Errorf("gzip-compressed log analysed differently")
	}
	var out, errb bytes.Buffer
	if code := Main([]string{"analyze", "--format", "json", "-"}, bytes.NewReader(raw), &out, &errb); code != 0 {
		t.Fatalf("stdin: exit %d: %s", code, errb.String())
	}
	if !strings.Contains(out.String(), `"cycles"`) {
		t.Errorf("stdin report: %s", out.String())
	}
}

func mustJSON(v any) []byte { b, _ := json.Marshal(v); return b }

// TestBadInputs checks that every unusable input gets one clear line on
// stderr naming the file and what it is not, exit status 1, and no stack.
func TestBadInputs(t *testing.T) {
	dir := t.TempDir()
	write := func(name string, b []byte) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, b, 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	var prof bytes.Buffer
	runtime.GC()
	if err := pprof.Lookup("heap").WriteTo(&prof, 0); err != nil {
		t.Fatal(err)
	}
	empty := filepath.Join(dir, "nothing")
	os.Mkdir(empty, 0o755)
	write("nothing/notes.txt", []byte("just some notes\n"))
	oldTrace, _ := os.ReadFile(filepath.Join(runtime.GOROOT(), "src/internal/trace/internal/tracev1/testdata/stress_1_11_good"))

	cases := []struct {
		name, path, want string
	}{
		{"profile alone", write("heap.pprof", prof.Bytes()), "is a pprof profile, not an execution trace or gctrace log"},
		{"text file", write("app.log", []byte("starting\nlistening on :8080\n")), "not an execution trace or gctrace log"},
		{"binary junk", write("junk.bin", []byte{0, 1, 2, 3, 0xff, 0xfe, 0, 0, 9, 8, 7}), "not an execution trace, gctrace log or pprof profile"},
		{"empty file", write("empty.out", nil), "is empty"},
		{"missing file", filepath.Join(dir, "missing.out"), "no such file"},
		{"folder with nothing usable", empty, "holds nothing usable"},
	}
	if len(oldTrace) > 4000 {
		cases = append(cases, struct{ name, path, want string }{"old-format trace cut short", write("old.trace", oldTrace[:3000]), "not a usable execution trace (go 1.11 trace)"})
	}
	for _, tc := range cases {
		code, out, errs := run(t, "analyze", tc.path)
		if code != exitError {
			t.Errorf("%s: exit %d, want 1", tc.name, code)
		}
		if out != "" {
			t.Errorf("%s: stdout %q", tc.name, out)
		}
		lines := strings.Split(strings.TrimSpace(errs), "\n")
		if len(lines) != 1 || !strings.Contains(errs, tc.path) || !strings.Contains(errs, tc.want) || strings.Contains(errs, "goroutine ") {
			t.Errorf("%s: stderr %q, want one line naming %s and saying %q", tc.name, errs, tc.path, tc.want)
		}
	}
}

func TestProfileWithTraceIsKept(t *testing.T) {
	var prof bytes.Buffer
	pprof.Lookup("heap").WriteTo(&prof, 0)
	p := filepath.Join(t.TempDir(), "heap.pb.gz")
	os.WriteFile(p, prof.Bytes(), 0o644)
	code, doc, errs := analyzeJSON(t, example+"/trace.out", p)
	if code != exitOK {
		t.Fatalf("exit %d: %s", code, errs)
	}
	if len(processes(doc)) != 1 {
		t.Errorf("want one process")
	}
}

func TestUnreadableFile(t *testing.T) {
	if os.Geteuid() == 0 {
		t.Skip("root reads any file; see TestBadInputs for missing files")
	}
	p := filepath.Join(t.TempDir(), "trace.out")
	os.WriteFile(p, []byte("go 1.22 trace"), 0o000)
	code, _, errs := run(t, "analyze", p)
	if code != exitError || !strings.Contains(errs, "permission denied") {
		t.Errorf("exit %d, stderr %q", code, errs)
	}
}
