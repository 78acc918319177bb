package compare

import (
	"fmt"
	"math"

	"github.com/gcwatch/gcwatch/internal/advice"
	"github.com/gcwatch/gcwatch/internal/units"
)

// Tolerances are the model's stated error: how far a measurement may be
// from a prediction, as a fraction of the measurement, for the prediction
// to hold. They are the bounds of the tune proof (docs/verdicts.md, "The tune
// prediction, checked"): cycles per second within ±20 %, p99 within ±30 %.
var Tolerances = map[string]float64{"gc_per_second": 0.20, "request_p99_ms": 0.30}

// PredictionCheck is BEFORE's recommendation held against AFTER.
type PredictionCheck struct {
	// Recommended is the setting BEFORE's verdict recommended; AfterRan
	// the one AFTER ran with (null when not known).
	Recommended units.Setting  `json:"recommended"`
	AfterRan    *units.Setting `json:"after_ran"`
	// Applies is set when AFTER ran with the recommendation; Reason says
	// why not otherwise.
	Applies bool   `json:"applies"`
	Reason  string `json:"reason,omitempty"`
	// Figures are predicted against measured, when it applies.
	Figures []PredictedFigure `json:"figures"`
	// WithinError is set when every figure with a tolerance is within it;
	// null when the check does not apply.
	WithinError *bool `json:"within_error"`
}

// PredictedFigure is one figure predicted and measured.
type PredictedFigure struct {
	Metric    string  `json:"metric"`
	Predicted float64 `json:"predicted"`
	Measured  float64 `json:"measured"`
	// Error is (predicted − measured) / measured.
	Error float64 `json:"error"`
	// Tolerance is the stated bound on |Error| (null when the model states
	// none for the figure); Within says whether Error is inside it.
	Tolerance *float64 `json:"tolerance"`
	Within    *bool    `json:"within"`
}

// checkPrediction holds BEFORE's first recommended setting against what
// AFTER measured.
func checkPrediction(before, after Side, c *Comparison) *PredictionCheck {
	var rec *advice.Recommendation
	for _, r := range before.Runs {
		if r.Outcome != nil && r.Outcome.Verdict.Settings != nil {
			rec = r.Outcome.Verdict.Settings
			break
		}
	}
	if rec == nil {
		return nil
	}
	pc := &PredictionCheck{Recommended: rec.Setting, Figures: []PredictedFigure{}}
	gogc, okG := runGOGC(after, 0)
	limit, okL := runLimit(after, 0)
	if !okG || !okL {
		pc.Reason = "AFTER's GOGC and GOMEMLIMIT are not known (they come from a capture's meta.json, or give --after-gogc and --after-memlimit)"
		return pc
	}
	ran := advice.Settings{GOGC: gogc, MemoryLimit: limit}.Setting()
	pc.AfterRan = &ran
	if ran != rec.Setting {
		pc.Reason = fmt.Sprintf("AFTER ran with %s, not the recommended %s", ran, rec.Setting)
		return pc
	}
	pc.Applies = true
	within := true
	add := func(metric string, predicted float64) {
		r := c.Find(metric)
		if r == nil || r.After == nil || *r.After == 0 || math.IsNaN(predicted) {
			return
		}
		f := PredictedFigure{Metric: metric, Predicted: predicted, Measured: *r.After}
		f.Error = (f.Predicted - f.Measured) / f.Measured
		if tol, ok := Tolerances[metric]; ok {
			in := math.Abs(f.Error) <= tol
			f.Tolerance, f.Within = &tol, &in
			within = within && in
		}
		pc.Figures = append(pc.Figures, f)
	}
	p := rec.Predicted
	add("gc_per_second", p.GCPerSecond)
	add("gc_cpu_fraction", p.GCCPUFraction)
	if p.P99 != nil {
		add("request_p99_ms", *p.P99)
	}
	pc.WithinError = &within
	return pc
}
