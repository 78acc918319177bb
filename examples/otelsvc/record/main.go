// Command record records the otelsvc example: it runs the loopback OTLP
// receiver (package otlpfile), builds and runs otelsvc against it with a
// runtime trace, and writes into -out:
//
//	trace.out             the execution trace
//	spans.otlp.json.gz    the OTLP/HTTP exports, as OTLP JSON lines (gzip)
//	spans.stdout.json.gz  the stdout exporter's output (gzip)
//	sdk-spans.jsonl.gz    the SDK's own record of every span (gzip)
//	meta.json             the command, environment, Go version and summary
//
// Run it from examples/otelsvc: go run ./record (or go generate).
package main

import (
	"bytes"
	"compress/gzip"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"time"

	"github.com/gcwatch/gcwatch/examples/otelsvc/otlpfile"
)

func main() {
	out := flag.String("out", "testdata", "folder to write the recording to")
	args := flag.String("args", "", "extra flags for otelsvc")
	flag.Parse()
	if err := record(*out, *args); err != nil {
		fmt.Fprintf(os.Stderr, "record: %v\n", err)
		os.Exit(1)
	}
}

// Env is the environment the recording runs under.
var Env = map[string]string{"GOMAXPROCS": "2", "GOGC": "50"}

func record(out, extra string) error {
	if err := os.MkdirAll(out, 0o755); err != nil {
		return err
	}
	tmp, err := os.MkdirTemp("", "otelsvc-record")
	if err != nil {
		return err
	}
	defer os.RemoveAll(tmp)
	bin := filepath.Join(tmp, "otelsvc")
	if b, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		return fmt.Errorf("go build: %v\n%s", err, b)
	}
	summary, err := Run(bin, tmp, extra)
	if err != nil {
		return err
	}
	if err := os.Rename(filepath.Join(tmp, "trace.out"), filepath.Join(out, "trace.out")); err != nil {
		return err
	}
	for _, name := range []string{"spans.otlp.json", "spans.stdout.json", "sdk-spans.jsonl"} {
		if err := gzipFile(filepath.Join(tmp, name), filepath.Join(out, name+".gz")); err != nil {
			return err
		}
	}
	meta := map[string]any{
		"program": "otelsvc", "command": "otelsvc -trace trace.out -otlp URL -stdout spans.stdout.json -sdk-spans sdk-spans.jsonl " + extra,
		"env": Env, "go_version": runtime.Version(), "date": time.Now().UTC().Format(time.RFC3339), "summary": summary,
	}
	b, err := json.MarshalIndent(meta, "", "  ")
	if err != nil {
		return err
	}
	return os.WriteFile(filepath.Join(out, "meta.json"), append(b, '\n'), 0o644)
}

// Run runs the otelsvc binary bin with its outputs in dir (trace.out,
// spans.otlp.json through the loopback receiver, spans.stdout.json,
// sdk-spans.jsonl) and returns its summary line.
func Run(bin, dir, extra string) (json.RawMessage, error) {
	recv, err := otlpfile.Start(filepath.Join(dir, "spans.otlp.json"))
	if err != nil {
		return nil, err
	}
	args := []string{"-trace", filepath.Join(dir, "trace.out"), "-otlp", recv.Endpoint,
		"-stdout", filepath.Join(dir, "spans.stdout.json"), "-sdk-spans", filepath.Join(dir, "sdk-spans.jsonl")}
	if extra != "" {
		args = append(args, splitArgs(extra)...)
	}
	cmd := exec.Command(bin, args...)
	cmd.Env = os.Environ()
	for k, v := range Env {
		cmd.Env = append(cmd.Env, k+"="+v)
	}
	var stdout bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, os.Stderr
	runErr := cmd.Run()
	batches, spans, err := recv.Close()
	if runErr != nil {
		return nil, fmt.Errorf("otelsvc: %v", runErr)
	}
	if err != nil {
		return nil, err
	}
	if batches == 0 {
		return nil, fmt.Errorf("the receiver got no batch")
	}
	fmt.Fprintf(os.Stderr, "record: received %d spans in %d batches\n", spans, batches)
	return json.RawMessage(bytes.TrimSpace(stdout.Bytes())), nil
}

func splitArgs(s string) []string {
	var out []string
	for _, f := range bytes.Fields([]byte(s)) {
		out = append(out, string(f))
	}
	return out
}

func gzipFile(from, to string) error {
	in, err := os.Open(from)
	if err != nil {
		return err
	}
	defer in.Close()
	f, err := os.Create(to)
	if err != nil {
		return err
	}
	zw, _ := gzip.NewWriterLevel(f, gzip.BestCompression)
	if _, err := io.Copy(zw, in); err != nil {
		f.Close()
		return err
	}
	if err := zw.Close(); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}
