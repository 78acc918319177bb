package model

import (
	"encoding/binary"
	"encoding/json"
	"fmt"
	"math"
	"math/rand/v2"
	"reflect"
	"runtime"
	"slices"
	"strings"
	"testing"
	"time"
)

// randomRequest makes a request with the values that stress the encoding:
// zero and extreme numbers, negative durations, every kind and an unknown
// one, empty, long and repeated types, up to 40 goroutines and 3 stacks.
func randomRequest(rng *rand.Rand) Request {
	kinds := []RequestKind{RequestTask, RequestRegion, RequestLog, RequestInferred, "custom-kind", ""}
	types := []string{"", "GET /api", "POST /upload", "<a&b> \u2028 é", strings.Repeat("long-type/", 200)}
	num := func() int64 {
		switch rng.IntN(8) {
		case 6:
			return rng.Int64N(1<<15) - 1<<14 // one, two and three varint bytes
		case 7:
			return rng.Int64N(1e4) // a few µs
		case 0:
			return 0
		case 1:
			return math.MaxInt64
		case 2:
			return math.MinInt64
		case 3:
			return -rng.Int64N(1e6)
		default:
			return rng.Int64N(1e7)
		}
	}
	u64 := func() uint64 {
		switch rng.IntN(4) {
		case 0:
			return 0
		case 1:
			return math.MaxUint64
		default:
			return rng.Uint64N(1e9)
		}
	}
	r := Request{
		ID: u64(), Type: types[rng.IntN(len(types))], Kind: kinds[rng.IntN(len(kinds))],
		Start: Time(num()), End: Time(num()), Open: rng.IntN(2) == 0, Accounted: rng.IntN(2) == 0,
		GoroutinesTotal: int(num()),
		Running:         time.Duration(num()), Runnable: time.Duration(num()), RunnableDuringMark: time.Duration(num()),
		Blocked: time.Duration(num()), Syscall: time.Duration(num()), Assist: time.Duration(num()), Sweep: time.Duration(num()),
	}
	if rng.IntN(2) == 0 {
		r.Parent = u64()
	}
	if rng.IntN(10) == 0 {
		r.Type = fmt.Sprintf("type-%d", rng.IntN(1000))
	}
	switch rng.IntN(4) {
	case 0: // a span's ids
		for i := range r.TraceID {
			r.TraceID[i] = byte(rng.IntN(256))
		}
		for i := range r.SpanID {
			r.SpanID[i] = byte(rng.IntN(256))
		}
	case 1: // only one of them
		r.SpanID[rng.IntN(len(r.SpanID))] = 0xff
	}
	switch n := rng.IntN(41); {
	case n > 0:
		for range n {
			r.Goroutines = append(r.Goroutines, u64())
		}
	case rng.IntN(2) == 0:
		r.Goroutines = []uint64{} // empty, not nil: At gives nil
	}
	switch n := rng.IntN(4); {
	case n > 0:
		for range n {
			r.PauseStacks = append(r.PauseStacks, PauseStack{PauseStart: Time(num()), Goroutine: u64(), Stack: int(num())})
		}
	case rng.IntN(2) == 0:
		r.PauseStacks = []PauseStack{}
	}
	return r
}

// normalised is r as the naive slice store kept it: empty slices nil.
func normalised(r Request) Request {
	if len(r.Goroutines) == 0 {
		r.Goroutines = nil
	}
	if len(r.PauseStacks) == 0 {
		r.PauseStacks = nil
	}
	return r
}

