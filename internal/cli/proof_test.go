package cli

import (
	"encoding/json"
	"fmt"
	"math"
	"os"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/gcwatch/gcwatch/internal/advice"
	"github.com/gcwatch/gcwatch/internal/units"
	"github.com/gcwatch/gcwatch/internal/whatif"
)

// The proof of the verdicts: for each verdict, example services on which
// gcwatch reaches it, and recordings of the same program and load with the
// remedy applied, re-measured. The tests read the recordings (they do not
// record), run gcwatch's analysis on them and compare each pair: the
// prediction with what the re-run measured, or one run's p99 with the
// other's. docs/verdicts.md holds the table these tests check; a proof the
// recordings contradict is recorded there as such, and the test fails when
// it stops being contradicted, so that the table is brought up to date.
// Re-record with go run ./internal/record -only NAME,... in examples/.

const proofDir = "../../examples/testdata/"

// proofRun is one recording analysed with some flags.
type proofRun struct {
	name string
	p    map[string]any // the process
	meta proofMeta
}

type proofMeta struct {
	Command     string            `json:"command"`
	Env         map[string]string `json:"env"`
	LoadAverage string            `json:"load_average"`
	Summary     struct {
		Requests   int     `json:"requests"`
		AllocBytes float64 `json:"alloc_bytes_in_trace"`
	} `json:"summary"`
}

func loadProof(t *testing.T, name string, flags ...string) proofRun {
	t.Helper()
	code, doc, errs := analyzeJSON(t, append(flags, proofDir+name)...)
	if code != exitOK {
		t.Fatalf("%s: exit %d: %s", name, code, errs)
	}
	// A run with a cycle or two cannot be lined up with its gctrace log
	// (gcwatch then reports the log as a second process): the requests,
	// and so the figures compared here, are the trace's.
	var r proofRun
	for _, p := range processes(doc) {
		for _, in := range p["source"].(map[string]any)["inputs"].([]any) {
			if in.(map[string]any)["kind"] == "trace" {
				if r.p != nil {
					t.Fatalf("%s: two processes with a trace", name)
				}
				r = proofRun{name: name, p: p}
			}
		}
	}
	if r.p == nil {
		t.Fatalf("%s: no process with a trace: %s", name, errs)
	}
	b, err := os.ReadFile(proofDir + name + "/meta.json")
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, &r.meta); err != nil {
		t.Fatalf("%s/meta.json: %v", name, err)
	}
	return r
}

func (r proofRun) verdict() map[string]any { return r.p["verdict"].(map[string]any) }
func (r proofRun) id() string              { return r.verdict()["id"].(string) }
func (r proofRun) sufficient() bool        { return r.verdict()["sufficient_data"] == true }
func (r proofRun) p99() float64 {
	return r.p["latency"].(map[string]any)["p99_ms"].(float64)
}
func (r proofRun) gc() map[string]any { return r.p["gc"].(map[string]any) }
func (r proofRun) migration() map[string]any {
	return r.verdict()["migration"].(map[string]any)
}

// allocPerRequest is what the program allocated per request in the trace
// window, from its own summary.
func (r proofRun) allocPerRequest() float64 {
	return r.meta.Summary.AllocBytes / float64(r.meta.Summary.Requests)
}

// setting is the run's GOGC and GOMEMLIMIT as gcwatch writes them ("off"
// for no limit).
func (r proofRun) setting() (gogc, limit string) {
	gogc, limit = r.meta.Env["GOGC"], r.meta.Env["GOMEMLIMIT"]
	if limit == "" {
		limit = "off"
	}
	return gogc, limit
}

func (r proofRun) evidence(metric string) []map[string]any {
	var out []map[string]any
	for _, e := range r.verdict()["evidence"].([]any) {
		if e := e.(map[string]any); e["metric"] == metric {
			out = append(out, e)
		}
	}
	return out
}

func (r proofRun) want(t *testing.T, id string) {
	t.Helper()
	if r.id() != id || !r.sufficient() {
		t.Fatalf("%s: verdict %s (sufficient data %v: %v), want %s", r.name, r.id(), r.sufficient(), r.verdict()["summary"], id)
	}
}

