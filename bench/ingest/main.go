// Command ingest runs gcwatch's execution-trace ingest on one file and
// prints a one-line summary, for bench/trace.sh.
//
//	ingest [-workers N] FILE
package main

import (
	"errors"
	"flag"
	"fmt"
	"os"
	"time"

	"github.com/gcwatch/gcwatch/internal/cli"
	"github.com/gcwatch/gcwatch/internal/ingest/exectrace"
)

func main() {
	if err := run(os.Args[1:]); err != nil {
		fmt.Fprintln(os.Stderr, "ingest:", err)
		os.Exit(1)
	}
}

func run(args []string) error {
	fs := flag.NewFlagSet("ingest", flag.ContinueOnError)
	workers := fs.Int("workers", 0, "generations parsed in parallel (0: default)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() != 1 {
		return errors.New("usage: ingest [-workers N] FILE")
	}
	f, err := os.Open(fs.Arg(0))
	if err != nil {
		return err
	}
	defer f.Close()
	start := time.Now()
	opts := exectrace.Options{Workers: *workers}
	if _, set := os.LookupEnv("GOGC"); !set {
		// The GC percents cmd/gcwatch uses, so that this measures the
		// ingest as gcwatch runs it.
		cli.ManageGC()
		opts.Phase = cli.StreamPhase
	}
	run, err := exectrace.Read(f, fs.Arg(0), opts)
	if run == nil {
		return err
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "ingest:", err)
	}
	fmt.Printf("events=%d seconds=%.3f generations=%d cycles=%d pauses=%d requests=%d regions=%d heap_samples=%d\n",
		run.Stats.Events, time.Since(start).Seconds(), run.Stats.Generations, len(run.Cycles),
		len(run.Pauses), run.Requests.Len(), run.Regions.Len(), len(run.Heap))
	return nil
}
