package flightrec

import (
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/gcwatch/gcwatch/internal/tracetest"
	exptrace "golang.org/x/exp/trace"
)

// Only one flight recorder may run in a process, so these tests do not
// run in parallel.

// start makes and starts a recorder that is stopped when the test ends.
func start(t *testing.T, cfg Config) *Recorder {
	t.Helper()
	r, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	if err := r.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(r.Stop)
	return r
}

// slowServer serves /slow in at least d and anything else at once.
func slowServer(t *testing.T, h func(http.Handler) http.Handler, d time.Duration) *httptest.Server {
	t.Helper()
	mux := http.NewServeMux()
	mux.HandleFunc("/slow", func(w http.ResponseWriter, r *http.Request) {
		time.Sleep(d)
		io.WriteString(w, "slow")
	})
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "fast") })
	srv := httptest.NewServer(h(mux))
	t.Cleanup(srv.Close)
	return srv
}

func get(t *testing.T, url string) {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
}

// parsed is what a trace holds, read with x/exp/trace.
type parsed struct {
	events int
	logs   []string // category: message
	tasks  map[string]int
}

func parse(t *testing.T, data []byte) parsed {
	t.Helper()
	p := parsed{tasks: map[string]int{}}
	for ev := range tracetest.EventsOf(t, "snapshot", data) {
		p.events++
		switch ev.Kind() {
		case exptrace.EventLog:
			l := ev.Log()
			p.logs = append(p.logs, l.Category+": "+l.Message)
		case exptrace.EventTaskBegin:
			p.tasks[ev.Task().Type]++
		}
	}
	return p
}

func TestSlowRequestSnapshotsOnceWithinCooldown(t *testing.T) {
	r := start(t, Config{SlowThreshold: 20 * time.Millisecond, Cooldown: time.Hour, Keep: 3})
	srv := slowServer(t, r.Middleware, 30*time.Millisecond)
	get(t, srv.URL+"/fast")
	for range 3 {
		get(t, srv.URL+"/slow")
		get(t, srv.URL+"/fast")
	}
	r.Stop() // waits for the background snapshot

	st := r.Stats()
	if st.Slow != 3 || st.Taken != 1 || st.SkippedCooldown+st.SkippedBusy != 2 || st.Failed != 0 {
		t.Fatalf("stats %+v, want 3 slow, 1 taken, 2 skipped, 0 failed", st)
	}
	infos := r.Snapshots()
	if len(infos) != 1 {
		t.Fatalf("%d snapshots kept, want 1", len(infos))
	}
	tr := infos[0].Trigger
	if tr.Reason != "slow request" || tr.Method != "GET" || tr.Path != "/slow" || tr.Duration < 30*time.Millisecond || tr.Start.IsZero() {
		t.Errorf("trigger %+v, want GET /slow of at least 30ms", tr)
	}
	data, info, ok := r.Get(infos[0].ID)
	if !ok || info != infos[0] || int64(len(data)) != info.Size {
		t.Fatalf("Get(%d) = %d bytes, %+v, %v; want %+v", infos[0].ID, len(data), info, ok, infos[0])
	}
	p := parse(t, data)
	if p.events == 0 {
		t.Fatal("snapshot holds no events")
	}
	if !containsPrefix(p.logs, "gcwatch/flightrec: slow request: GET /slow took ") {
		t.Errorf("snapshot lacks the trigger's log message; logs: %q", p.logs)
	}
}

func containsPrefix(list []string, prefix string) bool {
	for _, s := range list {
		if strings.HasPrefix(s, prefix) {
			return true
		}
	}
	return false
}

func TestSnapshotAgainAfterCooldown(t *testing.T) {
	r := start(t, Config{SlowThreshold: 5 * time.Millisecond, Cooldown: 50 * time.Millisecond})
	srv := slowServer(t, r.Middleware, 10*time.Millisecond)
	get(t, srv.URL+"/slow")
	waitTaken(t, r, 1)
	time.Sleep(60 * time.Millisecond)
	get(t, srv.URL+"/slow")
	waitTaken(t, r, 2)
	if n := len(r.Snapshots()); n != 2 {
		t.Fatalf("%d snapshots kept, want 2", n)
	}
}

// waitTaken waits for the background snapshots to reach n.
func waitTaken(t *testing.T, r *Recorder, n int64) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for r.Stats().Taken < n {
		if time.Now().After(deadline) {
			t.Fatalf("after 5s, %d snapshots taken, want %d; stats %+v", r.Stats().Taken, n, r.Stats())
		}
		time.Sleep(time.Millisecond)
	}
}

func TestKeepBoundsSnapshots(t *testing.T) {
	r := start(t, Config{Keep: 2, SlowThreshold: time.Hour})
	for i := range 5 {
		info, err := r.Snapshot("manual")
		if err != nil {
			t.Fatal(err)
		}
		if info.ID != uint64(i+1) || info.Trigger.Reason != "manual" || info.Size < 16 {
			t.Errorf("snapshot %d: %+v", i, info)
		}
	}
	infos := r.Snapshots()
	if len(infos) != 2 || infos[0].ID != 4 || infos[1].ID != 5 {
		t.Fatalf("kept %+v, want ids 4 and 5", infos)
	}
	if _, _, ok := r.Get(3); ok {
		t.Error("snapshot 3 is still kept")
	}
	if st := r.Stats(); st.Taken != 5 || st.Evicted != 3 {
		t.Errorf("stats %+v, want 5 taken, 3 evicted", st)
	}
	parse(t, mustGet(t, r, 5))
}

