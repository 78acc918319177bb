package load

import (
	"context"
	"io"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// TestQuantile checks nearest rank against its definition, counted
// directly: at least k of n latencies are ≤ the answer for q = k/1000, and
// fewer than that are below it.
func TestQuantile(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for _, n := range []int{1, 2, 7, 100, 1000, 1234} {
		r := &Result{}
		for range n {
			r.Latencies = append(r.Latencies, time.Duration(rng.IntN(50))*time.Millisecond)
		}
		sortDurations(r.Latencies)
		for k := 0; k <= 1000; k++ {
			got := r.Quantile(float64(k) / 1000)
			atMost, below := 0, 0
			for _, d := range r.Latencies {
				if d <= got {
					atMost++
				}
				if d < got {
					below++
				}
			}
			// want atMost/n ≥ k/1000 and below/n < k/1000 (for k > 0).
			if atMost*1000 < k*n || (k > 0 && below*1000 >= k*n) {
				t.Fatalf("n=%d q=%d/1000: %v has %d at most, %d below", n, k, got, atMost, below)
			}
		}
	}
	if (&Result{}).Quantile(0.5) != 0 {
		t.Error("quantile of nothing is not 0")
	}
}

func sortDurations(d []time.Duration) {
	for i := 1; i < len(d); i++ {
		for j := i; j > 0 && d[j] < d[j-1]; j-- {
			d[j], d[j-1] = d[j-1], d[j]
		}
	}
}

func TestRun(t *testing.T) {
	var served atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		served.Add(1)
		if strings.HasSuffix(r.URL.Path, "/7") {
			http.Error(w, "no", http.StatusTeapot)
			return
		}
		io.WriteString(w, "ok")
	}))
	defer srv.Close()
	res, err := Run(context.Background(), Config{RPS: 200, Duration: 300 * time.Millisecond, Concurrency: 8,
		Request: func(ctx context.Context, i int) (*http.Request, error) {
			return http.NewRequestWithContext(ctx, "GET", srv.URL+"/item/"+strconv.Itoa(i), nil)
		}})
	if err != nil {
		t.Fatal(err)
	}
	// 300 ms at 5 ms intervals: due at 0, 5, …, 295 ms (60), give or take
	// the timers firing late at either edge on a busy machine (62 with
	// two CPU burners); every request due is sent and served.
	if res.Due < 50 || res.Due > 70 || res.Sent != res.Due || int64(res.Sent) != served.Load() {
		t.Errorf("due %d, sent %d, served %d; want about 60 each", res.Due, res.Sent, served.Load())
	}
	if res.Failed != 1 || res.OK != res.Sent-1 || res.Status[http.StatusTeapot] != 1 || res.Status[200] != res.OK ||
		!strings.Contains(res.FirstErr, "request 7: status 418") || len(res.Latencies) != res.Sent {
		t.Errorf("result %+v", res)
	}
	var sb strings.Builder
	res.WriteSummary(&sb)
	if !strings.Contains(sb.String(), "1 failed") || !strings.Contains(sb.String(), "p99 ") {
		t.Errorf("summary:\n%s", sb.String())
	}
}

// A service slower than the schedule shows as latency counted from the due
// time: with one slot and 20 ms per answer, requests due every 5 ms queue.
func TestRunCountsQueueing(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		time.Sleep(20 * time.Millisecond)
	}))
	defer srv.Close()
	res, err := Run(context.Background(), Config{RPS: 200, Duration: 200 * time.Millisecond, Concurrency: 1,
		Request: func(ctx context.Context, i int) (*http.Request, error) {
			return http.NewRequestWithContext(ctx, "GET", srv.URL, nil)
		}})
	if err != nil {
		t.Fatal(err)
	}
	// About 10 get sent in 200 ms; the n-th waited about n × 15 ms.
	if res.Sent > 12 || res.Sent < 5 || res.Quantile(1) < time.Duration(res.Sent-1)*10*time.Millisecond {
		t.Errorf("sent %d, max latency %v: queueing not counted", res.Sent, res.Quantile(1))
	}
}

func TestRunRejectsBadConfig(t *testing.T) {
	newReq := func(ctx context.Context, i int) (*http.Request, error) { return nil, nil }
	for _, cfg := range []Config{{RPS: 0, Concurrency: 1, Request: newReq}, {RPS: 1, Concurrency: 0, Request: newReq}, {RPS: 1, Concurrency: 1}} {
		if _, err := Run(context.Background(), cfg); err == nil {
			t.Errorf("Run(%+v) succeeded", cfg)
		}
	}
}
