// Command gcwatch profiles Go garbage-collector pauses and advises on them.
// See the README, or run gcwatch --help.
package main

import (
	"os"

	"github.com/gcwatch/gcwatch/internal/cli"
)

func main() {
	if _, set := os.LookupEnv("GOGC"); !set {
		cli.ManageGC() // its own GC percent per phase (internal/cli/gc.go)
	}
	os.Exit(cli.Main(os.Args[1:], os.Stdin, os.Stdout, os.Stderr))
}
