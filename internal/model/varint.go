package model

import "encoding/binary"

// uvarint and varint decode what Regions and Requests encoded; the
// encoding is ours, so a short buffer is a bug, not bad input.
func uvarint(b []byte) (uint64, []byte) {
	v, n := binary.Uvarint(b)
	if n <= 0 {
		panic("model: corrupt compact encoding (a bug in Regions or Requests)")
	}
	return v, b[n:]
}

func varint(b []byte) (int64, []byte) {
	v, n := binary.Varint(b)
	if n <= 0 {
		panic("model: corrupt compact encoding (a bug in Regions or Requests)")
	}
	return v, b[n:]
}
