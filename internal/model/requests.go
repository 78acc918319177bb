package model

import (
	"encoding/json"
	"iter"
	"reflect"
	"time"
)

// Requests is a run's requests, in the order they were added. The zero
// value is empty and ready to use; a nil *Requests is empty too.
//
// A request-dense trace holds millions of requests, so a run does not keep
// them as Request values; At decodes one. The accessors Start, End,
// Duration, Open, Kind, ID, Parent and Type read one field without
// decoding the rest, for loops over every request.
type Requests struct {
	rs []Request
}

// RequestsOf returns a set holding rs, in order.
func RequestsOf(rs ...Request) *Requests {
	s := &Requests{}
	for _, r := range rs {
		s.Append(r)
	}
	return s
}

// Len is the number of requests.
func (s *Requests) Len() int {
	if s == nil {
		return 0
	}
	return len(s.rs)
}

// Append adds r at the end. Its slices are copied.
func (s *Requests) Append(r Request) {
	r.Goroutines = append([]uint64(nil), r.Goroutines...)
	r.PauseStacks = append([]PauseStack(nil), r.PauseStacks...)
	if len(r.Goroutines) == 0 {
		r.Goroutines = nil
	}
	if len(r.PauseStacks) == 0 {
		r.PauseStacks = nil
	}
	s.rs = append(s.rs, r)
}

// At returns the i-th request. Its slices share the set's memory: do not
// modify them.
func (s *Requests) At(i int) Request { return s.rs[i] }

// Start is At(i).Start.
func (s *Requests) Start(i int) Time { return s.rs[i].Start }

// End is At(i).End.
func (s *Requests) End(i int) Time { return s.rs[i].End }

// Duration is At(i).Duration().
func (s *Requests) Duration(i int) time.Duration { return s.rs[i].Duration() }

// Open is At(i).Open.
func (s *Requests) Open(i int) bool { return s.rs[i].Open }

// Kind is At(i).Kind.
func (s *Requests) Kind(i int) RequestKind { return s.rs[i].Kind }

// ID is At(i).ID.
func (s *Requests) ID(i int) uint64 { return s.rs[i].ID }

// Parent is At(i).Parent.
func (s *Requests) Parent(i int) uint64 { return s.rs[i].Parent }

// Type is At(i).Type.
func (s *Requests) Type(i int) string { return s.rs[i].Type }

// All yields every request with its index, in order.
func (s *Requests) All() iter.Seq2[int, Request] {
	return func(yield func(int, Request) bool) {
		for i := range s.Len() {
			if !yield(i, s.At(i)) {
				return
			}
		}
	}
}

// Slice returns every request as a new slice.
func (s *Requests) Slice() []Request {
	out := make([]Request, 0, s.Len())
	for _, r := range s.All() {
		out = append(out, r)
	}
	return out
}

// MarshalJSON writes the requests as a JSON array of Request.
func (s *Requests) MarshalJSON() ([]byte, error) { return json.Marshal(s.Slice()) }

// Equal reports whether s and o hold the same requests in the same order
// (go-cmp uses it).
func (s *Requests) Equal(o *Requests) bool {
	if s.Len() != o.Len() {
		return false
	}
	for i := range s.Len() {
		if !reflect.DeepEqual(s.At(i), o.At(i)) {
			return false
		}
	}
	return true
}
