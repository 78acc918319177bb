package flightrec

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// item is what the benchmark handler serves: a product page's worth of
// JSON, built per request as a real handler would.
type item struct {
	ID          int               `json:"id"`
	Name        string            `json:"name"`
	Description string            `json:"description"`
	Tags        []string          `json:"tags"`
	Attributes  map[string]string `json:"attributes"`
	PriceCents  int               `json:"price_cents"`
}

func itemHandler(w http.ResponseWriter, r *http.Request) {
	id, _ := strconv.Atoi(r.URL.Query().Get("id"))
	it := item{ID: id, Name: fmt.Sprintf("item %d", id), Description: strings.Repeat("sturdy practical ", 12),
		Tags: []string{"kitchen", "blue", "sale"}, Attributes: map[string]string{"colour": "blue", "size": "m", "brand": "acme"},
		PriceCents: 100 + id%5000}
	w.Header().Set("Content-Type", "application/json")
	json.NewEncoder(w).Encode(it)
}

var benchModes = []struct {
	name string
	run  bool // the recorder runs
	cfg  Config
}{
	{"recorder=off", false, Config{}},
	{"recorder=on", true, Config{SlowThreshold: time.Hour}},
	{"recorder=on/task", true, Config{SlowThreshold: time.Hour, Task: "request"}},
}

// BenchmarkMiddleware serves itemHandler over loopback HTTP with the
// recorder off and on (no request is slow enough to snapshot: this is the
// steady cost of tracing every goroutine switch, syscall and GC, plus the
// middleware's timing). Bytes are the answers' bodies.
func BenchmarkMiddleware(b *testing.B) {
	for _, mode := range benchModes {
		b.Run("loopback/"+mode.name, func(b *testing.B) {
			h := benchHandler(b, mode.run, mode.cfg)
			srv := httptest.NewServer(h)
			defer srv.Close()
			client := srv.Client()
			client.Transport.(*http.Transport).MaxIdleConnsPerHost = 64
			b.SetBytes(bodySize(b, h))
			b.ResetTimer()
			b.RunParallel(func(pb *testing.PB) {
				i := 0
				for pb.Next() {
					i++
					resp, err := client.Get(srv.URL + "/item?id=" + strconv.Itoa(i))
					if err != nil {
						b.Error(err)
						return
					}
					io.Copy(io.Discard, resp.Body)
					resp.Body.Close()
				}
			})
		})
	}
	for _, mode := range benchModes {
		b.Run("direct/"+mode.name, func(b *testing.B) {
			h := benchHandler(b, mode.run, mode.cfg)
			b.SetBytes(bodySize(b, h))
			req := httptest.NewRequest("GET", "/item?id=7", nil)
			b.ReportAllocs()
			b.ResetTimer()
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					h.ServeHTTP(httptest.NewRecorder(), req)
				}
			})
		})
	}
}

func benchHandler(b *testing.B, run bool, cfg Config) http.Handler {
	r, err := New(cfg)
	if err != nil {
		b.Fatal(err)
	}
	if !run {
		return http.HandlerFunc(itemHandler)
	}
	if err := r.Start(); err != nil {
		b.Fatal(err)
	}
	b.Cleanup(r.Stop)
	return r.Middleware(http.HandlerFunc(itemHandler))
}

func bodySize(b *testing.B, h http.Handler) int64 {
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest("GET", "/item?id=7", nil))
	return int64(rec.Body.Len())
}

// BenchmarkSnapshot times writing the window while goroutines allocate
// and hand work to each other, so the window holds real events. Bytes are
// the snapshot's.
func BenchmarkSnapshot(b *testing.B) {
	r, err := New(Config{MinAge: time.Second, MaxBytes: 64 << 20, Keep: 1})
	if err != nil {
		b.Fatal(err)
	}
	if err := r.Start(); err != nil {
		b.Fatal(err)
	}
	defer r.Stop()
	stop := make(chan struct{})
	var wg sync.WaitGroup
	work := make(chan []byte)
	for range 2 {
		wg.Go(func() {
			for {
				select {
				case <-stop:
					return
				case work <- make([]byte, 512):
				}
				time.Sleep(20 * time.Microsecond) // a busy service, not a ping-pong loop

			}
		})
		wg.Go(func() {
			for {
				select {
				case <-stop:
					return
				case buf := <-work:
					_ = json.NewEncoder(io.Discard).Encode(buf)
				}
			}
		})
	}
	time.Sleep(1100 * time.Millisecond) // fill the window
	var size int64
	b.ResetTimer()
	for b.Loop() {
		info, err := r.Snapshot("bench")
		if err != nil {
			b.Fatal(err)
		}
		size = info.Size
	}
	b.StopTimer()
	b.SetBytes(size)
	close(stop)
	wg.Wait()
}