// loadArgs is the run's command line without the paths it wrote, the
// length of its window, and the given flags (each with its value), to
// compare two runs' program and load.
func (r proofRun) loadArgs(drop ...string) []string {
	var out []string
	args := strings.Fields(r.meta.Command)
	for i := 0; i < len(args); i++ {
		if a := args[i]; a == "-trace" || a == "-allocs" || a == "-duration" || slices.Contains(drop, a) {
			if a != "-fixed" && a != "-preemptible" {
				i++ // the flag's value
			}
			continue
		}
		out = append(out, args[i])
	}
	return out
}

// sameLoad fails unless after ran before's program and flags, apart from
// the flags of the remedy.
func sameLoad(t *testing.T, before, after proofRun, remedy ...string) {
	t.Helper()
	if b, a := before.loadArgs(), after.loadArgs(remedy...); !slices.Equal(b, a) {
		t.Fatalf("%s ran %q, %s ran %q (besides %v): not the same program and load", before.name, b, after.name, a, remedy)
	}
	if before.meta.Env["GOMAXPROCS"] != after.meta.Env["GOMAXPROCS"] {
		t.Fatalf("GOMAXPROCS %s in %s, %s in %s", before.meta.Env["GOMAXPROCS"], before.name, after.meta.Env["GOMAXPROCS"], after.name)
	}
}

// target is the p99 gcwatch aims at without an SLO: the GC-attributable
// part of p99 cut by tail_cut, worked out from the report's own p99 and p99
// without each request's GC time (the attribution's), and checked against
// the figure the verdict's text gives.
func (r proofRun) target(t *testing.T) float64 {
	t.Helper()
	p99, nogc := r.p99(), r.p["attribution"].(map[string]any)["p99_without_gc_ms"].(float64)
	target := p99 - advice.DefaultThresholds().TailCut*(p99-nogc)
	// The summary names it; a migration-candidate summary does not, its
	// settings_meeting_target evidence does.
	texts := []string{r.verdict()["summary"].(string)}
	for _, e := range r.evidence("settings_meeting_target") {
		texts = append(texts, e["note"].(string))
	}
	var m []string
	for _, text := range texts {
		if m = regexp.MustCompile(`p99 ≤ ([0-9.]+(?:ms|µs|s))`).FindStringSubmatch(text); m != nil {
			break
		}
	}
	if m == nil {
		t.Fatalf("%s: no target in %q", r.name, texts)
	}
	said, err := time.ParseDuration(m[1])
	if err != nil {
		t.Fatal(err)
	}
	if got := float64(said) / 1e6; math.Abs(got-target) > 0.001*target+0.001 {
		t.Fatalf("%s: the verdict's target p99 ≤ %s, worked out %.3f ms", r.name, m[1], target)
	}
	return target
}

// bestInBudget returns the what-if rows at the allocation factor whose
// predicted peak memory fits the budget less its headroom and whose p99 is
// the lowest of those (several settings often predict the same).
func (r proofRun) bestInBudget(factor float64, budget int64) []map[string]any {
	room := (1 - advice.DefaultThresholds().MemoryHeadroom) * float64(budget)
	var best []map[string]any
	for _, row := range r.p["whatif"].([]any) {
		row := row.(map[string]any)
		peak, ok := row["peak_memory_bytes"].(float64)
		p99, okP := row["p99_ms"].(float64)
		if row["alloc_rate_factor"] != factor || !ok || !okP || peak > room {
			continue
		}
		switch {
		case len(best) == 0 || p99 < best[0]["p99_ms"].(float64):
			best = []map[string]any{row}
		case p99 == best[0]["p99_ms"].(float64):
			best = append(best, row)
		}
	}
	return best
}

// rowSetting is a what-if row's setting as the environment writes it.
func rowSetting(row map[string]any) (gogc, limit string) {
	gogc = fmt.Sprint(row["gogc"])
	limit = "off"
	if l, ok := row["memlimit_bytes"].(float64); ok {
		limit = fmt.Sprintf("%dMiB", int64(l)>>20)
		if int64(l)%(1<<20) != 0 {
			limit = fmt.Sprint(int64(l))
		}
	}
	return gogc, limit
}

