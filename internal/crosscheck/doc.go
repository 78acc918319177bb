// Package crosscheck holds tests only. They check the ingest step of the
// pipeline (internal/ingest/exectrace and internal/ingest/gctrace) against
// independent computations on the real recordings in examples/testdata: a
// plain loop over x/exp/trace events, a plain regular expression over the
// gctrace log, and the two inputs of the same process against each other.
//
// The reference computations here are deliberately simple and slow; they
// share no code with the packages under test.
package crosscheck
