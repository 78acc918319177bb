// Command tracegen writes an execution trace of a realistic allocating,
// task-annotated workload until the trace reaches a requested size. It
// makes the inputs of bench/trace.sh; its traces are never committed.
//
//	tracegen -size 300MB -o /tmp/gcwatch-bench/300MB.trace
package main

import (
	"bufio"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"runtime/trace"
	"strconv"
	"strings"
	"sync/atomic"
	"time"
)

func main() {
	if err := run(os.Args[1:]); err != nil {
		fmt.Fprintln(os.Stderr, "tracegen:", err)
		os.Exit(1)
	}
}

func run(args []string) error {
	fs := flag.NewFlagSet("tracegen", flag.ContinueOnError)
	sizeFlag := fs.String("size", "50MB", "trace size to reach (bytes, or with a KB, MB or GB suffix)")
	out := fs.String("o", "", "output file (required)")
	annotate := fs.Bool("annotate", true, "make each request a task with regions")
	wname := fs.String("workload", "realistic", "what a request does: realistic (a few KB of trace per request) or dense (a request every few hundred bytes)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *out == "" {
		return errors.New("-o is required")
	}
	w, ok := workloads[*wname]
	if !ok {
		return fmt.Errorf("-workload: %q is not realistic or dense", *wname)
	}
	size, err := parseSize(*sizeFlag)
	if err != nil {
		return fmt.Errorf("-size: %w", err)
	}
	f, err := os.Create(*out)
	if err != nil {
		return err
	}
	bw := bufio.NewWriterSize(f, 1<<20)
	cw := &countingWriter{w: bw}
	if err := trace.Start(cw); err != nil {
		return err
	}
	stop := make(chan struct{})
	done := serve(stop, *annotate, w)
	start := time.Now()
	for cw.n.Load() < size {
		time.Sleep(10 * time.Millisecond)
	}
	close(stop)
	served := done()
	trace.Stop()
	if err := bw.Flush(); err != nil {
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	fmt.Fprintf(os.Stderr, "tracegen: %s: %d bytes, %d requests (%d bytes of trace per request) in %v\n",
		*out, cw.n.Load(), served, cw.n.Load()/max(served, 1), time.Since(start).Round(time.Millisecond))
	return nil
}

func parseSize(s string) (int64, error) {
	mult := int64(1)
	for _, u := range []struct {
		suffix string
		mult   int64
	}{{"GB", 1 << 30}, {"MB", 1 << 20}, {"KB", 1 << 10}} {
		if strings.HasSuffix(strings.ToUpper(s), u.suffix) {
			s, mult = s[:len(s)-len(u.suffix)], u.mult
			break
		}
	}
	n, err := strconv.ParseInt(strings.TrimSpace(s), 10, 64)
	if err != nil || n <= 0 {
		return 0, fmt.Errorf("bad size %q", s)
	}
	return n * mult, nil
}

type countingWriter struct {
	w io.Writer
	n atomic.Int64
}

func (c *countingWriter) Write(p []byte) (int, error) {
	n, err := c.w.Write(p)
	c.n.Add(int64(n))
	return n, err
}
