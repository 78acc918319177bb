package main

// scenario is one recording: a program run with an environment and flags.
type scenario struct {
	name    string // also its folder under testdata/; proof/NAME for the proofs
	program string // directory under examples/
	about   string // what the recording shows, kept in meta.json
	env     env
	args    []string // besides -trace
	// gzip also keeps gctrace.log.gz, a gzip copy of the log; container
	// also keeps gctrace.container.log, both output streams wrapped the way
	// a container runtime's JSON log driver stores them.
	gzip, container bool
	// allocs also keeps allocs.pb.gz, the program's allocs profile.
	allocs bool
	// gzipTrace keeps the trace as trace.out.gz (gzip, best compression)
	// instead of trace.out: a third to a half smaller, for the proof
	// recordings. gcwatch reads either.
	gzipTrace bool
	// minCycles is the fewest GC cycles the trace window must hold;
	// limiter says the GC CPU limiter must have engaged inside it. A run
	// that misses them (the machine is shared and timing varies) is
	// recorded again.
	minCycles int
	limiter   bool
	// maxP99 (ms), when set, is the slowest p99 a run may have: a service
	// that fell behind its load (a busy machine) is recorded again.
	maxP99 float64
}

// env is the part of the environment a scenario sets. Empty means unset.
type env struct {
	GOMAXPROCS, GOGC, GOMEMLIMIT string
}

