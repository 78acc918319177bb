package flightrec

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"sync"
	"testing"
	"time"
)

func fetch(t *testing.T, h http.Handler, method, path string) *http.Response {
	t.Helper()
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(method, path, nil))
	return rec.Result()
}

func TestHandler(t *testing.T) {
	r := start(t, Config{Keep: 2, SlowThreshold: 40 * time.Millisecond, Cooldown: time.Minute, MaxBytes: 4 << 20})
	for _, reason := range []string{"one", "two", "three"} {
		if _, err := r.Snapshot(reason); err != nil {
			t.Fatal(err)
		}
	}
	mux := http.NewServeMux()
	mux.Handle("/debug/gcwatch/snapshots/", http.StripPrefix("/debug/gcwatch/snapshots", r.Handler()))

	for _, path := range []string{"/debug/gcwatch/snapshots/", "/debug/gcwatch/snapshots"} {
		resp := fetch(t, mux, "GET", path)
		if path == "/debug/gcwatch/snapshots" { // the mux redirects to the folder
			if resp.StatusCode/100 != 3 || resp.Header.Get("Location") != "/debug/gcwatch/snapshots/" {
				t.Errorf("GET %s: %s to %q", path, resp.Status, resp.Header.Get("Location"))
			}
			continue
		}
		if resp.StatusCode != 200 || resp.Header.Get("Content-Type") != "application/json" {
			t.Fatalf("GET %s: %s %s", path, resp.Status, resp.Header.Get("Content-Type"))
		}
		var ix Index
		if err := json.NewDecoder(resp.Body).Decode(&ix); err != nil {
			t.Fatal(err)
		}
		if ix.Schema != Schema || !ix.Running || ix.Settings.Keep != 2 || ix.Settings.SlowThresholdMS != 40 ||
			ix.Settings.CooldownMS != 60000 || ix.Settings.MaxBytes != 4<<20 || ix.Settings.MinAgeMS != 10000 {
			t.Errorf("index header %+v", ix)
		}
		if ix.Stats.Taken != 3 || ix.Stats.Evicted != 1 {
			t.Errorf("index stats %+v", ix.Stats)
		}
		want := r.Snapshots()
		if len(ix.Snapshots) != 2 || ix.Snapshots[0].ID != 2 || ix.Snapshots[1].Trigger.Reason != "three" {
			t.Fatalf("index snapshots %+v", ix.Snapshots)
		}
		for i, got := range ix.Snapshots {
			if got.ID != want[i].ID || got.Size != want[i].Size || !got.Time.Equal(want[i].Time) || got.Trigger.Reason != want[i].Trigger.Reason {
				t.Errorf("index snapshot %d: %+v, want %+v", i, got, want[i])
			}
		}
	}

	for _, id := range []uint64{2, 3} {
		path := "/debug/gcwatch/snapshots/" + strconv.FormatUint(id, 10)
		resp := fetch(t, mux, "GET", path)
		body, _ := io.ReadAll(resp.Body)
		want := mustGet(t, r, id)
		if resp.StatusCode != 200 || resp.Header.Get("Content-Type") != "application/octet-stream" ||
			resp.Header.Get("Content-Length") != strconv.Itoa(len(want)) || !bytes.Equal(body, want) {
			t.Errorf("GET %s: %s, %s, %d bytes; want %d bytes", path, resp.Status, resp.Header.Get("Content-Type"), len(body), len(want))
		}
		parse(t, body)
		head := fetch(t, mux, "HEAD", path)
		if b, _ := io.ReadAll(head.Body); head.StatusCode != 200 || len(b) != 0 || head.Header.Get("Content-Length") != strconv.Itoa(len(want)) {
			t.Errorf("HEAD %s: %s, %d body bytes", path, head.Status, len(b))
		}
	}

	for path, code := range map[string]int{
		"/debug/gcwatch/snapshots/1":    http.StatusNotFound, // dropped
		"/debug/gcwatch/snapshots/9":    http.StatusNotFound,
		"/debug/gcwatch/snapshots/x":    http.StatusNotFound,
		"/debug/gcwatch/snapshots/-1":   http.StatusNotFound,
		"/debug/gcwatch/snapshots/2/3":  http.StatusNotFound,
		"/debug/gcwatch/snapshots/1e10": http.StatusNotFound,
	} {
		if resp := fetch(t, mux, "GET", path); resp.StatusCode != code {
			t.Errorf("GET %s: %s, want %d", path, resp.Status, code)
		}
	}
	resp := fetch(t, mux, "POST", "/debug/gcwatch/snapshots/2")
	if resp.StatusCode != http.StatusMethodNotAllowed || resp.Header.Get("Allow") != "GET, HEAD" {
		t.Errorf("POST: %s, Allow %q", resp.Status, resp.Header.Get("Allow"))
	}
}

