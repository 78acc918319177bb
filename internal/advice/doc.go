// Package advice holds the verdict rules, the second half of the advice
// step of the pipeline (ingest → analyze → advice → report): from one
// process's model.Run, its analysis and the what-if model's predictions
// (internal/whatif) it reaches a verdict and says what to do.
//
// Decide fits the what-if model, then tries the rules in order —
// decideSTWDelay (fix-stw-delay, or gc-not-the-cause for a process starved
// of CPU), decideNotTheCause, decideTune — and, when none decides,
// decideBeyondTuning chooses reduce-allocation or migration-candidate. Each
// rule adds the evidence rows it compared, whether or not it decides.
// Decide then builds the options ladder (tune, reduce allocation, upgrade
// Go, restructure the heap, migrate: every remedy with its figures, the
// recommended one marked), lowers the verdict to not-enough-data when the
// inputs fall short, and returns the Outcome: the verdict, the fit and the
// what-if rows. Every number the rules compare against is a Thresholds
// field (DefaultThresholds says why; Load and Set read a config file and
// --threshold flags). Like the model, the rules are plain functions of
// values: no I/O, no clocks, no globals.
package advice
