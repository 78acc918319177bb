package flightrec

import (
	"net/http"
	"runtime/trace"
	"time"
)

// Middleware times every request next serves and, when one takes
// SlowThreshold or longer, snapshots the flight recorder in the background
// (at most one snapshot per Cooldown). Wrap the handlers whose latency
// matters, not the debug endpoints: a 30-second /debug/pprof/profile or a
// slow download of a snapshot is not a slow request.
//
// The request's method and path (never its query, which may hold secrets)
// are kept as the snapshot's trigger.
func (r *Recorder) Middleware(next http.Handler) http.Handler {
	threshold, task := r.cfg.SlowThreshold, r.cfg.Task
	if threshold <= 0 && task == "" {
		return next
	}
	return http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		start := time.Now()
		if task != "" {
			ctx, t := trace.NewTask(req.Context(), task)
			defer t.End()
			req = req.WithContext(ctx)
		}
		next.ServeHTTP(w, req)
		if threshold <= 0 {
			return
		}
		if d := time.Since(start); d >= threshold {
			r.slow(Trigger{Reason: "slow request", Method: req.Method, Path: req.URL.Path, Start: start, Duration: d})
		}
	})
}
