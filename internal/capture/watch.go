package capture

import (
	"context"
	"fmt"
	"io"
	"math"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// Condition is a trigger for gcwatch watch: METRIC>DURATION, where METRIC
// is "pause" (a GC pause since the last look), or p50, p90, p99, p999 of
// request latency since the last look.
type Condition struct {
	Raw       string
	Metric    string
	Threshold time.Duration
}

// ParseCondition reads "pause>5ms", "p99>50ms".
func ParseCondition(s string) (Condition, error) {
	metric, val, ok := strings.Cut(strings.ReplaceAll(s, " ", ""), ">")
	if !ok {
		return Condition{}, fmt.Errorf("%q: want METRIC>DURATION, e.g. pause>5ms or p99>50ms", s)
	}
	val = strings.TrimPrefix(val, "=")
	switch metric {
	case "pause", "p50", "p90", "p99", "p999":
	default:
		return Condition{}, fmt.Errorf("%q: %q is not pause, p50, p90, p99 or p999", s, metric)
	}
	d, err := time.ParseDuration(val)
	if err != nil || d <= 0 {
		return Condition{}, fmt.Errorf("%q: %q is not a positive duration", s, val)
	}
	return Condition{Raw: s, Metric: metric, Threshold: d}, nil
}

// pauseHistograms are the names GC pause histograms are exported under:
// client_golang's runtime/metrics collector (Go 1.22+ and older names).
var pauseHistograms = []string{"go_sched_pauses_total_gc_seconds", "go_gc_pauses_seconds", "go_gc_pauses_seconds_total"}

// Watcher polls a service's /metrics and says when a condition holds.
type Watcher struct {
	Target        Target
	Client        *http.Client
	LatencyMetric string // histogram of request latency, default http_request_duration_seconds

	// Answered is set once the service has answered a poll, even with an
	// error status.
	Answered bool
	// Warn, when set, is told about metrics that were read only in part
	// (malformed lines dropped), once per distinct message.
	Warn     func(string)
	lastWarn string

	prev      Histograms
	prevGauge Gauges
	polled    bool
}

// Reading is what changed since the previous poll.
type Reading struct {
	pauses   *Histogram // GC pauses since the last poll, nil when not exported
	maxPause float64    // from the summary, when there is no histogram; NaN else
	newGC    bool       // the summary's count grew
	latency  *Histogram
}

// Poll reads /metrics. The first poll only sets the baseline.
func (w *Watcher) Poll(ctx context.Context) (*Reading, error) {
	c := w.Client
	if c == nil {
		c = &http.Client{}
	}
	rctx, cancel := context.WithTimeout(ctx, Margin)
	defer cancel()
	u := w.Target.Base + "/metrics"
	req, err := http.NewRequestWithContext(rctx, http.MethodGet, u, nil)
	if err != nil {
		return nil, err
	}
	req.Header.Set("Accept", MetricsAccept)
	resp, err := c.Do(req)
	if err != nil {
		return nil, describe(u, err, ctx, rctx, Margin)
	}
	defer resp.Body.Close()
	w.Answered = true
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("GET %s: %s (conditions need the service's Prometheus metrics)", u, resp.Status)
	}
	hs, gs, err := ReadMetrics(io.LimitReader(resp.Body, 64<<20), resp.Header.Get("Content-Type"))
	switch {
	case err != nil && len(hs) == 0 && len(gs) == 0:
		return nil, fmt.Errorf("GET %s: %w", u, err)
	case err != nil && w.Warn != nil && err.Error() != w.lastWarn:
		w.lastWarn = err.Error()
		w.Warn(fmt.Sprintf("GET %s: %v; the rest was read", u, err))
	}
	r := &Reading{maxPause: math.NaN()}
	for _, name := range pauseHistograms {
		if h, ok := hs[name]; ok {
			r.pauses = h.Since(w.prev[name])
			break
		}
	}
	if r.pauses == nil {
		if v, ok := gs[`go_gc_duration_seconds{quantile="1"}`]; ok {
			r.maxPause = v
			r.newGC = gs["go_gc_duration_seconds_count"] > w.prevGauge["go_gc_duration_seconds_count"]
		}
	}
	name := w.LatencyMetric
	if name == "" {
		name = "http_request_duration_seconds"
	}
	if h, ok := hs[name]; ok {
		r.latency = h.Since(w.prev[name])
	}
	first := !w.polled
	w.prev, w.prevGauge, w.polled = hs, gs, true
	if first {
		return nil, nil
	}
	return r, nil
}

// Holds says whether c holds for the reading, and why.
func (c Condition) Holds(r *Reading) (bool, string, error) {
	limit := c.Threshold.Seconds()
	if c.Metric == "pause" {
		switch {
		case r.pauses != nil:
			if n := r.pauses.Above(limit); n > 0 {
				return true, fmt.Sprintf("%s: %.0f GC pause(s) above %s since the last look", c.Raw, n, c.Threshold), nil
			}
			return false, "", nil
		case !math.IsNaN(r.maxPause):
			if r.newGC && r.maxPause > limit {
				return true, fmt.Sprintf("%s: the longest of the recent GC pauses took %s", c.Raw, time.Duration(r.maxPause*1e9)), nil
			}
			return false, "", nil
		}
		return false, "", fmt.Errorf("%s: the service exports no GC pause metric (%s or go_gc_duration_seconds)", c.Raw, strings.Join(pauseHistograms, ", "))
	}
	if r.latency == nil {
		return false, "", fmt.Errorf("%s: the service exports no request-latency histogram (see --latency-metric)", c.Raw)
	}
	q, _ := strconv.ParseFloat("0."+strings.TrimPrefix(c.Metric, "p"), 64)
	if c.Metric == "p999" {
		q = 0.999
	}
	v := r.latency.Quantile(q)
	if !math.IsNaN(v) && v > limit {
		at := fmt.Sprintf("at most %s (its bucket's bound)", time.Duration(v*1e9))
		if math.IsInf(v, 1) {
			at = "above the histogram's largest bucket"
		}
		return true, fmt.Sprintf("%s: %s of %.0f requests since the last look was %s", c.Raw, c.Metric, r.latency.Total(), at), nil
	}
	return false, "", nil
}