// TestRequestsMatchSlice checks the compact store against a plain slice:
// every accessor, iteration, Slice and the JSON bytes, over several
// chunks.
func TestRequestsMatchSlice(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	var want []Request
	var s Requests // the zero value
	for range 3*requestChunkSize + 17 {
		r := randomRequest(rng)
		s.Append(r)
		w := r
		w.Goroutines = slices.Clone(r.Goroutines)
		w.PauseStacks = slices.Clone(r.PauseStacks)
		want = append(want, normalised(w))
		// The caller may reuse its slices.
		for i := range r.Goroutines {
			r.Goroutines[i] = 12345
		}
		for i := range r.PauseStacks {
			r.PauseStacks[i].Stack = 12345
		}
	}
	if s.Len() != len(want) {
		t.Fatalf("Len %d, want %d", s.Len(), len(want))
	}
	for i, w := range want {
		if got := s.At(i); !reflect.DeepEqual(got, w) {
			t.Fatalf("At(%d) = %+v, want %+v", i, got, w)
		}
		if s.Start(i) != w.Start || s.End(i) != w.End || s.Duration(i) != w.Duration() || s.Open(i) != w.Open ||
			s.Kind(i) != w.Kind || s.ID(i) != w.ID || s.Parent(i) != w.Parent || s.Type(i) != w.Type {
			t.Fatalf("accessors of %d disagree with %+v", i, w)
		}
	}
	next := 0
	for i, r := range s.All() {
		if i != next || !reflect.DeepEqual(r, want[i]) {
			t.Fatalf("All yielded %d (%+v), want %d", i, r, next)
		}
		next++
	}
	if next != len(want) {
		t.Fatalf("All yielded %d requests, want %d", next, len(want))
	}
	for i := range s.All() {
		if i == 2 {
			break // stopping early must not panic
		}
	}
	if got := s.Slice(); !reflect.DeepEqual(got, want) {
		t.Fatal("Slice differs")
	}
	got, err := s.MarshalJSON()
	if err != nil {
		t.Fatal(err)
	}
	wantJSON, _ := json.Marshal(want)
	if string(got) != string(wantJSON) {
		t.Fatalf("MarshalJSON differs from json.Marshal of the slice")
	}
	if !s.Equal(RequestsOf(want...)) || !RequestsOf(want...).Equal(&s) {
		t.Fatal("Equal is false on the same requests")
	}
	if s.Equal(RequestsOf(want[:len(want)-1]...)) {
		t.Fatal("Equal is true on sets of different lengths")
	}
}

// TestShortVarint checks the fast varint decoding against
// encoding/binary around the one- and two-byte boundaries and at the
// extremes, followed by other bytes or not.
func TestShortVarint(t *testing.T) {
	var us []uint64
	for u := range uint64(1 << 16) {
		us = append(us, u)
	}
	us = append(us, 1<<21-1, 1<<21, math.MaxUint64, math.MaxUint64-1)
	for _, u := range us {
		for _, tail := range [][]byte{nil, {0x80}, {0x01, 0x02}} {
			b := append(binary.AppendUvarint(nil, u), tail...)
			if got, rest := shortUvarint(b); got != u || len(rest) != len(tail) {
				t.Fatalf("shortUvarint(%x) = %d with %d bytes left, want %d", b, got, len(rest), u)
			}
			v := int64(u)
			b = append(binary.AppendVarint(nil, v), tail...)
			if got, rest := shortVarint(b); got != v || len(rest) != len(tail) {
				t.Fatalf("shortVarint(%x) = %d with %d bytes left, want %d", b, got, len(rest), v)
			}
		}
	}
}

// TestRequestsEqualEachField checks that Equal sees a difference in any
// one field of one request.
func TestRequestsEqualEachField(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 8))
	var base []Request
	for range 40 {
		r := randomRequest(rng)
		r.Goroutines = []uint64{1, 2}
		r.PauseStacks = []PauseStack{{PauseStart: 1, Goroutine: 2, Stack: 3}}
		base = append(base, r)
	}
	changes := map[string]func(*Request){
		"ID":                 func(r *Request) { r.ID++ },
		"Parent":             func(r *Request) { r.Parent++ },
		"Type":               func(r *Request) { r.Type += "x" },
		"Kind":               func(r *Request) { r.Kind += "x" },
		"Start":              func(r *Request) { r.Start++ },
		"End":                func(r *Request) { r.End++ },
		"Open":               func(r *Request) { r.Open = !r.Open },
		"Accounted":          func(r *Request) { r.Accounted = !r.Accounted },
		"Goroutines":         func(r *Request) { r.Goroutines = []uint64{1, 3} },
		"GoroutinesTotal":    func(r *Request) { r.GoroutinesTotal++ },
		"Running":            func(r *Request) { r.Running++ },
		"Runnable":           func(r *Request) { r.Runnable++ },
		"RunnableDuringMark": func(r *Request) { r.RunnableDuringMark++ },
		"Blocked":            func(r *Request) { r.Blocked++ },
		"Syscall":            func(r *Request) { r.Syscall++ },
		"Assist":             func(r *Request) { r.Assist++ },
		"Sweep":              func(r *Request) { r.Sweep++ },
		"PauseStacks":        func(r *Request) { r.PauseStacks = []PauseStack{{PauseStart: 1, Goroutine: 2, Stack: 4}} },
		"TraceID":            func(r *Request) { r.TraceID[15]++ },
		"SpanID":             func(r *Request) { r.SpanID[0]++ },
	}
	// sameRequest compares field by field: a new field must be added there
	// and here.
	if n := reflect.TypeFor[Request]().NumField(); n != len(changes) {
		t.Fatalf("Request has %d fields, the test changes %d", n, len(changes))
	}
	s := RequestsOf(base...)
	for name, change := range changes {
		for _, i := range []int{0, 17, len(base) - 1} {
			o := make([]Request, len(base))
			copy(o, base)
			r := o[i]
			r.Goroutines = append([]uint64(nil), r.Goroutines...)
			r.PauseStacks = append([]PauseStack(nil), r.PauseStacks...)
			change(&r)
			o[i] = r
			if s.Equal(RequestsOf(o...)) || RequestsOf(o...).Equal(s) {
				t.Errorf("Equal misses a change of %s in request %d", name, i)
			}
		}
	}
	// Empty and nil slices are the same request.
	a := Request{ID: 1, Goroutines: []uint64{}, PauseStacks: []PauseStack{}}
	if !RequestsOf(a).Equal(RequestsOf(Request{ID: 1})) {
		t.Error("Equal tells empty slices from nil ones")
	}
}

