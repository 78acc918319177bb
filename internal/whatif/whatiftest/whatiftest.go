// Package whatiftest holds what the tests of the what-if model and of the
// verdict rules both need: synthetic runs generated from known cost-model
// parameters, the recorded gctrace runs of examples/testdata, and a
// tolerance check. It imports neither package, so that both can use it
// from their own tests.
package whatiftest

import (
	"encoding/json"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/gcwatch/gcwatch/internal/ingest/gctrace"
	"github.com/gcwatch/gcwatch/internal/model"
)

// Params are the true parameters a synthetic run is generated from.
type Params struct {
	Cycles        int
	AllocRate     float64 // bytes/s
	Live          float64 // mean live heap; it swings ±Swing around it
	Swing         float64
	Stacks        int64
	Globals       int64
	GOGC          int
	Limit         int64 // negative for none
	NonHeap       float64
	Procs         int
	CPUFixed      float64 // ns per cycle, all mark work
	CPUPerByte    float64
	WallFixed     float64
	WallPerByte   float64
	IdleShare     float64
	Overshoot     float64
	Noise         float64 // relative noise on cost and overshoot
	TruncateToMiB bool
}

// Base is a steady service: 200 MiB live, 300 MiB/s allocated, GOGC=100,
// no limit, 4 Ps, over 60 cycles.
func Base() Params {
	return Params{
		Cycles: 60, AllocRate: 300 << 20, Live: 200 << 20, Swing: 0.3,
		Stacks: 3 << 20, Globals: 1 << 20, GOGC: 100, Limit: -1, NonHeap: 12 << 20,
		Procs: 4, CPUFixed: 2e6, CPUPerByte: 0.5, WallFixed: 1e6, WallPerByte: 0.2,
		IdleShare: 0.3, Overshoot: 1.02,
	}
}

// LiveHeaps are the live heaps Run gives its cycles, in order.
func LiveHeaps(p Params) []float64 {
	var out []float64
	for i := range p.Cycles {
		out = append(out, p.Live*(1+p.Swing*math.Sin(float64(i)/3)))
	}
	return out
}

// Run generates cycles from the cost model itself: each goal from the
// previous marked heap as the runtime's pacer sets it, each peak at
// goal·overshoot, the mark lasting the wall cost while the program
// allocates at the allocation rate, and each start placed where the
// allocation since the previous start adds up.
func Run(p Params, seed uint64) *model.Run {
	rng := rand.New(rand.NewPCG(seed, 1))
	jitter := func() float64 { return 1 + p.Noise*(2*rng.Float64()-1) }
	roots := float64(p.Stacks + p.Globals)
	run := &model.Run{GOMAXPROCS: p.Procs}
	prevLive := p.Live
	lives := LiveHeaps(p)
	var start, prevH1, prevH0 float64
	for i := range p.Cycles {
		live := lives[i]
		goal := math.Min(gogcGoal(p.GOGC, prevLive, roots), limitGoal(p.Limit, p.NonHeap, prevLive))
		wall := (p.WallFixed + p.WallPerByte*(live+roots)) * jitter()
		h1 := goal * p.Overshoot * jitter()
		h0 := h1 - p.AllocRate*wall/1e9
		if i > 0 {
			start += ((prevH1 - prevH0) + (h0 - prevLive)) / p.AllocRate * 1e9
		}
		total := (p.CPUFixed + p.CPUPerByte*(live+roots)) * jitter()
		stw := 0.02 * total
		idle := p.IdleShare * total
		c := model.Cycle{
			N: i + 1, Start: model.Time(start), End: model.Time(start + wall),
			Procs:     p.Procs,
			HeapStart: int64(h0), HeapEnd: int64(h1), HeapLive: int64(live), HeapGoal: int64(goal),
			Stacks: p.Stacks, Globals: p.Globals,
			CPU: model.CycleCPU{
				SweepTermination: time.Duration(stw / 2), MarkTermination: time.Duration(stw / 2),
				Assist:     time.Duration(0.1 * (total - idle - stw)),
				Background: time.Duration(0.9 * (total - idle - stw)),
				Idle:       time.Duration(idle),
			},
			From: model.FromTrace,
		}
		c.Mark = time.Duration(wall)
		if p.TruncateToMiB {
			for _, v := range []*int64{&c.HeapStart, &c.HeapEnd, &c.HeapLive, &c.HeapGoal} {
				*v &^= 1<<20 - 1
			}
			c.From = model.FromGCTrace
		}
		run.Cycles = append(run.Cycles, c)
		prevLive, prevH0, prevH1 = live, h0, h1
	}
	run.Start, run.End = run.Cycles[0].Start, run.Cycles[len(run.Cycles)-1].End
	return run
}

