// Command gcwatch profiles Go garbage-collector pauses and advises on them.
// See the README, or run gcwatch --help.
package main

import (
	"os"
	"runtime/debug"

	"github.com/gcwatch/gcwatch/internal/cli"
)

// ownGOGC is gcwatch's own GC percent unless GOGC is set. While reading a
// trace, most of its heap is generations in flight: byte buffers the GC
// marks without scanning, so collecting twice as often costs little CPU,
// while the default 100 lets the heap grow to twice their size (peak RSS
// of the ingest of a 300 MB trace: 121-127 MB at 50, 159-169 MB at 100,
// the same CPU time; README, Performance).
const ownGOGC = 50

func main() {
	if _, set := os.LookupEnv("GOGC"); !set {
		debug.SetGCPercent(ownGOGC)
	}
	os.Exit(cli.Main(os.Args[1:], os.Stdin, os.Stdout, os.Stderr))
}