// ranAtOneOf fails unless run ran with the setting of one of rows.
func ranAtOneOf(t *testing.T, run proofRun, rows []map[string]any, what string) {
	t.Helper()
	gogc, limit := run.setting()
	var options []string
	for _, row := range rows {
		g, l := rowSetting(row)
		if g == gogc && l == limit {
			return
		}
		options = append(options, "GOGC="+g+" GOMEMLIMIT="+l)
	}
	t.Fatalf("%s ran with GOGC=%s GOMEMLIMIT=%s, but %s is %v: re-record it", run.name, gogc, limit, what, options)
}

// expect compares a proof's outcome with what docs/verdicts.md records.
func expect(t *testing.T, what string, holds, documented bool, detail string) {
	t.Helper()
	switch {
	case holds && documented:
		t.Logf("%s: holds (%s)", what, detail)
	case !holds && !documented:
		t.Logf("%s: contradicted, as docs/verdicts.md records (%s)", what, detail)
	case documented:
		t.Errorf("%s does not hold: %s", what, detail)
	default:
		t.Errorf("%s now holds (%s), but docs/verdicts.md records it as contradicted: update the proof table there and this test", what, detail)
	}
}

func change(after, before float64) float64 { return after/before - 1 }

// factorAtOrAbove is the what-if grid's allocation factor nearest at or
// above share (1 when share is above every factor).
func factorAtOrAbove(share float64) float64 {
	best := 1.0
	for _, f := range whatif.AllocRateFactors {
		if f >= share && f < best {
			best = f
		}
	}
	return best
}

// whatIfRow is the what-if row at an allocation factor and setting.
func (r proofRun) whatIfRow(t *testing.T, factor float64, gogc, limit string) map[string]any {
	t.Helper()
	for _, row := range r.p["whatif"].([]any) {
		row := row.(map[string]any)
		if g, l := rowSetting(row); row["alloc_rate_factor"] == factor && g == gogc && l == limit {
			return row
		}
	}
	t.Fatalf("%s: no what-if row at factor %v for GOGC=%s GOMEMLIMIT=%s", r.name, factor, gogc, limit)
	return nil
}

// option is the verdict's option with the id.
func (r proofRun) option(t *testing.T, id string) map[string]any {
	t.Helper()
	for _, o := range r.verdict()["options"].([]any) {
		if o := o.(map[string]any); o["id"] == id {
			return o
		}
	}
	t.Fatalf("%s: no option %s", r.name, id)
	return nil
}

// fitsAndMeets says whether a what-if row's predicted peak memory fits the
// budget less its headroom and its p99 meets target (not a lower bound).
func fitsAndMeets(row map[string]any, budget int64, target float64) bool {
	room := (1 - advice.DefaultThresholds().MemoryHeadroom) * float64(budget)
	peak, okPeak := row["peak_memory_bytes"].(float64)
	p99, okP99 := row["p99_ms"].(float64)
	return okPeak && okP99 && peak <= room && p99 <= target && row["p99_bound"] != "lower" && row["over_limit"] != true
}