// The heap goals of the runtime's pacer (runtime/mgcpacer.go, Go 1.21+),
// written here apart from the model under test: GOGC's goal is live +
// (live+roots)·GOGC/100, at least 4 MiB·GOGC/100 and 1 MiB above the live
// heap; a limit's goal is the limit less the memory outside the heap and
// 3 % (at least 1 MiB) of headroom, never below the live heap.
func gogcGoal(gogc int, live, roots float64) float64 {
	if gogc < 0 {
		return math.Inf(1)
	}
	g := float64(gogc) / 100
	return max(live+(live+roots)*g, 4<<20*g, live+1<<20)
}

func limitGoal(limit int64, nonHeap, live float64) float64 {
	if limit < 0 {
		return math.Inf(1)
	}
	room := float64(limit) - nonHeap
	if room <= 0 {
		return live
	}
	headroom := max(room*3/100, 1<<20)
	goal := room - headroom
	if room < 2*headroom {
		goal = headroom
	}
	return max(goal, live)
}

// Within fails t unless got is want within the relative tolerance tol
// (absolute when want is 0).
func Within(t *testing.T, what string, got, want, tol float64) {
	t.Helper()
	if want == 0 {
		if math.Abs(got) > tol {
			t.Errorf("%s = %g, want 0 ± %g", what, got, tol)
		}
		return
	}
	if math.IsNaN(got) || math.Abs(got-want)/math.Abs(want) > tol {
		t.Errorf("%s = %g, want %g ± %.0f%%", what, got, want, 100*tol)
	}
}

// Recording is one of examples/testdata's recorded runs: its gctrace log
// as a run, and the settings its meta.json says it ran under (nil when it
// does not say).
type Recording struct {
	Run         *model.Run
	GOGC        *int
	MemoryLimit *int64
}

// LoadRecording reads examples/testdata/NAME from a package two levels
// below the repository's root (internal/PKG); ok is false (and the reason
// logged) when the recording is not there.
func LoadRecording(t *testing.T, name string) (rec Recording, ok bool) {
	t.Helper()
	dir := filepath.Join("..", "..", "examples", "testdata", name)
	metaBytes, err := os.ReadFile(filepath.Join(dir, "meta.json"))
	if err != nil {
		t.Logf("recording %s not available: %v", name, err)
		return rec, false
	}
	var meta struct {
		GOGC       string `json:"gogc"`
		GOMEMLIMIT string `json:"gomemlimit"`
	}
	if err := json.Unmarshal(metaBytes, &meta); err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	if g, err := strconv.Atoi(meta.GOGC); err == nil {
		rec.GOGC = &g
	}
	if mb, ok := strings.CutSuffix(meta.GOMEMLIMIT, "MiB"); ok {
		n, err := strconv.ParseInt(mb, 10, 64)
		if err != nil {
			t.Fatalf("%s: gomemlimit %q: %v", name, meta.GOMEMLIMIT, err)
		}
		limit := n << 20
		rec.MemoryLimit = &limit
	}
	path := filepath.Join(dir, "gctrace.log")
	f, err := os.Open(path)
	if err != nil {
		t.Logf("recording %s not available: %v", name, err)
		return rec, false
	}
	defer f.Close()
	res, err := gctrace.Parse(f, path)
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Processes) != 1 {
		t.Fatalf("%s: %d processes, want 1", path, len(res.Processes))
	}
	rec.Run = res.Processes[0].Run(model.Input{Path: path}, res.Stats)
	return rec, true
}