// TestRequestsNil checks that a nil set and the zero value are empty.
func TestRequestsNil(t *testing.T) {
	for _, s := range []*Requests{nil, {}, RequestsOf()} {
		if s.Len() != 0 {
			t.Errorf("Len %d", s.Len())
		}
		for range s.All() {
			t.Error("All yielded a request")
		}
		if got := s.Slice(); got == nil || len(got) != 0 {
			t.Errorf("Slice = %#v, want empty and non-nil", got)
		}
		b, err := s.MarshalJSON()
		if err != nil || string(b) != "[]" {
			t.Errorf("MarshalJSON = %q, %v; want []", b, err)
		}
		if !s.Equal(nil) || !s.Equal(&Requests{}) || s.Equal(RequestsOf(Request{})) {
			t.Error("Equal on empty sets")
		}
	}
	var s *Requests
	if b, err := json.Marshal(struct {
		R *Requests `json:"r"`
	}{s}); err != nil || string(b) != `{"r":null}` {
		t.Errorf("a nil *Requests field marshals as %s, %v", b, err)
	}
}

// TestRequestsAtOutOfRange checks that At panics past the end, as
// indexing the slice did, even inside the last chunk.
func TestRequestsAtOutOfRange(t *testing.T) {
	s := RequestsOf(Request{ID: 1}, Request{ID: 2})
	for _, i := range []int{-1, 2, requestChunkSize} {
		func() {
			defer func() {
				if recover() == nil {
					t.Errorf("At(%d) did not panic", i)
				}
			}()
			s.At(i)
		}()
	}
}

// TestRequestsAtAppend checks that appending to what At returned does not
// change the next request: the slices have no spare capacity.
func TestRequestsAtAppend(t *testing.T) {
	s := RequestsOf(
		Request{ID: 1, Goroutines: []uint64{1, 2}, PauseStacks: []PauseStack{{Goroutine: 1}}},
		Request{ID: 2, Goroutines: []uint64{3, 4}, PauseStacks: []PauseStack{{Goroutine: 3}}},
	)
	r := s.At(0)
	r.Goroutines = append(r.Goroutines, 99)
	r.PauseStacks = append(r.PauseStacks, PauseStack{Goroutine: 99})
	want := Request{ID: 2, Goroutines: []uint64{3, 4}, PauseStacks: []PauseStack{{Goroutine: 3}}}
	if got := s.At(1); !reflect.DeepEqual(got, want) {
		t.Fatalf("At(1) = %+v after appending to At(0), want %+v", got, want)
	}
	if got := s.At(0).Goroutines; len(got) != 2 {
		t.Fatalf("At(0).Goroutines = %v", got)
	}
}

// typicalRequest is a request as a request-dense trace has them: one or
// two goroutines, a common type, a few µs in some states, no stacks.
func typicalRequest(i int, gs []uint64) Request {
	start := Time(i) * 10_000
	gs = append(gs[:0], uint64(1000+i%500))
	if i%2 == 0 {
		gs = append(gs, uint64(2000+i%300))
	}
	return Request{
		ID: uint64(i + 1), Type: "GET /api/items", Kind: RequestTask,
		Start: start, End: start + Time(8_000+i%3000), Accounted: true,
		Goroutines: gs, GoroutinesTotal: len(gs),
		Running: time.Duration(3000 + i%2000), Runnable: time.Duration(1000 + i%1000), Blocked: time.Duration(2000 + i%4000),
	}
}