func TestTriggerJSONRoundTrip(t *testing.T) {
	start := time.Date(2026, 3, 1, 12, 0, 0, 123456789, time.UTC)
	for _, tr := range []Trigger{
		{Reason: "slow request", Method: "POST", Path: "/api/cart/7", Start: start, Duration: 73*time.Millisecond + 250*time.Microsecond},
		{Reason: "manual"},
	} {
		b, err := json.Marshal(tr)
		if err != nil {
			t.Fatal(err)
		}
		var back Trigger
		if err := json.Unmarshal(b, &back); err != nil {
			t.Fatal(err)
		}
		if back.Reason != tr.Reason || back.Method != tr.Method || back.Path != tr.Path || !back.Start.Equal(tr.Start) || back.Duration != tr.Duration {
			t.Errorf("%s came back as %+v, want %+v", b, back, tr)
		}
	}
	b, _ := json.Marshal(Trigger{Reason: "r", Duration: 1500 * time.Microsecond})
	if string(b) != `{"reason":"r","duration_ms":1.5}` {
		t.Errorf("trigger JSON %s", b)
	}
}

// TestConcurrentUse runs slow and fast requests, manual snapshots and
// index reads at once (run it with -race), then checks the counters add up.
func TestConcurrentUse(t *testing.T) {
	r := start(t, Config{Keep: 3, SlowThreshold: 2 * time.Millisecond, Cooldown: 5 * time.Millisecond, MaxBytes: 1 << 20, MinAge: time.Second})
	srv := slowServer(t, r.Middleware, 3*time.Millisecond)
	const workers, perWorker = 8, 25
	var wg sync.WaitGroup
	for w := range workers {
		wg.Go(func() {
			for i := range perWorker {
				path := "/fast"
				if (w+i)%2 == 0 {
					path = "/slow"
				}
				get(t, srv.URL+path)
			}
		})
	}
	manual := 0
	wg.Go(func() {
		for range 5 {
			if _, err := r.Snapshot("manual"); err != nil {
				t.Error(err)
			} else {
				manual++
			}
			time.Sleep(2 * time.Millisecond)
		}
	})
	wg.Go(func() {
		for range 20 {
			resp := fetch(t, r.Handler(), "GET", "/")
			var ix Index
			if err := json.NewDecoder(resp.Body).Decode(&ix); err != nil {
				t.Error(err)
				return
			}
			if len(ix.Snapshots) > 3 {
				t.Errorf("%d snapshots kept, Keep is 3", len(ix.Snapshots))
			}
			for _, s := range ix.Snapshots {
				if resp := fetch(t, r.Handler(), "GET", "/"+strconv.FormatUint(s.ID, 10)); resp.StatusCode != 200 && resp.StatusCode != 404 {
					t.Errorf("snapshot %d: %s", s.ID, resp.Status)
				}
			}
		}
	})
	wg.Wait()
	r.Stop()

	st := r.Stats()
	slow := int64(workers * perWorker / 2)
	auto := st.Taken + st.Failed - int64(manual)
	if st.Slow != slow || auto+st.SkippedBusy+st.SkippedCooldown != slow || auto < 1 {
		t.Errorf("stats %+v with %d manual: want %d slow requests, each snapshotted or skipped", st, manual, slow)
	}
	kept := r.Snapshots()
	if int64(len(kept)) != st.Taken-st.Evicted || len(kept) > 3 {
		t.Errorf("%d kept, stats %+v", len(kept), st)
	}
	for i := 1; i < len(kept); i++ {
		if kept[i].ID <= kept[i-1].ID {
			t.Errorf("kept ids out of order: %+v", kept)
		}
	}
}
