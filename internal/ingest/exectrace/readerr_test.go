package exectrace

import (
	"errors"
	"strings"
	"testing"
)

// TestReaderErrorOneLine checks that x/exp's message for events it cannot
// order, which dumps a line per goroutine, becomes its first line, and
// that a long reason is cut.
func TestReaderErrorOneLine(t *testing.T) {
	dump := "broken trace: failed to advance: frontier:\n[gen=1]\n\n" + strings.Repeat("M 1 [GoStart time=1 ...]\n", 100_000)
	for _, tc := range []struct{ in, want string }{
		{dump, "broken trace: failed to advance"},
		{"found invalid event type: 99", "found invalid event type: 99"},
		{"bad\x1b[2Jname", "bad?[2Jname"},
		{strings.Repeat("é", 100), strings.Repeat("é", 58) + "…"},
	} {
		err := readerFailed(errors.New(tc.in))
		if got := err.Error(); got != tc.want || len(got) > maxReasonLen {
			t.Errorf("%.40q: got %q, want %q (at most %d bytes)", tc.in, got, tc.want, maxReasonLen)
		}
		if errors.Unwrap(err).Error() != tc.in {
			t.Errorf("%.40q: the full message is not kept", tc.in)
		}
	}
}
