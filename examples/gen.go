// Package examples holds small Go services, one per folder, that each show a
// situation gcwatch must diagnose, and the recordings made from them in
// testdata/. The recordings are real inputs for the tests of every step of
// the pipeline; see examples/README.md for what each scenario shows.
package examples

// Re-record every scenario (takes about a minute and a half):
//go:generate go run ./internal/record -out testdata