const benchRequests = 1_000_000

// BenchmarkRequestsAppend appends a million typical requests and reports
// the live heap they take per request (HeapAlloc after a GC, before and
// after), with and without the 8 bytes of each goroutine id.
func BenchmarkRequestsAppend(b *testing.B) {
	var perReq, perReqNoGs float64
	for b.Loop() {
		b.StopTimer()
		runtime.GC()
		var before, after runtime.MemStats
		runtime.ReadMemStats(&before)
		b.StartTimer()
		s := &Requests{}
		var gs []uint64
		goroutines := 0
		for i := range benchRequests {
			r := typicalRequest(i, gs)
			gs = r.Goroutines
			goroutines += len(gs)
			s.Append(r)
		}
		b.StopTimer()
		runtime.GC()
		runtime.ReadMemStats(&after)
		heap := float64(after.HeapAlloc) - float64(before.HeapAlloc)
		perReq = heap / benchRequests
		perReqNoGs = (heap - 8*float64(goroutines)) / benchRequests
		runtime.KeepAlive(s)
		b.StartTimer()
	}
	b.ReportMetric(perReq, "B/request")
	b.ReportMetric(perReqNoGs, "B/request-without-goroutines")
}

// BenchmarkRequestsAt reads a million typical requests back; ns/request is
// the time At takes for one.
func BenchmarkRequestsAt(b *testing.B) {
	s := &Requests{}
	var gs []uint64
	for i := range benchRequests {
		r := typicalRequest(i, gs)
		gs = r.Goroutines
		s.Append(r)
	}
	var sink uint64
	for b.Loop() {
		for i := range benchRequests {
			sink += uint64(s.At(i).Running)
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/benchRequests, "ns/request")
	runtime.KeepAlive(sink)
}

// TestRequestTraceIDsJSON checks that a span's ids marshal as hex and that
// a request without them marshals as it did before they existed.
func TestRequestTraceIDsJSON(t *testing.T) {
	r := Request{ID: 1, Kind: RequestLog}
	b, err := json.Marshal(r)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(b), "trace_id") || strings.Contains(string(b), "span_id") {
		t.Errorf("a request without ids marshals them: %s", b)
	}
	if err := r.TraceID.UnmarshalText([]byte("4bf92f3577b34da6a3ce929d0e0e4736")); err != nil {
		t.Fatal(err)
	}
	if err := r.SpanID.UnmarshalText([]byte("00f067aa0ba902b7")); err != nil {
		t.Fatal(err)
	}
	b, err = json.Marshal(RequestsOf(r))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(b), `"trace_id":"4bf92f3577b34da6a3ce929d0e0e4736","span_id":"00f067aa0ba902b7"`) {
		t.Errorf("ids not marshalled as hex: %s", b)
	}
	for _, bad := range []string{"", "4bf92f", "zz f92f3577b34da6a3ce929d0e0e4736", "4bf92f3577b34da6a3ce929d0e0e47361"} {
		var id TraceID
		if id.UnmarshalText([]byte(bad)) == nil {
			t.Errorf("trace id %q accepted", bad)
		}
	}
}

// TestRequestsWideColumns checks IDs and durations on either side of what
// the 32-bit columns hold, with and without a parent before them in the
// blob.
func TestRequestsWideColumns(t *testing.T) {
	var want []Request
	for _, id := range []uint64{0, math.MaxUint32 - 1, math.MaxUint32, math.MaxUint32 + 1, math.MaxUint64} {
		for _, d := range []int64{0, math.MaxUint32 - 1, math.MaxUint32, math.MaxUint32 + 1, -1, math.MaxInt64} {
			for _, parent := range []uint64{0, 7} {
				start := Time(1000)
				if d == math.MaxInt64 {
					start = -5 // the end wraps
				}
				want = append(want, Request{ID: id, Parent: parent, Start: start, End: start + Time(d), Goroutines: []uint64{uint64(d)}})
			}
		}
	}
	s := RequestsOf(want...)
	for i, w := range want {
		if got := s.At(i); !reflect.DeepEqual(got, w) {
			t.Errorf("At(%d) = %+v, want %+v", i, got, w)
		}
		if s.ID(i) != w.ID || s.End(i) != w.End || s.Duration(i) != w.Duration() || s.Parent(i) != w.Parent {
			t.Errorf("accessors of %d: ID %d End %d Duration %d Parent %d, want %+v", i, s.ID(i), s.End(i), s.Duration(i), s.Parent(i), w)
		}
	}
}
