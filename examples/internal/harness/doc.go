// Package harness is the shared scaffolding of the example programs under
// examples/: common flags, the runtime/trace recording window, an open-loop
// load generator and the summary each program prints when it ends.
//
// The examples are not a step of gcwatch's pipeline; they are the services
// whose recorded traces and gctrace logs (examples/testdata) feed the tests
// of every step. Keeping the scaffolding here lets each example show only the
// behaviour it is about.
package harness
