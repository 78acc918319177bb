package flightrec

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"runtime/trace"
	"sync"
	"time"
)

// Config says how much trace the recorder keeps and when it snapshots it.
// A zero field takes its value from DefaultConfig, except SlowThreshold:
// zero there means the middleware never snapshots by itself.
type Config struct {
	// MinAge and MaxBytes size the runtime's moving window (see
	// runtime/trace.FlightRecorderConfig): the window holds about MinAge
	// of trace unless that would exceed MaxBytes.
	MinAge   time.Duration
	MaxBytes uint64
	// SlowThreshold is the latency at or above which a request served by
	// Middleware triggers a snapshot.
	SlowThreshold time.Duration
	// Keep is how many snapshots are kept; older ones are dropped.
	Keep int
	// Cooldown is the least time between two snapshots triggered by slow
	// requests: one slow spell gives one snapshot, not hundreds.
	Cooldown time.Duration
	// Task, when set, runs every request Middleware serves inside a
	// runtime/trace task of that type, so that an analysis of a snapshot
	// can tell the requests apart (gcwatch reads tasks as requests).
	Task string
}

// DefaultConfig holds the values zero fields of a Config take.
var DefaultConfig = Config{
	MinAge:   10 * time.Second,
	MaxBytes: 10 << 20,
	Keep:     4,
	Cooldown: 30 * time.Second,
}

// Recorder runs the runtime's flight recorder and keeps the last few
// snapshots of it in memory. All its methods are safe for concurrent use.
type Recorder struct {
	cfg    Config
	budget int64 // bytes all kept snapshots may take together: Keep × MaxBytes
	fr     *trace.FlightRecorder

	// writing serialises WriteTo calls (the runtime refuses a second
	// concurrent one) and orders them before Stop.
	writing sync.Mutex
	// pending counts snapshots the middleware started in the background,
	// so Stop can wait for them.
	pending sync.WaitGroup

	mu       sync.Mutex // guards everything below
	running  bool
	stopping bool      // Stop is waiting for background snapshots
	inFlight bool      // a background snapshot is being written
	last     time.Time // when the last triggered snapshot was decided
	nextID   uint64
	kept     []snapshot // oldest first
	keptSize int64
	stats    Stats
}

// Stats count what the recorder did since New.
type Stats struct {
	Slow            int64  `json:"slow_requests"`    // requests at or over SlowThreshold
	Taken           int64  `json:"snapshots_taken"`  // snapshots written, including manual ones
	SkippedCooldown int64  `json:"skipped_cooldown"` // slow requests within Cooldown of the last snapshot
	SkippedBusy     int64  `json:"skipped_busy"`     // slow requests while a snapshot was being written
	Evicted         int64  `json:"snapshots_evicted"`
	Failed          int64  `json:"snapshots_failed"`
	LastError       string `json:"last_error,omitempty"`
}

type snapshot struct {
	info Info
	data []byte
}

// New makes a recorder; Start begins recording.
func New(cfg Config) (*Recorder, error) {
	if cfg.MinAge < 0 || cfg.SlowThreshold < 0 || cfg.Keep < 0 || cfg.Cooldown < 0 {
		return nil, errors.New("flightrec: negative MinAge, SlowThreshold, Keep or Cooldown")
	}
	if cfg.MinAge == 0 {
		cfg.MinAge = DefaultConfig.MinAge
	}
	if cfg.MaxBytes == 0 {
		cfg.MaxBytes = DefaultConfig.MaxBytes
	}
	if cfg.Keep == 0 {
		cfg.Keep = DefaultConfig.Keep
	}
	if cfg.Cooldown == 0 {
		cfg.Cooldown = DefaultConfig.Cooldown
	}
	budget := uint64(cfg.Keep) * cfg.MaxBytes
	if budget/uint64(cfg.Keep) != cfg.MaxBytes || budget > 1<<62 {
		return nil, fmt.Errorf("flightrec: Keep × MaxBytes (%d × %d) is too large", cfg.Keep, cfg.MaxBytes)
	}
	return &Recorder{
		cfg:    cfg,
		budget: int64(budget),
		nextID: 1,
		fr:     trace.NewFlightRecorder(trace.FlightRecorderConfig{MinAge: cfg.MinAge, MaxBytes: cfg.MaxBytes}),
	}, nil
}

// Config returns the configuration in effect, defaults filled in.
func (r *Recorder) Config() Config { return r.cfg }

// Start starts the runtime's flight recorder. Only one can run in a
// process at a time; a second Start (of this or another recorder) fails.
func (r *Recorder) Start() error {
	r.writing.Lock()
	defer r.writing.Unlock()
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.running {
		return errors.New("flightrec: already started")
	}
	if err := r.fr.Start(); err != nil {
		return fmt.Errorf("flightrec: cannot start the runtime flight recorder: %w", err)
	}
	r.running = true
	return nil
}

