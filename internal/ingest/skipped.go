package ingest

import (
	"fmt"
	"strings"
)

// skipReason is why something found in a folder was skipped.
type skipReason int

const (
	skipNotInput skipReason = iota
	skipUnusable
	skipUnreadable
	skipUnreadableFolder
)

func (r skipReason) count(n int) string {
	one, many := "", ""
	switch r {
	case skipNotInput:
		one, many = "not a trace or log", "not traces or logs"
	case skipUnusable:
		one, many = "unusable input", "unusable inputs"
	case skipUnreadable:
		one, many = "unreadable file", "unreadable files"
	case skipUnreadableFolder:
		one, many = "unreadable folder", "unreadable folders"
	}
	if n == 1 {
		return "1 " + one
	}
	return fmt.Sprintf("%d %s", n, many)
}

// skipExamples is how many skipped files are named one by one.
const skipExamples = 3

// skipped tallies what a folder held that could not be used, so that a
// folder of thousands of strangers costs a few notes, not one per file.
type skipped struct {
	n        int
	byReason map[skipReason]int
	reasons  []skipReason // in the order first met
	examples []string
}

func (s *skipped) add(reason skipReason, msg string) {
	if s.byReason == nil {
		s.byReason = map[skipReason]int{}
	}
	if s.byReason[reason] == 0 {
		s.reasons = append(s.reasons, reason)
	}
	s.byReason[reason]++
	s.n++
	if len(s.examples) < skipExamples {
		s.examples = append(s.examples, msg)
	}
}

// notes says what was skipped in dir: each one when there are a few,
// else how many for each reason, then the first few.
func (s *skipped) notes(dir string) []string {
	var out []string
	if s.n > skipExamples {
		var counts []string
		for _, r := range s.reasons {
			counts = append(counts, r.count(s.byReason[r]))
		}
		out = append(out, fmt.Sprintf("%d skipped in %s: %s; the first %d follow", s.n, dir, strings.Join(counts, ", "), len(s.examples)))
	}
	for _, e := range s.examples {
		out = append(out, "skipped "+e)
	}
	return out
}
