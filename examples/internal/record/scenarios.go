package main

// scenario is one recording: a program run with an environment and flags.
type scenario struct {
	name    string
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
		name: "compare-aa-1", program: "allocheavy",
		about:  "gcwatch compare's A/A pair, first run: allocheavy at GOGC=100 and a load a busy machine keeps up with; compare-aa-2 is another run of the same program, settings and load, and comparing the two must find no significant change",
		env:    env{GOMAXPROCS: "2", GOGC: "100"},
		args:   []string{"-duration", "1500ms", "-rps", "800", "-products", "10000"},
		allocs: true, minCycles: 8, maxP99: 20,
	},
	{
		name: "compare-aa-2", program: "allocheavy",
		about:  "gcwatch compare's A/A pair, second run: as compare-aa-1",
		env:    env{GOMAXPROCS: "2", GOGC: "100"},
		args:   []string{"-duration", "1500ms", "-rps", "800", "-products", "10000"},
		allocs: true, minCycles: 8, maxP99: 20,
	},
	{
		name: "compare-allocfix", program: "allocheavy",
		about:  "gcwatch compare's allocation fix: tune-before's program, settings and load with -lean, the fix of the allocation sites gcwatch names for tune-before (the same responses from a fraction of the bytes); compare tune-before with it under --mem-budget 12MiB, where tune-before's verdict is reduce-allocation",
		env:    env{GOMAXPROCS: "2", GOGC: "100"},
		args:   []string{"-duration", "1500ms", "-rps", "2500", "-products", "10000", "-lean"},
		allocs: true, minCycles: 8, maxP99: 20,
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
}