func TestProofTune(t *testing.T) {
	for _, tc := range []struct {
		before string
		flags  []string
		after  string
		holds  bool // as docs/verdicts.md records
	}{
		{"tune-before", []string{"--mem-budget", "1GiB"}, "tune-after", true},
		{"proof/snapshot-chunked", nil, "proof/snapshot-chunked-gogc200", true},
		// memlimit fell behind its load under the tight limit: every cycle
		// ran out of runway and no request stayed clear of the GC, so the
		// model has nothing calm to predict from and its p99 keeps that
		// backlog, as an upper bound (p99_bound "upper"); the re-run
		// without the limit kept up.
		{"proof/memlimit", []string{"--mem-budget", "1GiB"}, "proof/memlimit-nolimit", false},
	} {
		t.Run(tc.before, func(t *testing.T) {
			before := loadProof(t, tc.before, tc.flags...)
			before.want(t, "tune")
			after := loadProof(t, tc.after)
			sameLoad(t, before, after)
			s := before.verdict()["settings"].(map[string]any)
			gogc, limit := after.setting()
			if g, l := rowSetting(s); g != gogc || l != limit {
				t.Fatalf("gcwatch recommends GOGC=%v GOMEMLIMIT=%v for %s, %s ran with GOGC=%s GOMEMLIMIT=%s: re-record it",
					g, l, tc.before, tc.after, gogc, limit)
			}
			pred := s["predicted"].(map[string]any)
			pGC, pP99 := pred["gc_per_second"].(float64), pred["p99_ms"].(float64)
			mGC, mP99 := after.gc()["per_second"].(float64), after.p99()
			gcErr, p99Err := change(pGC, mGC), change(pP99, mP99)
			bound, _ := pred["p99_bound"].(string)
			detail := fmt.Sprintf("GOGC=%s GOMEMLIMIT=%s: %.2f GC/s predicted, %.2f measured (%+.0f%%); p99 %.3f ms predicted%s, %.3f measured (%+.0f%%)",
				gogc, limit, pGC, mGC, 100*gcErr, pP99, map[string]string{"upper": " (at most)", "lower": " (at least)"}[bound], mP99, 100*p99Err)
			expect(t, "the tune prediction", math.Abs(gcErr) <= 0.20 && math.Abs(p99Err) <= 0.30, tc.holds, detail)
			if !tc.holds {
				// What the model cannot predict it must say: the p99 is
				// flagged as a bound, and the re-run is on its side of it.
				if bound != "upper" || mP99 > pP99 || math.Abs(gcErr) > 0.20 {
					t.Errorf("a tune prediction the re-run contradicts must be an upper bound the re-run stays under, with GC/s within 20%%: %s, p99_bound %q", detail, bound)
				}
			}
		})
	}
}

func TestProofReduceAllocation(t *testing.T) {
	for _, tc := range []struct {
		before string
		budget string
		// tuned is the program unchanged at the in-budget setting the
		// model predicts best ("" when that is the before run's own).
		tuned  string
		fixed  string
		remedy []string // the fixed run's extra flags
	}{
		{"proof/allocheavy", "12MiB", "", "proof/allocheavy-fixed", []string{"-fixed"}},
		{"proof/bigheap", "512MiB", "proof/bigheap-tuned", "proof/bigheap-fixed", []string{"-reuse-buffers"}},
	} {
		t.Run(tc.before, func(t *testing.T) {
			budget, err := units.ParseSize(tc.budget)
			if err != nil {
				t.Fatal(err)
			}
			before := loadProof(t, tc.before, "--mem-budget", tc.budget)
			before.want(t, "reduce-allocation")
			target := before.target(t)
			if e := before.evidence("settings_meeting_target"); len(e) != 1 || e[0]["holds"] != false {
				t.Fatalf("evidence %v: want no setting meeting the target at today's allocation rate", e)
			}
			// The cut the verdict asks for and the setting it names: the
			// alloc_cut_max row names them; it or the alloc_cut_intrinsic
			// row (a deeper cut, still not the live heap's cost) holds.
			var cut float64
			var gogc, limit string
			held := false
			for _, e := range before.evidence("alloc_cut_needed") {
				m := regexp.MustCompile(`^alloc_cut_max: with GOGC=(\S+) GOMEMLIMIT=(\S+) at`).FindStringSubmatch(e["note"].(string))
				if m != nil {
					cut, gogc, limit = e["value"].(float64), m[1], m[2]
				}
				held = held || e["holds"] == true
			}
			if gogc == "" || !held {
				t.Fatalf("alloc_cut_needed %v: want a cut that holds and the setting that meets the target with it", before.evidence("alloc_cut_needed"))
			}

			// Tuning alone: the best setting the budget holds, measured.
			tuned := before
			if tc.tuned != "" {
				tuned = loadProof(t, tc.tuned)
				sameLoad(t, before, tuned)
			}
			ranAtOneOf(t, tuned, before.bestInBudget(1, budget), "the best setting inside the budget at today's allocation")
			if tuned.p99() <= target {
				t.Errorf("tuning alone (%s) measured p99 %.3f ms, within the target %.3f ms: the verdict should have been tune", tuned.name, tuned.p99(), target)
			}

			// The fix: the same program with its hot path fixed, under the
			// setting the verdict names, or one the model predicts to fit
			// the budget and meet the target at the allocation rate the
			// fix leaves (the what-if row at the nearest factor at or above
			// it: the fix allocates at most that).
			fixed := loadProof(t, tc.fixed)
			sameLoad(t, before, fixed, tc.remedy...)
			measuredCut := 1 - fixed.allocPerRequest()/before.allocPerRequest()
			if g, l := fixed.setting(); g != gogc || l != limit {
				row := before.whatIfRow(t, factorAtOrAbove(1-measuredCut), g, l)
				if !fitsAndMeets(row, budget, target) {
					t.Fatalf("%s ran with GOGC=%s GOMEMLIMIT=%s, not the setting the verdict names (GOGC=%s GOMEMLIMIT=%s), and the model does not predict it to meet the target inside the budget at %v of the allocation rate (%v): re-record it",
						fixed.name, g, l, gogc, limit, row["alloc_rate_factor"], row)
				}
			}
			if measuredCut < cut {
				t.Errorf("the fix cut the allocation per request by %.0f%%, the verdict asked for %.0f%%", 100*measuredCut, 100*cut)
			}
			if peak, ok := fixed.migration()["peak_heap_bytes"].(float64); ok && peak > float64(budget) {
				t.Errorf("%s peaked at %.0f bytes, over the %s budget", fixed.name, peak, tc.budget)
			}
			if fixed.p99() > target {
				t.Errorf("%s measured p99 %.3f ms, over the target %.3f ms", fixed.name, fixed.p99(), target)
			}
			t.Logf("target p99 ≤ %.3f ms; tuning alone (%s) %.3f ms; the fix (%.0f%% less allocation per request, %.0f%% asked) %.3f ms",
				target, tuned.name, tuned.p99(), 100*measuredCut, 100*cut, fixed.p99())
		})
	}
}

