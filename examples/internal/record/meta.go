package main

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"time"
)

// meta is meta.json: how a recording was made.
type meta struct {
	Scenario   string            `json:"scenario"`
	About      string            `json:"about"`
	Program    string            `json:"program"`
	Command    string            `json:"command"`
	Env        map[string]string `json:"env"`
	GoVersion  string            `json:"go_version"`
	GOMAXPROCS string            `json:"gomaxprocs"`
	GOGC       string            `json:"gogc"`
	GOMEMLIMIT string            `json:"gomemlimit,omitempty"`
	Duration   string            `json:"duration"`
	Warmup     string            `json:"warmup,omitempty"`
	Date       string            `json:"date"`
	HostCPUs   int               `json:"host_cpus"`
	// LoadAverage is the host's 1-minute load average when the run began:
	// above host_cpus, other work competed with the recording for CPU.
	LoadAverage string              `json:"load_average,omitempty"`
	GOOS        string              `json:"goos"`
	GOARCH      string              `json:"goarch"`
	Files       map[string]fileMeta `json:"files"`
	// Summary is the JSON line the program printed on stdout when it
	// ended, including the GC cycle counts before and after the trace.
	Summary json.RawMessage `json:"summary"`
}

type fileMeta struct {
	Bytes int64  `json:"bytes"`
	About string `json:"about"`
}

// writeMeta writes dir/meta.json; args are the program's flags as shown
// (with the trace path relative to the scenario's folder).
func writeMeta(dir string, s scenario, goVersion string, started time.Time, load string, files map[string]fileMeta, args []string, stdout []byte) error {
	vars := s.env.vars()
	vars["GODEBUG"] = "gctrace=1"
	m := meta{
		Scenario:    s.name,
		About:       s.about,
		Program:     s.program,
		Command:     "go run ./examples/" + s.program + " " + strings.Join(args, " "),
		Env:         vars,
		GoVersion:   goVersion,
		GOMAXPROCS:  s.env.GOMAXPROCS,
		GOGC:        s.env.GOGC,
		GOMEMLIMIT:  s.env.GOMEMLIMIT,
		Duration:    flagValue(s.args, "-duration"),
		Warmup:      flagValue(s.args, "-warmup"),
		Date:        started.UTC().Format(time.RFC3339),
		HostCPUs:    runtime.NumCPU(),
		LoadAverage: load,
		GOOS:        runtime.GOOS,
		GOARCH:      runtime.GOARCH,
		Files:       files,
		Summary:     json.RawMessage(lastLine(stdout)),
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false) // keep "->" readable in the descriptions
	enc.SetIndent("", "  ")
	if err := enc.Encode(m); err != nil {
		return err
	}
	return os.WriteFile(filepath.Join(dir, "meta.json"), buf.Bytes(), 0o644)
}

func flagValue(args []string, name string) string {
	for i, a := range args {
		if a == name && i+1 < len(args) {
			return args[i+1]
		}
	}
	return ""
}
