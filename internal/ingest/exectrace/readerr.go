package exectrace

import (
	"strings"
	"unicode/utf8"
)

// maxReasonLen bounds what a message keeps of x/exp's reason for failing.
const maxReasonLen = 120

// readerError is a failure of x/exp's trace reader told in one line of
// bounded length. For events it cannot put in order, x/exp's message dumps
// its whole state, a line per goroutine and proc (100k lines for a trace
// with 100k goroutines) that says nothing to a user: its first line says
// what went wrong. The full message stays in the wrapped error.
type readerError struct{ err error }

func (e *readerError) Error() string { return oneLine(e.err.Error(), maxReasonLen) }

func (e *readerError) Unwrap() error { return e.err }

// readerFailed wraps a failure of x/exp's reader (not io.EOF).
func readerFailed(err error) error {
	if err == nil {
		return nil
	}
	return &readerError{err}
}

// oneLine is the first line of msg, without x/exp's heading of its state
// dump (": frontier:") and control characters, cut to at most max bytes.
func oneLine(msg string, max int) string {
	msg, _, _ = strings.Cut(msg, "\n")
	msg = strings.TrimSpace(msg)
	msg = strings.TrimSuffix(msg, ":")
	msg = strings.TrimSuffix(msg, ": frontier")
	msg = strings.Map(func(r rune) rune {
		if r < 0x20 || r == 0x7f || (r >= 0x80 && r < 0xa0) {
			return '?'
		}
		return r
	}, msg)
	if len(msg) <= max {
		return msg
	}
	cut := max - len("…")
	for cut > 0 && !utf8.RuneStart(msg[cut]) {
		cut--
	}
	return msg[:cut] + "…"
}
