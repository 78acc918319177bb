package model

// interned numbers distinct values in the order they were first seen, for
// the compact stores, which keep an index where a value repeats on many
// records (a request's type and kind, a region's type). Consecutive
// records often share one, so the value asked for last is checked before
// the map. The zero value is empty and ready to use.
type interned[K comparable] struct {
	values []K
	index  map[K]uint32
	last   uint32 // the index returned last
}

// of returns v's index, numbering it if it is new.
func (in *interned[K]) of(v K) uint32 {
	if int(in.last) < len(in.values) && in.values[in.last] == v {
		return in.last
	}
	i, ok := in.index[v]
	if !ok {
		if in.index == nil {
			in.index = map[K]uint32{}
		}
		i = uint32(len(in.values))
		in.values = append(in.values, v)
		in.index[v] = i
	}
	in.last = i
	return i
}
