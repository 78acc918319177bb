package ingest

import (
	"bytes"
	"encoding/binary"
)

// Wire types of protocol buffers.
const (
	wireVarint = 0
	wireLen    = 2
)

// profileFieldWire is the wire type of each field of pprof's Profile
// message (profile.proto), by field number.
var profileFieldWire = map[uint64][]int{
	1: {wireLen}, 2: {wireLen}, 3: {wireLen}, 4: {wireLen}, 5: {wireLen}, 6: {wireLen}, // sample_type … string_table
	7: {wireVarint}, 8: {wireVarint}, 9: {wireVarint}, 10: {wireVarint}, // drop/keep frames, time, duration
	11: {wireLen}, 12: {wireVarint}, 13: {wireVarint, wireLen}, 14: {wireVarint}, // period_type, period, comment, default_sample_type
}

// looksLikeProfile reports whether prefix (already decompressed) starts like
// a pprof profile: a run of protobuf fields that are all fields of the
// Profile message with their proper wire types. Legacy text heap profiles
// are recognised by their header line.
func looksLikeProfile(prefix []byte) bool {
	if bytes.HasPrefix(prefix, []byte("heap profile:")) || bytes.HasPrefix(prefix, []byte("--- heapz")) {
		return true
	}
	fields := 0
	for len(prefix) > 0 && fields < 8 {
		tag, n := binary.Uvarint(prefix)
		if n <= 0 {
			return false
		}
		prefix = prefix[n:]
		field, wire := tag>>3, int(tag&7)
		want, ok := profileFieldWire[field]
		if !ok || !contains(want, wire) {
			return false
		}
		switch wire {
		case wireVarint:
			_, n = binary.Uvarint(prefix)
			if n <= 0 {
				return fields >= 2 && len(prefix) < binary.MaxVarintLen64
			}
			prefix = prefix[n:]
		case wireLen:
			l, n := binary.Uvarint(prefix)
			if n <= 0 {
				return false
			}
			prefix = prefix[n:]
			if l > uint64(len(prefix)) {
				return fields >= 2 // a long field running past what we looked at
			}
			prefix = prefix[l:]
		}
		fields++
	}
	return fields >= 2
}

func contains(list []int, v int) bool {
	for _, x := range list {
		if x == v {
			return true
		}
	}
	return false
}