// maxTimeToStop is the longest time to stop the world over the run's GC
// pauses.
func (r proofRun) maxTimeToStop() float64 {
	var most float64
	for _, list := range []string{"pauses", "worst_pauses"} {
		ps, _ := r.p[list].([]any)
		for _, p := range ps {
			p := p.(map[string]any)
			if tts, ok := p["time_to_stop_ms"].(float64); ok && p["kind"] != "non-gc" {
				most = max(most, tts)
			}
		}
	}
	return most
}

func TestProofFixSTWDelay(t *testing.T) {
	minStop := float64(advice.DefaultThresholds().TimeToStopMin) / 1e6
	for _, tc := range []struct {
		before, after string
		remedy        []string
	}{
		{"stwdelay", "proof/stwdelay-preemptible", []string{"-preemptible"}},
		{"proof/snapshot", "proof/snapshot-chunked", []string{"-chunk-kb"}},
	} {
		t.Run(tc.before, func(t *testing.T) {
			before := loadProof(t, tc.before)
			before.want(t, "fix-stw-delay")
			after := loadProof(t, tc.after)
			sameLoad(t, before, after, tc.remedy...)
			if b := before.maxTimeToStop(); b < minStop {
				t.Fatalf("%s: longest time to stop %.3f ms, under time_to_stop_min", before.name, b)
			}
			if after.id() == "fix-stw-delay" {
				t.Errorf("%s: still fix-stw-delay (%v)", after.name, after.verdict()["summary"])
			}
			if a := after.maxTimeToStop(); a >= minStop {
				t.Errorf("%s: a GC pause still waited %.3f ms for the world to stop", after.name, a)
			}
			t.Logf("longest time to stop %.3f ms -> %.3f ms; p99 %.3f ms -> %.3f ms; %s is now %s",
				before.maxTimeToStop(), after.maxTimeToStop(), before.p99(), after.p99(), after.name, after.id())
		})
	}
}

