package gctrace

import "bytes"

// Recognisers for the other runtime debug lines that share stderr with gc
// records. Like gc records they are found anywhere in a line, because the
// runtime may print them into the middle of an application line, but each
// needs a shape check after its keyword so that ordinary prose mentioning
// the word does not count.

var (
	scWord     = []byte("sc")
	kibWord    = []byte(" KiB ")
	mbGoalWord = []byte("MB goal, ")

	pacerWord    = []byte("pacer: ")
	schedWord    = []byte("SCHED ")
	gcForcedWord = []byte("GC forced")
)

// isRuntimeDebugLine reports whether line holds another runtime debug
// line: scavenger (scvg, scav), pacer, schedtrace, "GC forced" or a
// gctrace=2 scan summary.
func isRuntimeDebugLine(line []byte) bool {
	return hasScLine(line) ||
		hasKeyword(line, pacerWord, nil) ||
		hasKeyword(line, schedWord, schedRest) ||
		hasKeyword(line, gcForcedWord, atContentEnd)
}

// hasKeyword reports whether kw occurs in line followed by text that rest
// accepts (any text when rest is nil).
func hasKeyword(line, kw []byte, rest func([]byte) bool) bool {
	for off := 0; ; {
		i := bytes.Index(line[off:], kw)
		if i < 0 {
			return false
		}
		after := line[off+i+len(kw):]
		if rest == nil || rest(after) {
			return true
		}
		off += i + 1
	}
}

// hasScLine finds the lines that begin "sc": the Go ≤1.12 gctrace
// scavenger ("scvg3: inuse: ...", "scvg3: 5 MB released"), the Go 1.13+
// scavtrace ("scav 12 KiB work, ...") and gctrace=2 ("scan: total ...").
// One search serves all three.
func hasScLine(line []byte) bool {
	for off := 0; ; {
		i := bytes.Index(line[off:], scWord)
		if i < 0 {
			return false
		}
		rest := line[off+i+2:]
		switch {
		case len(rest) >= 3 && string(rest[:2]) == "vg" && isDigit(rest[2]):
			return true
		case len(rest) >= 4 && string(rest[:3]) == "av " && isDigit(rest[3]) &&
			bytes.Contains(rest, kibWord):
			return true
		case len(rest) >= 4 && string(rest[:4]) == "an: ":
			return true
		}
		off += i + 1
	}
}

// schedRest accepts what follows "SCHED " in a schedtrace line: "123ms: ".
func schedRest(rest []byte) bool {
	j := 0
	for j < len(rest) && isDigit(rest[j]) {
		j++
	}
	return j > 0 && bytes.HasPrefix(rest[j:], []byte("ms: "))
}

// atContentEnd reports whether rest holds nothing more of the line's
// content: the line ends there, or a JSON string closes ("\n" escaped as
// two characters, or the closing quote).
func atContentEnd(rest []byte) bool {
	if len(rest) == 0 || rest[0] == '\n' || rest[0] == '\r' || rest[0] == '"' {
		return true
	}
	return len(rest) >= 2 && rest[0] == '\\' && (rest[1] == 'n' || rest[1] == 'r')
}

// isGCFragment reports whether a line without a gc record start holds the
// middle or end of one: what is left on the next line when application
// output cut a record in two. Every rest of a record cut before its goal
// holds "MB goal, "; one cut later is too short to tell from prose. One
// search, starting with an uncommon byte, keeps this cheap for the
// application lines that every line without a record is checked as.
func isGCFragment(line []byte) bool {
	return bytes.Contains(line, mbGoalWord)
}

// isBlank reports whether line holds only white space.
func isBlank(line []byte) bool {
	for _, c := range line {
		if c != ' ' && c != '\t' && c != '\r' && c != '\n' {
			return false
		}
	}
	return true
}