func mustGet(t *testing.T, r *Recorder, id uint64) []byte {
	t.Helper()
	data, _, ok := r.Get(id)
	if !ok {
		t.Fatalf("snapshot %d not kept", id)
	}
	return data
}

// The byte budget drops old snapshots even when fewer than Keep are kept.
func TestKeepBoundsBytes(t *testing.T) {
	r, err := New(Config{Keep: 3, MaxBytes: 100})
	if err != nil {
		t.Fatal(err)
	}
	for _, size := range []int{120, 90, 50, 200, 300} {
		r.keep(Trigger{Reason: "test"}, make([]byte, size))
	}
	// Budget 300: after 120 → [120]; 90 → [120 90]; 50 → [120 90 50];
	// 200 → 460 > 300, drop 120, 90 → [50 200]; 300 → drop 50, 200 → [300].
	infos := r.Snapshots()
	if len(infos) != 1 || infos[0].ID != 5 || infos[0].Size != 300 {
		t.Fatalf("kept %+v, want only snapshot 5 (300 bytes)", infos)
	}
	if st := r.Stats(); st.Evicted != 4 || r.keptSize != 300 {
		t.Errorf("evicted %d, kept %d bytes; want 4 and 300", st.Evicted, r.keptSize)
	}
}

func TestSnapshotLargerThanBudgetFails(t *testing.T) {
	// A trace's header alone is 16 bytes, more than 2 × 1.
	r := start(t, Config{Keep: 2, MaxBytes: 1})
	_, err := r.Snapshot("too big")
	if !errors.Is(err, errTooBig) {
		t.Fatalf("err = %v, want %v", err, errTooBig)
	}
	st := r.Stats()
	if st.Failed != 1 || st.Taken != 0 || st.LastError != err.Error() || len(r.Snapshots()) != 0 {
		t.Errorf("stats %+v, kept %d", st, len(r.Snapshots()))
	}
}

func TestStartStop(t *testing.T) {
	r, err := New(Config{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := r.Snapshot("before"); err == nil {
		t.Error("snapshot before Start succeeded")
	}
	if err := r.Start(); err != nil {
		t.Fatal(err)
	}
	if err := r.Start(); err == nil {
		t.Error("second Start succeeded")
	}
	other, _ := New(Config{})
	if err := other.Start(); err == nil {
		other.Stop()
		t.Error("a second recorder started while the first runs")
	}
	if _, err := r.Snapshot("running"); err != nil {
		t.Fatal(err)
	}
	r.Stop()
	r.Stop()
	if r.Running() {
		t.Error("running after Stop")
	}
	if _, err := r.Snapshot("after"); err == nil {
		t.Error("snapshot after Stop succeeded")
	}
	if len(r.Snapshots()) != 1 {
		t.Error("snapshots not kept after Stop")
	}
	// Restartable, and the other recorder can run once this one stopped.
	if err := other.Start(); err != nil {
		t.Fatalf("other recorder after Stop: %v", err)
	}
	other.Stop()
}

func TestNewRejectsBadConfig(t *testing.T) {
	for _, cfg := range []Config{{Keep: -1}, {Cooldown: -1}, {MinAge: -1}, {SlowThreshold: -1}, {Keep: 1 << 40, MaxBytes: 1 << 40}} {
		if _, err := New(cfg); err == nil {
			t.Errorf("New(%+v) succeeded", cfg)
		}
	}
	r, err := New(Config{})
	if err != nil {
		t.Fatal(err)
	}
	want := DefaultConfig
	if got := r.Config(); got != want {
		t.Errorf("defaults %+v, want %+v", got, want)
	}
}

type pointerHandler struct{ served int }

func (h *pointerHandler) ServeHTTP(http.ResponseWriter, *http.Request) { h.served++ }

func TestMiddlewarePassesThroughWhenIdle(t *testing.T) {
	r, _ := New(Config{})
	h := &pointerHandler{}
	if got := r.Middleware(h); got != http.Handler(h) {
		t.Error("Middleware wrapped a handler though it has nothing to do")
	}
	r, _ = New(Config{SlowThreshold: time.Second})
	got := r.Middleware(h)
	if got == http.Handler(h) {
		t.Fatal("Middleware did not wrap the handler")
	}
	got.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest("GET", "/", nil))
	if h.served != 1 {
		t.Errorf("wrapped handler served %d times, want 1", h.served)
	}
}

func TestMiddlewareTasks(t *testing.T) {
	r := start(t, Config{Task: "request", SlowThreshold: time.Hour})
	srv := slowServer(t, r.Middleware, 0)
	for range 5 {
		get(t, srv.URL+"/fast")
	}
	info, err := r.Snapshot("tasks")
	if err != nil {
		t.Fatal(err)
	}
	p := parse(t, mustGet(t, r, info.ID))
	if p.tasks["request"] < 5 {
		t.Errorf("%d request tasks in the snapshot, want at least 5", p.tasks["request"])
	}
	if !containsPrefix(p.logs, "gcwatch/flightrec: snapshot: tasks") {
		t.Errorf("snapshot lacks its log message; logs: %q", p.logs)
	}
}