// gcOff fails unless run ran without the collector.
func gcOff(t *testing.T, run proofRun) {
	t.Helper()
	if run.meta.Env["GOGC"] != "off" || run.meta.Env["GOMEMLIMIT"] != "" || run.gc()["cycles"].(float64) != 0 {
		t.Fatalf("%s: env %v, %v GC cycles: want GOGC=off, no limit and no cycle", run.name, run.meta.Env, run.gc()["cycles"])
	}
}

func TestProofGCNotTheCause(t *testing.T) {
	small := advice.DefaultThresholds().GCShareSmall
	for _, tc := range []struct{ normal, again, off string }{
		{"proof/lockbound", "proof/lockbound-again", "proof/lockbound-gogcoff"},
		{"proof/snapshot-miss", "proof/snapshot-miss-again", "proof/snapshot-miss-gogcoff"},
	} {
		t.Run(tc.normal, func(t *testing.T) {
			normal, again, off := loadProof(t, tc.normal), loadProof(t, tc.again), loadProof(t, tc.off)
			normal.want(t, "gc-not-the-cause")
			again.want(t, "gc-not-the-cause")
			sameLoad(t, normal, again)
			sameLoad(t, normal, off)
			gcOff(t, off)
			// Noise: what two captures of the same service differ by, and
			// at least gc_share_small, the share under which gcwatch itself
			// calls a difference noise.
			noise := max(small*normal.p99(), math.Abs(again.p99()-normal.p99()))
			if d := off.p99() - normal.p99(); math.Abs(d) > noise {
				t.Errorf("GOGC=off moved p99 by %+.3f ms (%.3f -> %.3f), more than the noise %.3f ms: the GC was part of the tail",
					d, normal.p99(), off.p99(), noise)
			}
			t.Logf("p99 %.3f ms, again %.3f ms, GOGC=off %.3f ms (%+.1f%%); noise ±%.3f ms",
				normal.p99(), again.p99(), off.p99(), 100*change(off.p99(), normal.p99()), noise)
		})
	}
}

