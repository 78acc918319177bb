package advice

import (
	"fmt"
	"slices"
	"strings"
	"time"
)

// A verdict on too little data keeps its id as the leading hypothesis, but
// it is not a verdict to act on: Verdict.SufficientData is false, the
// summary starts with "not enough data: " and says what is missing, the
// actions say how to get it, nothing is recommended (no Settings) and
// --fail-on ignores it. The minimums are Thresholds.Sufficient*.

// shortfall is one minimum the inputs fall below: what is missing, and how
// to get it.
type shortfall struct {
	missing, remedy string
}

// shortfalls lists the minimums the inputs fall below, for the verdict
// reached.
func (d *decider) shortfalls() []shortfall {
	r := d.Rules
	var out []shortfall
	capture := "capture longer (gcwatch run --seconds N, or a longer trace)"
	if d.fit == nil {
		cycles := d.Analysis.GC.Cycles - d.Analysis.GC.PartialCycles
		if cycles < r.SufficientCycles {
			out = append(out, shortfall{fmt.Sprintf("%s (need %d)", plural(cycles, "complete GC cycle"), r.SufficientCycles),
				fmt.Sprintf("%s, to see at least %d GC cycles", capture, r.SufficientCycles)})
		} else if d.v.ID != NotTheCause && d.v.ID != FixSTWDelay {
			// Only the verdicts that rest on predictions need the model.
			out = append(out, shortfall{"a cost model (" + d.fitErr + ")", capture})
		}
	}
	if w := d.Run.Duration(); w < r.SufficientWindow {
		out = append(out, shortfall{fmt.Sprintf("%s observed (need %s)", w.Round(time.Millisecond), r.SufficientWindow), capture})
	}
	if d.attr != nil && d.attr.Requests > 0 && d.attr.Tail99.Requests < r.SufficientTailRequests {
		out = append(out, shortfall{fmt.Sprintf("%s in the slowest 1%% (need %d, so %d requests)", plural(d.attr.Tail99.Requests, "request"), r.SufficientTailRequests, 100*r.SufficientTailRequests),
			"capture longer or under more load, or mark more requests as runtime/trace tasks"})
	}
	if d.v.ID == MigrationCandidate && d.Budget <= 0 {
		out = append(out, shortfall{"a memory budget (whether the heap could grow is unknown)", "give the memory the service may use (--mem-budget 2GiB)"})
	}
	return out
}

// hypotheses say, per verdict, what the rules lean to without claiming it.
var hypotheses = map[string]string{
	NotTheCause:        "the GC is not what makes the tail",
	Tune:               "a GOGC/GOMEMLIMIT setting would be enough",
	ReduceAllocation:   "the allocation rate drives the GC cost",
	FixSTWDelay:        "GC pauses are long because goroutines are slow to stop",
	MigrationCandidate: "the GC cost is intrinsic to the live heap",
}

// insufficient turns the verdict reached into the leading hypothesis of a
// report that says what is missing.
func (d *decider) insufficient(short []shortfall) {
	v := d.v
	v.SufficientData = false
	v.Confidence = "low"
	v.Settings = nil
	var missing []string
	v.Actions = []string{}
	for _, s := range short {
		missing = append(missing, s.missing)
		if !slices.Contains(v.Actions, s.remedy) {
			v.Actions = append(v.Actions, s.remedy)
		}
	}
	v.Actions = append(v.Actions, "then analyze again: until then nothing here is a recommendation")
	v.Summary = fmt.Sprintf("not enough data: %s; leading hypothesis: %s", strings.Join(missing, ", "), hypotheses[v.ID])
}

func plural(n int, what string) string {
	if n == 1 {
		return fmt.Sprintf("1 %s", what)
	}
	return fmt.Sprintf("%d %ss", n, what)
}
