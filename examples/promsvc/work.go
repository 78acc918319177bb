package main

import (
	"context"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// node is one object of the live heap or of a request's garbage: a
// pointer to follow (so that marking has work to do) and a payload.
type node struct {
	next    *node
	payload [48]byte
}

const nodeSize = 64 // bytes, with the pointer

// service holds the live heap and the latency histogram.
type service struct {
	p       profile
	live    []*node // chains of 1024 nodes
	latency prometheus.Histogram

	mu     sync.Mutex // one request at a time: /work and the offered load
	served uint64
}

func newService(p profile) *service {
	s := &service{p: p, latency: registerMetrics()}
	const chain = 1024
	for n := 0; n < p.liveBytes/nodeSize; n += chain {
		var head *node
		for range chain {
			head = &node{next: head}
		}
		s.live = append(s.live, head)
	}
	return s
}

// sink keeps the compiler from dropping a request's garbage.
var sink *node

// handle is one request: build a chain of garbage the size of the
// profile's, touch one chain of the live heap, and return a checksum.
func (s *service) handle() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	var head *node
	for range s.p.garbageBytes / nodeSize {
		head = &node{next: head}
		head.payload[0] = byte(s.served)
	}
	sink = head
	s.served++
	sum := 0
	if len(s.live) > 0 {
		for n := s.live[int(s.served)%len(s.live)]; n != nil; n = n.next {
			sum += int(n.payload[0])
		}
	}
	return sum
}

// offerLoad runs rps requests a second, each timed from when it was due,
// so that a request held up by the GC counts its wait (open loop, one
// request at a time as a single worker serves them).
func (s *service) offerLoad(ctx context.Context, rps float64) {
	if rps == 0 {
		return
	}
	interval := time.Duration(float64(time.Second) / rps)
	due := time.Now()
	for {
		due = due.Add(interval)
		if wait := time.Until(due); wait > 0 {
			select {
			case <-ctx.Done():
				return
			case <-time.After(wait):
			}
		} else if ctx.Err() != nil {
			return
		}
		s.handle()
		s.latency.Observe(time.Since(due).Seconds())
	}
}