// TestProofMigration re-runs what tells a migration candidate from an
// allocation problem: the GOGC=off run (the GC-free bound and the check of
// the migration estimate) and the program allocating a quarter as much. On
// the two examples once called migration candidates the 4x cut meets the
// target inside the budget, and gcwatch now says reduce-allocation: on
// bigheap in 450MiB with the cut and setting it predicts; on memlimit,
// whose every cycle ran out of runway, saying the cut cannot be ruled out
// (not modelled) rather than calling it a migration. In tighter budgets
// (bigheap in 400MiB, memlimit in 130MiB) both are migration candidates:
// the GOGC=off run must improve p99 beyond the decision record's while
// neither tuning alone nor the 4x cut, each at the nearest setting its
// option names, meets the target. It holds on bigheap; on memlimit the
// re-runs contradict it, as docs/verdicts.md records.
func TestProofMigration(t *testing.T) {
	for _, tc := range []struct {
		before, budget, off, cut string
		remedy                   []string // the cut run's extra flags
		// modelled: the verdict names a cut and the migration estimate
		// is the p99 of the requests clear of the GC; otherwise every
		// observed cycle ran out of runway, and the verdict says the cut
		// is not modelled and the estimate is an upper bound.
		modelled bool
		// migration: the verdict is migration-candidate, and tuned is the
		// program unchanged at the tune option's nearest setting.
		migration bool
		tuned     string
		// As docs/verdicts.md records: tuning alone and the cut miss the
		// target when measured; the model's p99 for the cut at its
		// setting, a bound, holds as one.
		tunedMisses, cutMisses, cutBoundHolds bool
	}{
		{before: "proof/bigheap", budget: "450MiB", off: "proof/bigheap-gogcoff", cut: "proof/bigheap-cut4", remedy: []string{"-reuse-buffers"}, modelled: true},
		{before: "proof/memlimit", budget: "140MiB", off: "proof/memlimit-gogcoff", cut: "proof/memlimit-cut4", remedy: []string{"-page-kb"}},
		// In 400MiB the 4x cut runs under a limit the live heap nearly
		// fills; its measured p99 came out under the model's "at least"
		// figure for that setting.
		{before: "proof/bigheap", budget: "400MiB", off: "proof/bigheap-gogcoff", cut: "proof/bigheap-cut4-400", remedy: []string{"-reuse-buffers"}, modelled: true,
			migration: true, tuned: "proof/bigheap-tuned400", tunedMisses: true, cutMisses: true, cutBoundHolds: false},
		// In 130MiB the re-runs contradict the verdict: the before run's
		// p99 was a backlog on a busier machine (load 17.5, the re-runs
		// 4.9 and 5.2), and tuning alone and the 4x cut both measured
		// under its target; the cut's p99 "at most" bound held.
		{before: "proof/memlimit", budget: "130MiB", off: "proof/memlimit-gogcoff", cut: "proof/memlimit-cut4-130", remedy: []string{"-page-kb"},
			migration: true, tuned: "proof/memlimit-tuned130", tunedMisses: false, cutMisses: false, cutBoundHolds: true},
	} {
		t.Run(tc.before+"/"+tc.budget, func(t *testing.T) {
			budget, err := units.ParseSize(tc.budget)
			if err != nil {
				t.Fatal(err)
			}
			before := loadProof(t, tc.before, "--mem-budget", tc.budget)
			if tc.migration {
				before.want(t, "migration-candidate")
				for _, metric := range []string{"settings_meeting_target", "settings_meeting_target_at_alloc_cut"} {
					if e := before.evidence(metric); len(e) != 1 || e[0]["holds"] != false {
						t.Fatalf("evidence %s %v: want no setting meeting the target", metric, e)
					}
				}
			} else {
				before.want(t, "reduce-allocation")
			}
			target := before.target(t)
			m := before.migration()
			adr, estimate, basis := m["adr_p99_change"].(float64), m["p99_without_gc_ms"].(float64), m["p99_without_gc_basis"]

			off := loadProof(t, tc.off)
			sameLoad(t, before, off)
			gcOff(t, off)
			offChange := change(off.p99(), before.p99())
			if offChange >= adr {
				t.Errorf("GOGC=off p99 %.3f ms -> %.3f ms (%+.0f%%): not beyond the decision record's %+.0f%%", before.p99(), off.p99(), 100*offChange, 100*adr)
			}
			estErr := change(estimate, off.p99())
			detail := fmt.Sprintf("p99_without_gc %.3f ms (%v), GOGC=off measured %.3f ms: %+.0f%%", estimate, basis, off.p99(), 100*estErr)
			expect(t, "the migration estimate", math.Abs(estErr) <= 0.30, tc.modelled, detail)
			if !tc.modelled && (basis != advice.WithoutGCOwnTime || off.p99() > estimate) {
				t.Errorf("an estimate the GOGC=off run contradicts must be the upper bound (basis %s) it stays under: %s", advice.WithoutGCOwnTime, detail)
			}

			// The 4x allocation cut.
			cut := loadProof(t, tc.cut)
			sameLoad(t, before, cut, tc.remedy...)
			share := cut.allocPerRequest() / before.allocPerRequest()
			if share < 0.2 || share > 0.3 {
				t.Fatalf("%s allocated %.0f%% as much per request as %s, not a quarter", cut.name, 100*share, before.name)
			}
			if peak, ok := cut.migration()["peak_heap_bytes"].(float64); !ok || peak > float64(budget) {
				t.Fatalf("%s peaked at %v bytes, over the %s budget", cut.name, cut.migration()["peak_heap_bytes"], tc.budget)
			}
			g, l := cut.setting()
			row := before.whatIfRow(t, 0.25, g, l)
			if tc.migration {
				// Neither tuning alone nor the 4x cut, each at the nearest
				// setting its option names, meets the target when measured.
				tuned := loadProof(t, tc.tuned)
				sameLoad(t, before, tuned)
				ranAtOneOf(t, tuned, []map[string]any{before.option(t, "tune")["settings"].(map[string]any)}, "the tune option's nearest setting")
				ranAtOneOf(t, cut, []map[string]any{before.option(t, "reduce-allocation")["settings"].(map[string]any)}, "the reduce-allocation option's nearest setting")
				expect(t, "tuning alone missing the target", tuned.p99() > target, tc.tunedMisses,
					fmt.Sprintf("%s measured p99 %.3f ms against the target %.3f ms", tuned.name, tuned.p99(), target))
				expect(t, "the 4x allocation cut missing the target", cut.p99() > target, tc.cutMisses,
					fmt.Sprintf("%s measured p99 %.3f ms against the target %.3f ms", cut.name, cut.p99(), target))
				// The model's p99 there is a bound: it does not see the
				// cut leave the cycles calmer than any it observed.
				pred := row["p99_ms"].(float64)
				var inside bool
				switch row["p99_bound"] {
				case "lower":
					inside = cut.p99() >= pred
				case "upper":
					inside = cut.p99() <= pred
				default:
					t.Fatalf("the model's p99 for the cut at its setting is %v, not a bound (%v): update docs/verdicts.md and this test", pred, row["p99_bound"])
				}
				expect(t, "the model's bound on the cut's p99", inside, tc.cutBoundHolds,
					fmt.Sprintf("%s %.3f ms predicted, %.3f ms measured", map[string]string{"upper": "at most", "lower": "at least"}[row["p99_bound"].(string)], pred, cut.p99()))
				tune := before.option(t, "tune")["settings"].(map[string]any)["predicted"].(map[string]any)
				t.Logf("tuning alone with GOGC=%s GOMEMLIMIT=%s predicted %.2f GC/s, GC CPU %.1f%%, p99 %.3f ms%s; measured %.2f GC/s, GC CPU %.1f%%, p99 %.3f ms",
					tuned.meta.Env["GOGC"], tuned.meta.Env["GOMEMLIMIT"], tune["gc_per_second"], 100*tune["gc_cpu_fraction"].(float64), tune["p99_ms"],
					map[string]string{"upper": " (at most)", "lower": " (at least)"}[fmt.Sprint(tune["p99_bound"])],
					tuned.gc()["per_second"], 100*tuned.gc()["cpu_fraction"].(float64), tuned.p99())
			} else if cut.p99() > target {
				t.Errorf("%s measured p99 %.3f ms at a quarter of the allocation, over the target %.3f ms: the cut does not work", cut.name, cut.p99(), target)
			}
			switch {
			case tc.migration:
				// The verdict names no cut: none inside the budget is
				// predicted to meet the target (the evidence above).
			case tc.modelled:
				// The verdict's cut is at most the re-run's, and the model
				// predicts the re-run's setting to fit and meet the target.
				var asked float64
				for _, e := range before.evidence("alloc_cut_needed") {
					asked = e["value"].(float64)
				}
				if asked == 0 || asked > 1-share {
					t.Errorf("alloc_cut_needed %v: want a cut of at most the re-run's %.0f%%", before.evidence("alloc_cut_needed"), 100*(1-share))
				}
				if !fitsAndMeets(row, budget, target) {
					t.Errorf("the model does not predict %s's setting to fit and meet the target at a quarter of the allocation: %v", cut.name, row)
				}
			case !slices.ContainsFunc(before.verdict()["caveats"].([]any), func(c any) bool { return strings.Contains(c.(string), "not ruled out") }):
				t.Errorf("caveats %v: want the cut said not ruled out", before.verdict()["caveats"])
			}
			t.Logf("target p99 ≤ %.3f ms; at a quarter of the allocation with GOGC=%s GOMEMLIMIT=%s predicted %.2f GC/s, GC CPU %.1f%%, p99 %.3f ms%s; measured %.2f GC/s, GC CPU %.1f%%, p99 %.3f ms (%+.0f%% against %.3f ms before); %s",
				target, g, l, row["gc_per_second"], 100*row["gc_cpu_fraction"].(float64), row["p99_ms"], map[string]string{"upper": " (at most)", "lower": " (at least)"}[fmt.Sprint(row["p99_bound"])],
				cut.gc()["per_second"], 100*cut.gc()["cpu_fraction"].(float64), cut.p99(), 100*change(cut.p99(), before.p99()), before.p99(), detail)
		})
	}
}