// Stop lets snapshots under way finish, then stops recording. Kept
// snapshots stay available to Handler and Get.
func (r *Recorder) Stop() {
	r.mu.Lock()
	if !r.running || r.stopping {
		r.mu.Unlock()
		return
	}
	r.stopping = true // no new background snapshots from here on
	r.mu.Unlock()
	r.pending.Wait()

	r.writing.Lock()
	defer r.writing.Unlock()
	r.mu.Lock()
	r.running, r.stopping = false, false
	r.mu.Unlock()
	r.fr.Stop()
}

// Running reports whether the recorder is between Start and Stop.
func (r *Recorder) Running() bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.running
}

// Snapshot writes the current window now, whatever the cooldown, waiting
// for a snapshot under way to finish first. reason is kept as the trigger.
func (r *Recorder) Snapshot(reason string) (Info, error) {
	trace.Log(context.Background(), "gcwatch/flightrec", "snapshot: "+reason)
	return r.take(Trigger{Reason: reason})
}

// slow is called by the middleware for a request at or over the
// threshold. It decides under the lock whether this request gets a
// snapshot, and writes it in the background so the response is not
// held up by it.
func (r *Recorder) slow(t Trigger) {
	now := time.Now()
	r.mu.Lock()
	r.stats.Slow++
	switch {
	case !r.running || r.stopping:
		r.mu.Unlock()
		return
	case r.inFlight:
		r.stats.SkippedBusy++
		r.mu.Unlock()
		return
	case !r.last.IsZero() && now.Sub(r.last) < r.cfg.Cooldown:
		r.stats.SkippedCooldown++
		r.mu.Unlock()
		return
	}
	r.last = now
	r.inFlight = true
	r.pending.Add(1)
	r.mu.Unlock()

	// Mark the moment in the trace itself, so an analysis of the snapshot
	// can find the request that caused it.
	trace.Log(context.Background(), "gcwatch/flightrec",
		fmt.Sprintf("slow request: %s %s took %v", t.Method, t.Path, t.Duration))
	go func() {
		defer r.pending.Done()
		r.take(t) // a failure is counted in Stats
		r.mu.Lock()
		r.inFlight = false
		r.mu.Unlock()
	}()
}

// take writes one snapshot and keeps it.
func (r *Recorder) take(t Trigger) (Info, error) {
	r.writing.Lock()
	defer r.writing.Unlock()
	r.mu.Lock()
	running := r.running
	r.mu.Unlock()
	if !running {
		return Info{}, errors.New("flightrec: cannot snapshot: the recorder is not running")
	}

	var buf bytes.Buffer
	_, err := r.fr.WriteTo(&capWriter{buf: &buf, max: r.budget})
	if err != nil {
		err = fmt.Errorf("flightrec: snapshot failed: %w", err)
		r.mu.Lock()
		r.stats.Failed++
		r.stats.LastError = err.Error()
		r.mu.Unlock()
		return Info{}, err
	}
	data := buf.Bytes()
	if cap(data)-len(data) > len(data)/4 {
		data = bytes.Clone(data) // don't keep up to twice the bytes for a buffer's growth
	}

	return r.keep(t, data), nil
}

// keep adds a snapshot to the ring and drops the oldest ones until the
// ring holds at most Keep snapshots and Keep × MaxBytes bytes.
func (r *Recorder) keep(t Trigger, data []byte) Info {
	r.mu.Lock()
	defer r.mu.Unlock()
	info := Info{ID: r.nextID, Time: time.Now(), Size: int64(len(data)), Trigger: t}
	r.nextID++
	r.kept = append(r.kept, snapshot{info: info, data: data})
	r.keptSize += info.Size
	r.stats.Taken++
	for len(r.kept) > r.cfg.Keep || r.keptSize > r.budget {
		r.keptSize -= r.kept[0].info.Size
		r.kept[0] = snapshot{} // let the bytes go even before the slice is reallocated
		r.kept = r.kept[1:]
		r.stats.Evicted++
	}
	return info
}

// errTooBig ends a snapshot larger than everything the recorder may keep.
var errTooBig = errors.New("snapshot exceeds Keep × MaxBytes")

// capWriter bounds the memory a single snapshot can take: MaxBytes is only
// a hint to the runtime, which keeps whole generations.
type capWriter struct {
	buf *bytes.Buffer
	max int64
}

func (w *capWriter) Write(p []byte) (int, error) {
	if int64(w.buf.Len())+int64(len(p)) > w.max {
		return 0, fmt.Errorf("%w (%d bytes): the runtime keeps whole generations of about a second; raise MaxBytes or Keep", errTooBig, w.max)
	}
	return w.buf.Write(p)
}

// Snapshots lists the kept snapshots, oldest first.
func (r *Recorder) Snapshots() []Info {
	r.mu.Lock()
	defer r.mu.Unlock()
	infos := make([]Info, len(r.kept))
	for i, s := range r.kept {
		infos[i] = s.info
	}
	return infos
}

// Get returns a kept snapshot's trace bytes; the caller must not change them.
func (r *Recorder) Get(id uint64) ([]byte, Info, bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, s := range r.kept {
		if s.info.ID == id {
			return s.data, s.info, true
		}
	}
	return nil, Info{}, false
}

// Stats returns the counters so far.
func (r *Recorder) Stats() Stats {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.stats
}
