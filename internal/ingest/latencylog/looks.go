package latencylog

import "bytes"

// looksLines is how many lines of a prefix LooksLike reads: enough to pass
// a few lines of other output before the first request.
const looksLines = 64

// LooksLike reports whether prefix, the first bytes of a text stream, is
// a latency log: some line among the first few is a request that Parse
// reads (a JSON object with a start and a duration, or a row under a CSV
// header naming them). A header alone is not enough, so that text that
// merely has commas is not taken for a log.
func LooksLike(prefix []byte) bool {
	p := newParser("prefix", &Options{})
	for n := 1; n <= looksLines && len(prefix) > 0; n++ {
		line := prefix
		if i := bytes.IndexByte(prefix, '\n'); i >= 0 {
			line, prefix = prefix[:i], prefix[i+1:]
		} else {
			// A cut last line: a cut JSON object is invalid, and a cut
			// CSV row counts only under a header that already matched.
			prefix = nil
		}
		if len(line) > defaultMaxLine {
			return false
		}
		p.line(n, trimEOL(line), false)
		if p.log.Stats.Parsed > 0 {
			return true
		}
	}
	return false
}
