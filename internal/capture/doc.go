// Package capture gets gcwatch's inputs from live services: it fetches an
// execution trace, heap and allocs profiles and runtime metrics from a
// service's net/http/pprof endpoints into a capture folder, and runs a
// child process with GODEBUG=gctrace=1 while keeping its gctrace log.
//
// It is the only package besides the command line that talks to the
// outside world (HTTP, processes, signals); what it saves is analysed
// exactly as `gcwatch analyze DIR` would, from the files alone, so every
// report can be reproduced offline.
package capture
