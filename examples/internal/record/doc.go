// Command record re-records the example scenarios into examples/testdata:
// for each scenario it builds the example program, runs it with the
// scenario's environment (GODEBUG=gctrace=1 plus GOGC, GOMAXPROCS and
// GOMEMLIMIT), and keeps the execution trace the program writes and the
// gctrace log (its stderr) of that same process, with a meta.json saying how
// they were made. Run it with `go generate ./examples/...`; recordings are
// never edited by hand.
//
// It is not part of gcwatch's pipeline: it makes the real inputs that the
// tests of every step read.
package main
