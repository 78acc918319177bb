package flightrec

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// Schema names the layout of the index Handler serves.
const Schema = "gcwatch/flightrec/v1"

// Info describes one kept snapshot.
type Info struct {
	ID      uint64    `json:"id"`
	Time    time.Time `json:"time"` // when it was written
	Size    int64     `json:"size_bytes"`
	Trigger Trigger   `json:"trigger"`
}

// Trigger is what caused a snapshot: a slow request (Method, Path, Start,
// Duration set) or a call to Snapshot (only Reason set).
type Trigger struct {
	Reason   string
	Method   string
	Path     string
	Start    time.Time
	Duration time.Duration
}

// triggerJSON is Trigger as the index shows it: durations in milliseconds,
// as every gcwatch JSON document has them.
type triggerJSON struct {
	Reason     string     `json:"reason"`
	Method     string     `json:"method,omitempty"`
	Path       string     `json:"path,omitempty"`
	Start      *time.Time `json:"start,omitempty"`
	DurationMS float64    `json:"duration_ms,omitempty"`
}

func (t Trigger) MarshalJSON() ([]byte, error) {
	j := triggerJSON{Reason: t.Reason, Method: t.Method, Path: t.Path, DurationMS: float64(t.Duration) / 1e6}
	if !t.Start.IsZero() {
		j.Start = &t.Start
	}
	return json.Marshal(j)
}

func (t *Trigger) UnmarshalJSON(b []byte) error {
	var j triggerJSON
	if err := json.Unmarshal(b, &j); err != nil {
		return err
	}
	*t = Trigger{Reason: j.Reason, Method: j.Method, Path: j.Path, Duration: time.Duration(j.DurationMS * 1e6)}
	if j.Start != nil {
		t.Start = *j.Start
	}
	return nil
}

// Index is the document Handler serves at its root.
type Index struct {
	Schema   string `json:"schema"`
	Running  bool   `json:"running"`
	Settings struct {
		MinAgeMS        float64 `json:"min_age_ms"`
		MaxBytes        uint64  `json:"max_bytes"`
		SlowThresholdMS float64 `json:"slow_threshold_ms"`
		Keep            int     `json:"keep"`
		CooldownMS      float64 `json:"cooldown_ms"`
	} `json:"settings"`
	Stats     Stats  `json:"stats"`
	Snapshots []Info `json:"snapshots"` // oldest first
}

// Handler serves the kept snapshots, for `gcwatch watch` to pull:
//
//	GET /      the Index as JSON
//	GET /{id}  snapshot id's trace bytes (application/octet-stream)
//
// Mount it under a prefix with http.StripPrefix, for example
//
//	mux.Handle("/debug/gcwatch/snapshots/", http.StripPrefix("/debug/gcwatch/snapshots", rec.Handler()))
func (r *Recorder) Handler() http.Handler {
	return http.HandlerFunc(r.serve)
}

func (r *Recorder) serve(w http.ResponseWriter, req *http.Request) {
	if req.Method != http.MethodGet && req.Method != http.MethodHead {
		w.Header().Set("Allow", "GET, HEAD")
		http.Error(w, "flightrec: only GET and HEAD are served", http.StatusMethodNotAllowed)
		return
	}
	name := strings.Trim(req.URL.Path, "/")
	if name == "" {
		r.serveIndex(w)
		return
	}
	id, err := strconv.ParseUint(name, 10, 64)
	if err != nil {
		http.Error(w, fmt.Sprintf("flightrec: %q is not a snapshot id", name), http.StatusNotFound)
		return
	}
	data, _, ok := r.Get(id)
	if !ok {
		http.Error(w, fmt.Sprintf("flightrec: snapshot %d is not kept (never taken, or dropped for a newer one)", id), http.StatusNotFound)
		return
	}
	h := w.Header()
	h.Set("Content-Type", "application/octet-stream")
	h.Set("Content-Length", strconv.Itoa(len(data)))
	h.Set("Content-Disposition", fmt.Sprintf(`attachment; filename="flightrec-%d.trace"`, id))
	h.Set("Cache-Control", "no-store")
	if req.Method == http.MethodGet {
		w.Write(data)
	}
}

// Index returns what Handler serves at its root.
func (r *Recorder) Index() Index {
	ix := Index{Schema: Schema, Running: r.Running(), Stats: r.Stats(), Snapshots: r.Snapshots()}
	ix.Settings.MinAgeMS = float64(r.cfg.MinAge) / 1e6
	ix.Settings.MaxBytes = r.cfg.MaxBytes
	ix.Settings.SlowThresholdMS = float64(r.cfg.SlowThreshold) / 1e6
	ix.Settings.Keep = r.cfg.Keep
	ix.Settings.CooldownMS = float64(r.cfg.Cooldown) / 1e6
	return ix
}

func (r *Recorder) serveIndex(w http.ResponseWriter) {
	b, err := json.MarshalIndent(r.Index(), "", "  ")
	if err != nil {
		http.Error(w, "flightrec: "+err.Error(), http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.Write(append(b, '\n'))
}
