// Command plainloop reads an execution trace with a bare x/exp ReadEvent
// loop and nothing else: the baseline bench/trace.sh compares gcwatch's
// ingest against.
//
//	plainloop FILE
package main

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"os"
	"time"

	exptrace "golang.org/x/exp/trace"
)

func main() {
	if err := run(os.Args[1:]); err != nil {
		fmt.Fprintln(os.Stderr, "plainloop:", err)
		os.Exit(1)
	}
}

func run(args []string) error {
	if len(args) != 1 {
		return errors.New("usage: plainloop FILE")
	}
	f, err := os.Open(args[0])
	if err != nil {
		return err
	}
	defer f.Close()
	start := time.Now()
	r, err := exptrace.NewReader(bufio.NewReaderSize(f, 1<<20))
	if err != nil {
		return fmt.Errorf("%s: %w", args[0], err)
	}
	var events int64
	for {
		_, err := r.ReadEvent()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return fmt.Errorf("%s: %w", args[0], err)
		}
		events++
	}
	fmt.Printf("events=%d seconds=%.3f\n", events, time.Since(start).Seconds())
	return nil
}
