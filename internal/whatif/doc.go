// Package whatif is the GOGC/GOMEMLIMIT what-if model, the first half of
// the advice step of the pipeline (ingest → analyze → advice → report): it
// fits the Go GC guide's cost model on the cycles of a model.Run and
// predicts, for other settings and lower allocation rates, how often the GC
// would run, how much CPU it would take, how large the heap would grow and
// what the p99 latency would become. internal/advice reaches its verdicts
// from these predictions; internal/compare checks one against a re-run.
//
// Every step is a plain function of values: no I/O, no clocks, no globals.
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
//     assumptions were needed (unknown roots, a heap that was not in a
//     steady state, an inferred GOGC that disagrees with the one given).
//  2. Predict (PredictAt, at a share of today's allocation rate) applies
//     the model to one Settings: heap goal = live + (live + roots)·GOGC/100,
//     never below the runtime's 4 MiB minimum scaled by GOGC/100, capped by
//     the goal the memory limit allows; cycles per second = allocation rate
//     / (peak − live); GC CPU = cycles per second × CPU per cycle; and, when
//     that would exceed half of the CPU, the GC CPU limiter: GC CPU held at
//     50 %, cycles stretched, the heap overshooting its goal and the limit.
//  3. A LatencyModel turns the predicted share of time a cycle is active,
//     and how hard the cycles press the mutator (CycleLoads), into a p99:
//     the requests that met a cycle and those that did not keep their
//     observed latencies, and a prediction changes how many meet one and how
//     pressed those cycles are (mixture.go). The verdict builds it with
//     NewPressureLatencyModel; compare with NewMixtureLatencyModel.
//  4. Grid runs Predict over GOGC 25…800 and off, each without a limit and
//     with limits up to the memory budget; GridAtRates adds the same
//     settings at the lower allocation rates of AllocRateFactors, and Rows
//     turns predictions into the Row the report's `whatif` grid carries.
//
// Every number in a Fit is computed from the cycles it was given.
package whatif
