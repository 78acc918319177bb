// Package advice is the advice step of the pipeline (ingest → analyze →
// advice → report): from one process's model.Run and its analysis it
// reaches a verdict and says what to do. It holds two parts.
//
// The what-if model (fit*.go, observe.go, linear.go, predict.go,
// settings.go, mixture.go, latency.go, whatif.go) is a plain function of
// values: no I/O, no clocks, no globals.
//
//  1. FitRun measures, from the observed cycles, the allocation rate, the
//     live (marked) heap, the GC roots (stacks and globals), the GC CPU and
//     wall time per cycle as a linear function of the bytes to scan (live
//     heap plus roots), the share of mark work idle workers did, the rate of
//     cycles the program forced, the pacer's overshoot of its goal, the GOGC
//     in force (given, or inferred from goal versus live heap) and, when a
//     known memory limit bound, the runtime's memory outside heap objects.
//     A warm-up (cycles before the heap reached half its working size) is
//     left out of the rates. gctrace's whole-MiB sizes are read as the
//     middle of their MiB. Fit carries how well the model reproduces each
//     observed cycle and the run as a whole, and warnings that say which
//     assumptions were needed.
//  2. Predict (PredictAt, at a share of today's allocation rate) applies
//     the model to one Settings: heap goal = live + (live + roots)·GOGC/100,
//     never below the runtime's 4 MiB minimum scaled by GOGC/100, capped by
//     the goal the memory limit allows; cycles per second = allocation rate
//     / (peak − live); GC CPU = cycles per second × CPU per cycle; and, when
//     that would exceed half of the CPU, the GC CPU limiter: GC CPU held at
//     50 %, cycles stretched, the heap overshooting its goal and the limit.
//  3. A LatencyModel turns the predicted share of time a cycle is active,
//     and how hard the cycles press the mutator, into a p99: the requests
//     that met a cycle and those that did not keep their observed latencies
//     and the prediction changes how many meet one and how pressed those
//     cycles are (mixture.go). The verdict builds it with
//     NewPressureLatencyModel; compare checks a prediction with
//     NewMixtureLatencyModel and PredictAt.
//  4. Grid runs Predict over GOGC 25…800 and off, each without a limit and
//     with limits up to the memory budget (WhatIfGrid adds the lower
//     allocation rates of AllocRateFactors), and Rows turns the predictions
//     into the WhatIfRow the report's `whatif` grid carries.
//
// The verdict rules (verdict*.go, options.go, sufficient.go,
// thresholds.go, goversion.go) read the analysis and the model. Decide
// fits the model, then tries the rules in order — decideSTWDelay
// (fix-stw-delay, or gc-not-the-cause for a process starved of CPU),
// decideNotTheCause, decideTune — and, when none decides,
// decideBeyondTuning chooses reduce-allocation or migration-candidate.
// Each rule adds the evidence rows it compared, whether or not it decides.
// Decide then builds the options ladder (tune, reduce allocation, upgrade
// Go, restructure the heap, migrate: every remedy with its figures, the
// recommended one marked), lowers the verdict to not-enough-data when the
// inputs fall short, and returns the Outcome: the verdict, the fit and the
// what-if rows. Every number the rules compare against is a Thresholds
// field (DefaultThresholds says why; Load and Set read a config file and
// --threshold flags).
package advice