var scenarios = []scenario{
	{
		name: "allocheavy-p2-gogc100", program: "allocheavy",
		about:  "small live heap, heavy per-request garbage, default GOGC: many short cycles and mark assists",
		env:    env{GOMAXPROCS: "2", GOGC: "100"},
		args:   []string{"-duration", "700ms", "-rps", "3000", "-products", "10000"},
		allocs: true, minCycles: 10,
	},
	{
		name: "allocheavy-p4-gogc50", program: "allocheavy",
		about: "as allocheavy-p2-gogc100 with 4 Ps and GOGC=50: twice as many cycles for the same allocation",
		env:   env{GOMAXPROCS: "4", GOGC: "50"},
		args:  []string{"-duration", "250ms", "-rps", "3000", "-products", "10000"},
	},
	{
		name: "tune-before", program: "allocheavy",
		about:  "the tune proof, before: allocheavy at GOGC=100 for longer, to be analysed with --mem-budget 1GiB; gcwatch's recommended setting is recorded as tune-after",
		env:    env{GOMAXPROCS: "2", GOGC: "100"},
		args:   []string{"-duration", "1500ms", "-rps", "2500", "-products", "10000"},
		allocs: true, minCycles: 20,
	},
	{
		name: "tune-after", program: "allocheavy",
		about:  "the tune proof, after: tune-before's program and load with the setting gcwatch recommends for tune-before (GOGC=200), to compare with the prediction",
		env:    env{GOMAXPROCS: "2", GOGC: "200"},
		args:   []string{"-duration", "1500ms", "-rps", "2500", "-products", "10000"},
		allocs: true, minCycles: 5,
	},
	{
		name: "compare/aa-1", program: "allocheavy",
		about:  "gcwatch compare's A/A pair, first run: allocheavy at GOGC=100 and a load a busy machine keeps up with; compare/aa-2 is another run of the same program, settings and load, and comparing the two must find no significant change",
		env:    env{GOMAXPROCS: "2", GOGC: "100"},
		args:   []string{"-duration", "1500ms", "-rps", "800", "-products", "10000"},
		allocs: true, minCycles: 8, maxP99: 20, gzipTrace: true,
	},
	{
		name: "compare/aa-2", program: "allocheavy",
		about:  "gcwatch compare's A/A pair, second run: as compare/aa-1",
		env:    env{GOMAXPROCS: "2", GOGC: "100"},
		args:   []string{"-duration", "1500ms", "-rps", "800", "-products", "10000"},
		allocs: true, minCycles: 8, maxP99: 20, gzipTrace: true,
	},
	{
		name: "compare/allocfix", program: "allocheavy",
		about:  "gcwatch compare's allocation fix: proof/allocheavy's program, settings and load with its hot path fixed (-fixed), for longer: 5 % of the allocation leaves about one GC cycle a second, and the prediction check needs several; compare proof/allocheavy with it under --mem-budget 12MiB",
		env:    env{GOMAXPROCS: "2", GOGC: "100"},
		args:   []string{"-duration", "5s", "-rps", "2500", "-products", "10000", "-fixed"},
		allocs: true, minCycles: 5, maxP99: 20, gzipTrace: true,
	},
	{
		name: "bigheap", program: "bigheap",
		about:  "~350 MB pointer-rich live heap (search tree of accounts with linked event histories), moderate allocation: few cycles, each with a long and costly mark phase",
		env:    env{GOMAXPROCS: "2", GOGC: "50"},
		args:   []string{"-duration", "5s", "-rps", "800", "-live-mb", "320", "-render-kb", "256"},
		allocs: true, minCycles: 5,
	},
	{
		name: "memlimit", program: "memlimit",
		about: "~100 MB live heap of sessions under GOMEMLIMIT=110MiB with GOGC=100: the limit sets the heap goal, the GC runs back to back and the GC CPU limiter engages (the heap overshoots the limit); recorded after a warm-up",
		env:   env{GOMAXPROCS: "2", GOGC: "100", GOMEMLIMIT: "110MiB"},
		args:  []string{"-warmup", "4s", "-duration", "600ms", "-rps", "2500", "-live-mb", "100"},
		gzip:  true, minCycles: 5, limiter: true,
	},
	{
		name: "lockbound", program: "lockbound",
		about: "HTTP service whose tail comes from a contended mutex (held across a periodic 15 ms flush) and a slow loopback dependency (every 40th call 30 ms); little allocation, GC is not the cause",
		env:   env{GOMAXPROCS: "2", GOGC: "100"},
		args:  []string{"-duration", "1s", "-rps", "400"},
	},
	{
		name: "stwmix-p2", program: "stwmix",
		about:     "forced GCs (runtime.GC every 300 ms), ReadMemStats every 100 ms, goroutine profiles every 250 ms, one full goroutine dump, GOMAXPROCS 2 -> 1 -> 2: non-GC stop-the-world pauses by reason beside paced and forced cycles",
		env:       env{GOMAXPROCS: "2", GOGC: "100"},
		args:      []string{"-duration", "1200ms", "-rps", "800"},
		container: true,
	},
	{
		name: "stwmix-p4", program: "stwmix",
		about: "as stwmix-p2 with GOMAXPROCS 4 -> 2 -> 4",
		env:   env{GOMAXPROCS: "4", GOGC: "100"},
		args:  []string{"-duration", "700ms", "-rps", "500"},
	},
	{
		name: "stwdelay", program: "stwdelay",
		about:     "a background job loops in a //go:nosplit function (not asynchronously preemptible) for ~20 ms every 60 ms; GC pauses that start during it wait for it: long sweep-termination pauses made of time-to-stop",
		env:       env{GOMAXPROCS: "2", GOGC: "100"},
		args:      []string{"-duration", "1s", "-rps", "1000"},
		minCycles: 5,
	},

	// The proof of the verdicts: each remedy applied and re-measured (see
	// docs/verdicts.md). A proof's runs are recorded one after the other
	// (go run ./internal/record -only proof/bigheap,proof/bigheap-fixed,...)
	// so that they share the machine's conditions. Their traces are kept
	// gzip-compressed.
	//
	// reduce-allocation: allocheavy and its fixed hot path.
	{
		name: "proof/allocheavy", program: "allocheavy",
		about:  "reduce-allocation proof, before: allocheavy at GOGC=100, to be analysed with --mem-budget 12MiB (no setting in the budget meets the target; today's GOGC=100 is the best the budget holds)",
		env:    env{GOMAXPROCS: "2", GOGC: "100"},
		args:   []string{"-duration", "600ms", "-rps", "2500", "-products", "10000"},
		allocs: true, minCycles: 10, gzipTrace: true,
	},
	{
		name: "proof/allocheavy-fixed", program: "allocheavy",
		about:  "reduce-allocation proof, after: proof/allocheavy's program, load and setting with its hot path fixed (-fixed)",
		env:    env{GOMAXPROCS: "2", GOGC: "100"},
		args:   []string{"-duration", "600ms", "-rps", "2500", "-products", "10000", "-fixed"},
		allocs: true, gzipTrace: true,
	},
	// gc-not-the-cause: lockbound, recorded twice to show the noise
	// between two captures, and with GOGC=off.
	{
		name: "proof/lockbound", program: "lockbound",
		about:     "lockbound at GOGC=25, so that its window holds enough GC cycles for a verdict: its tail is a contended mutex and a slow dependency",
		env:       env{GOMAXPROCS: "2", GOGC: "25"},
		args:      []string{"-duration", "1s", "-rps", "350"},
		minCycles: 3, gzipTrace: true,
	},
	{
		name: "proof/lockbound-again", program: "lockbound",
		about:     "proof/lockbound recorded a second time: the noise between two captures of the same service, for the gc-not-the-cause proof",
		env:       env{GOMAXPROCS: "2", GOGC: "25"},
		args:      []string{"-duration", "1s", "-rps", "350"},
		minCycles: 3, gzipTrace: true,
	},
	{
		name: "proof/lockbound-gogcoff", program: "lockbound",
		about:     "gc-not-the-cause proof: proof/lockbound's program and load with GOGC=off",
		env:       env{GOMAXPROCS: "2", GOGC: "off"},
		args:      []string{"-duration", "1s", "-rps", "350"},
		gzipTrace: true,
	},
	// fix-stw-delay: stwdelay (before: the stwdelay recording) and snapshot;
	// then tune on snapshot's fixed version.
	{
		name: "proof/stwdelay-preemptible", program: "stwdelay",
		about:     "fix-stw-delay proof, after: stwdelay's program and load with the job's loop preemptible (-preemptible)",
		env:       env{GOMAXPROCS: "2", GOGC: "100"},
		args:      []string{"-duration", "1s", "-rps", "1000", "-preemptible"},
		minCycles: 5, gzipTrace: true,
	},
	{
		name: "proof/snapshot", program: "snapshot",
		about:     "fix-stw-delay proof, before: a cache whose backup job copies a 128 MB arena (outside the Go heap) with one copy() every 50 ms; memmove cannot be preempted, so GC pauses that start during it wait for it",
		env:       env{GOMAXPROCS: "2", GOGC: "100"},
		args:      []string{"-duration", "1s", "-rps", "1000"},
		minCycles: 5, gzipTrace: true,
	},
	{
		name: "proof/snapshot-chunked", program: "snapshot",
		about:     "fix-stw-delay proof, after: proof/snapshot's program and load with the backup copied 256 KB at a time in a preemptible function (-chunk-kb 256); also the tune proof's before",
		env:       env{GOMAXPROCS: "2", GOGC: "100"},
		args:      []string{"-duration", "1s", "-rps", "1000", "-chunk-kb", "256"},
		minCycles: 5, gzipTrace: true,
	},
	{
		name: "proof/snapshot-chunked-gogc200", program: "snapshot",
		about:     "tune proof, after: proof/snapshot-chunked's program and load with the setting gcwatch recommends for it (GOGC=200)",
		env:       env{GOMAXPROCS: "2", GOGC: "200"},
		args:      []string{"-duration", "1s", "-rps", "1000", "-chunk-kb", "256"},
		minCycles: 3, gzipTrace: true,
	},
	// gc-not-the-cause: snapshot's fixed version whose cache misses wait
	// for the backing store, likewise.
	{
		name: "proof/snapshot-miss", program: "snapshot",
		about:     "snapshot with its backup fixed (-chunk-kb 256) and one request in 50 missing the cache (5 ms at the backing store): its tail is the misses; the GC is not the cause",
		env:       env{GOMAXPROCS: "2", GOGC: "100"},
		args:      []string{"-duration", "1s", "-rps", "1000", "-chunk-kb", "256", "-miss-every", "50", "-miss-latency", "5ms"},
		minCycles: 3, gzipTrace: true,
	},
	{
		name: "proof/snapshot-miss-again", program: "snapshot",
		about:     "proof/snapshot-miss recorded a second time: the noise between two captures of the same service, for the gc-not-the-cause proof",
		env:       env{GOMAXPROCS: "2", GOGC: "100"},
		args:      []string{"-duration", "1s", "-rps", "1000", "-chunk-kb", "256", "-miss-every", "50", "-miss-latency", "5ms"},
		minCycles: 3, gzipTrace: true,
	},
	{
		name: "proof/snapshot-miss-gogcoff", program: "snapshot",
		about:     "gc-not-the-cause proof: proof/snapshot-miss's program and load with GOGC=off",
		env:       env{GOMAXPROCS: "2", GOGC: "off"},
		args:      []string{"-duration", "1s", "-rps", "1000", "-chunk-kb", "256", "-miss-every", "50", "-miss-latency", "5ms"},
		gzipTrace: true,
	},
	// reduce-allocation (--mem-budget 512MiB, and 450MiB, where it was
	// once called a migration candidate): bigheap.
	{
		name: "proof/bigheap", program: "bigheap",
		about:  "the bigheap proofs' before: bigheap at GOGC=50, to be analysed with --mem-budget 512MiB and 450MiB (reduce-allocation; at 450MiB once migration-candidate)",
		env:    env{GOMAXPROCS: "2", GOGC: "50"},
		args:   []string{"-duration", "3s", "-rps", "800", "-live-mb", "320", "-render-kb", "256"},
		allocs: true, minCycles: 3, gzipTrace: true,
	},
	{
		name: "proof/bigheap-tuned", program: "bigheap",
		about:     "reduce-allocation proof, tuning alone: bigheap without the code fix at GOGC=50 GOMEMLIMIT=486MiB, the setting the model predicts best inside a 512MiB budget at today's allocation rate (for proof/bigheap as recorded)",
		env:       env{GOMAXPROCS: "2", GOGC: "50", GOMEMLIMIT: "486MiB"},
		args:      []string{"-duration", "2s", "-rps", "800", "-live-mb", "320", "-render-kb", "256"},
		gzipTrace: true,
	},
	{
		name: "proof/bigheap-fixed", program: "bigheap",
		about:     "reduce-allocation proof, after: bigheap with its hot path fixed (-reuse-buffers 0: statements rendered into reused buffers) under GOGC=25 without a limit, a setting the model predicts to meet the target inside a 512MiB budget at the rate the fix leaves",
		env:       env{GOMAXPROCS: "2", GOGC: "25"},
		args:      []string{"-duration", "2s", "-rps", "800", "-live-mb", "320", "-render-kb", "256", "-reuse-buffers", "0"},
		gzipTrace: true,
	},
	{
		name: "proof/bigheap-cut4", program: "bigheap",
		about:     "the 4x allocation cut (--mem-budget 450MiB): bigheap allocating a quarter as much (-reuse-buffers 4) under GOGC=50 GOMEMLIMIT=427MiB, a setting the model predicts to fit a 450MiB budget and meet the target at that rate",
		env:       env{GOMAXPROCS: "2", GOGC: "50", GOMEMLIMIT: "427MiB"},
		args:      []string{"-duration", "3s", "-rps", "800", "-live-mb", "320", "-render-kb", "256", "-reuse-buffers", "4"},
		gzipTrace: true,
	},
	{
		name: "proof/bigheap-gogcoff", program: "bigheap",
		about:     "migration-candidate proof, the GC-free bound: bigheap with GOGC=off (memory to spare for the seconds it runs)",
		env:       env{GOMAXPROCS: "2", GOGC: "off"},
		args:      []string{"-duration", "2s", "-rps", "800", "-live-mb", "320", "-render-kb", "256"},
		gzipTrace: true,
	},
	// migration-candidate (--mem-budget 400MiB): proof/bigheap, whose
	// GC-free bound is proof/bigheap-gogcoff; what no setting and no 4x
	// allocation cut inside the budget reaches.
	{
		name: "proof/bigheap-tuned400", program: "bigheap",
		about:     "migration-candidate proof (--mem-budget 400MiB), tuning alone: bigheap unchanged at GOGC=25 GOMEMLIMIT=380MiB, the nearest setting the tune option names inside a 400MiB budget (none fits and meets the target)",
		env:       env{GOMAXPROCS: "2", GOGC: "25", GOMEMLIMIT: "380MiB"},
		args:      []string{"-duration", "3s", "-rps", "800", "-live-mb", "320", "-render-kb", "256"},
		minCycles: 3, gzipTrace: true,
	},
	{
		name: "proof/bigheap-cut4-400", program: "bigheap",
		about:     "migration-candidate proof (--mem-budget 400MiB), the 4x allocation cut: bigheap allocating a quarter as much (-reuse-buffers 4) under GOGC=25 GOMEMLIMIT=400MiB, the nearest setting the reduce-allocation option names at a quarter of the allocation (none fits the budget and meets the target)",
		env:       env{GOMAXPROCS: "2", GOGC: "25", GOMEMLIMIT: "400MiB"},
		args:      []string{"-duration", "3s", "-rps", "800", "-live-mb", "320", "-render-kb", "256", "-reuse-buffers", "4"},
		minCycles: 3, gzipTrace: true,
	},
	// tune (--mem-budget 1GiB) and migration-candidate (--mem-budget
	// 140MiB): memlimit, recorded again beside its after runs.
	{
		name: "proof/memlimit", program: "memlimit",
		about:     "the memlimit proofs' before: memlimit's scenario (GOMEMLIMIT=110MiB, 4 s warm-up) recorded with its after runs",
		env:       env{GOMAXPROCS: "2", GOGC: "100", GOMEMLIMIT: "110MiB"},
		args:      []string{"-warmup", "4s", "-duration", "600ms", "-rps", "2500", "-live-mb", "100"},
		minCycles: 5, limiter: true, gzipTrace: true,
	},
	{
		name: "proof/memlimit-nolimit", program: "memlimit",
		about:     "tune proof, after: memlimit's program and load with the setting its tune verdict (--mem-budget 1GiB) recommends, GOGC=100 and no limit",
		env:       env{GOMAXPROCS: "2", GOGC: "100"},
		args:      []string{"-warmup", "4s", "-duration", "600ms", "-rps", "2500", "-live-mb", "100"},
		minCycles: 1, gzipTrace: true,
	},
	{
		name: "proof/memlimit-cut4", program: "memlimit",
		about:     "migration-candidate proof, the 4x allocation cut: memlimit's program and load rendering a quarter of the page per request (-page-kb 12) under GOMEMLIMIT=140MiB GOGC=off: a limit at the budget itself, since the model predicts no setting fits a 140MiB budget at that rate",
		env:       env{GOMAXPROCS: "2", GOGC: "off", GOMEMLIMIT: "140MiB"},
		args:      []string{"-warmup", "4s", "-duration", "600ms", "-rps", "2500", "-live-mb", "100", "-page-kb", "12"},
		gzipTrace: true,
	},
	{
		name: "proof/memlimit-gogcoff", program: "memlimit",
		about:     "migration-candidate proof, the GC-free bound: memlimit's program and load with GOGC=off and no limit (memory to spare for the seconds it runs)",
		env:       env{GOMAXPROCS: "2", GOGC: "off"},
		args:      []string{"-warmup", "4s", "-duration", "600ms", "-rps", "2500", "-live-mb", "100"},
		gzipTrace: true,
	},
	// migration-candidate (--mem-budget 130MiB): proof/memlimit, whose
	// GC-free bound is proof/memlimit-gogcoff; tuning alone and the 4x
	// allocation cut at the nearest setting their options name.
	{
		name: "proof/memlimit-tuned130", program: "memlimit",
		about:     "migration-candidate proof (--mem-budget 130MiB), tuning alone: memlimit's program and load unchanged at GOGC=25 GOMEMLIMIT=123MiB, the nearest setting the tune option names inside a 130MiB budget (none fits and meets the target)",
		env:       env{GOMAXPROCS: "2", GOGC: "25", GOMEMLIMIT: "123MiB"},
		args:      []string{"-warmup", "4s", "-duration", "600ms", "-rps", "2500", "-live-mb", "100"},
		minCycles: 3, gzipTrace: true,
	},
	{
		name: "proof/memlimit-cut4-130", program: "memlimit",
		about:     "migration-candidate proof (--mem-budget 130MiB), the 4x allocation cut: memlimit's program and load rendering a quarter of the page per request (-page-kb 12) under GOGC=25 GOMEMLIMIT=123MiB, the nearest setting the reduce-allocation option names at a quarter of the allocation (none fits the budget with its headroom)",
		env:       env{GOMAXPROCS: "2", GOGC: "25", GOMEMLIMIT: "123MiB"},
		args:      []string{"-warmup", "4s", "-duration", "600ms", "-rps", "2500", "-live-mb", "100", "-page-kb", "12"},
		gzipTrace: true,
	},
}
