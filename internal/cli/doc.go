// Package cli is gcwatch's command line: cobra commands, their option
// structs, flag validation and exit codes. It is the only package that
// imports cobra, and it computes nothing itself: each command resolves its
// options, calls the pipeline (internal/ingest → internal/analyze →
// internal/report) and writes the result.
//
// Exit codes: 0 success, 1 an error (bad input, failed write), 2 a usage
// error (unknown flag or command, bad flag value).
package cli
