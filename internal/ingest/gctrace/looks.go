package gctrace

import "bytes"

// LooksLike reports whether prefix, the first bytes of a text stream,
// holds at least one complete gc record, for input detection by content.
// A record cut by the end of prefix does not count.
func LooksLike(prefix []byte) bool {
	for i := 0; i < len(prefix); {
		j := bytes.Index(prefix[i:], gcWord)
		if j < 0 {
			return false
		}
		k := i + j
		if startKind(prefix[k:]) != startGC {
			i = k + 1
			continue
		}
		_, _, p, ok := parseRecord(prefix[k:])
		if ok || p.timesRead {
			return true // a record cut after its cpu fields is a cycle too
		}
		// Resume where Parse would, so both find the same records.
		i = k + max(p.i, 1)
	}
	return false
}
