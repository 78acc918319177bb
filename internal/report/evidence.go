package report

import (
	"github.com/gcwatch/gcwatch/internal/advice"

	"github.com/gcwatch/gcwatch/internal/units"
)

// ruleEvidence is the evidence of one rule the advisor tried.
type ruleEvidence struct {
	Rule string
	Rows []advice.Evidence
}

// splitEvidence separates the rows of the rule that decided v (their rule
// is v's id) from those of the rules tried before it or weighed beside it,
// grouped by rule in the order they were tried. A row without a rule
// counts as deciding.
func splitEvidence(v *advice.Verdict) (decided []advice.Evidence, others []ruleEvidence) {
	for _, e := range v.Evidence {
		if e.Rule == "" || e.Rule == v.ID {
			decided = append(decided, e)
			continue
		}
		if n := len(others); n > 0 && others[n-1].Rule == e.Rule {
			others[n-1].Rows = append(others[n-1].Rows, e)
			continue
		}
		others = append(others, ruleEvidence{Rule: e.Rule, Rows: []advice.Evidence{e}})
	}
	return decided, others
}

// test is what an evidence row asks: "< 0.1", "≤ 973 MiB".
// A value within its noise of the threshold says so instead ("near
// gc_share_small 0.1"), as the verdict does.
func test(e advice.Evidence) string {
	if e.NearThreshold {
		name := e.ThresholdName
		if name == "" {
			name = "the threshold"
		}
		return "near " + name + " " + evidenceValue(e.Unit, e.Threshold)
	}
	return opText(e.Op) + " " + evidenceValue(e.Unit, e.Threshold)
}

// measured is an evidence row's value in its unit, with its standard
// error when it has one ("0.14 ± 0.071").
func measured(e advice.Evidence) string {
	if e.Noise > 0 {
		return evidenceValue(e.Unit, e.Value) + " ± " + evidenceValue(e.Unit, e.Noise)
	}
	return evidenceValue(e.Unit, e.Value)
}

func evidenceValue(unit string, v float64) string {
	switch unit {
	case "bytes":
		return units.Bytes(int64(v))
	case "ms":
		return units.Ms(v)
	case "B/s":
		return units.BytesPerSecond(v)
	}
	return fmtNum(v)
}

func opText(op string) string {
	switch op {
	case "<=":
		return "≤"
	case ">=":
		return "≥"
	}
	return op
}

func yesNo(b bool) string {
	if b {
		return "yes"
	}
	return "no"
}
