// Command gccpu is the child program of TestGCCPUAgainstRuntime. Run with
// GODEBUG=gctrace=1, it allocates for a while between two runtime.GC()
// calls and prints, as one JSON line on stdout, the runtime's own GC CPU
// accounting (runtime/metrics) read right after each of them. The
// metrics are a snapshot the runtime takes at the end of each cycle's mark
// termination, so the two readings bracket exactly the cycles after the
// first forced one, up to and including the second.
package main

import (
	"encoding/json"
	"flag"
	"os"
	"runtime"
	"runtime/metrics"
	"sync"
	"time"
)

// edge is one reading, in seconds except for the cycle count.
type edge struct {
	Cycles   uint64  `json:"cycles"`
	GCTotal  float64 `json:"gc_total"`
	MarkIdle float64 `json:"mark_idle"`
	Pause    float64 `json:"pause"`
	Total    float64 `json:"total"`
}

var names = []string{
	"/gc/cycles/total:gc-cycles",
	"/cpu/classes/gc/total:cpu-seconds",
	"/cpu/classes/gc/mark/idle:cpu-seconds",
	"/cpu/classes/gc/pause:cpu-seconds",
	"/cpu/classes/total:cpu-seconds",
}

func read() edge {
	s := make([]metrics.Sample, len(names))
	for i, n := range names {
		s[i].Name = n
	}
	metrics.Read(s)
	return edge{
		Cycles:   s[0].Value.Uint64(),
		GCTotal:  s[1].Value.Float64(),
		MarkIdle: s[2].Value.Float64(),
		Pause:    s[3].Value.Float64(),
		Total:    s[4].Value.Float64(),
	}
}

// sink keeps a small live heap per goroutine, so that cycles come often.
var sink [2][128][]byte

func main() {
	d := flag.Duration("d", time.Second, "how long to allocate")
	flag.Parse()

	runtime.GC()
	before := read()
	deadline := time.Now().Add(*d)
	var wg sync.WaitGroup
	// Two allocating goroutines keep both Ps busy, so that pauses have
	// running goroutines to stop and marking competes with them.
	for g := range 2 {
		wg.Go(func() {
			for i := 0; time.Now().Before(deadline); i++ {
				b := make([]byte, 1<<10+i%4096)
				if i%64 == 0 {
					sink[g][i/64%len(sink[g])] = b
				}
			}
		})
	}
	wg.Wait()
	runtime.GC()
	after := read()

	json.NewEncoder(os.Stdout).Encode(struct {
		Before edge `json:"before"`
		After  edge `json:"after"`
	}{before, after})
}
