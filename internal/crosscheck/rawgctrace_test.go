package crosscheck

import (
	"bufio"
	"os"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"
)

// The reference reading of a gctrace log: one regular expression per line,
// unanchored, for the fields the cross-checks use.
var gcLine = regexp.MustCompile(`gc (\d+) @(\d+\.\d+)s \d+%: ([0-9.]+)\+([0-9.]+)\+([0-9.]+) ms clock, .* (\d+) P( \(forced\))?`)

type rawGC struct {
	n                                 int
	at                                time.Duration // "@T": since runtime init
	sweepTerm, mark, markTerm         time.Duration
	sweepText, markText, markTermText string // as printed, for the precision they carry
	procs                             int
	forced                            bool
	line                              int
}

func readRawGCTrace(t *testing.T, path string) []rawGC {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var out []rawGC
	sc := bufio.NewScanner(f)
	sc.Buffer(nil, 1<<20)
	for line := 1; sc.Scan(); line++ {
		m := gcLine.FindStringSubmatch(sc.Text())
		if m == nil {
			continue
		}
		g := rawGC{line: line, sweepText: m[3], markText: m[4], markTermText: m[5], forced: m[7] != ""}
		g.n, _ = strconv.Atoi(m[1])
		g.procs, _ = strconv.Atoi(m[6])
		g.at = seconds(t, m[2])
		g.sweepTerm, g.mark, g.markTerm = millis(t, m[3]), millis(t, m[4]), millis(t, m[5])
		out = append(out, g)
	}
	if err := sc.Err(); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	return out
}

// millis converts a decimal number of milliseconds to a duration exactly
// (the runtime prints at most three decimals, so the result is a whole
// number of microseconds).
func millis(t *testing.T, s string) time.Duration {
	return decimal(t, s, time.Millisecond)
}

func seconds(t *testing.T, s string) time.Duration {
	return decimal(t, s, time.Second)
}

func decimal(t *testing.T, s string, unit time.Duration) time.Duration {
	t.Helper()
	whole, frac, _ := strings.Cut(s, ".")
	w, err := strconv.ParseInt(whole, 10, 64)
	if err != nil {
		t.Fatalf("bad number %q", s)
	}
	d := time.Duration(w) * unit
	scale := unit
	for _, c := range frac {
		scale /= 10
		d += time.Duration(c-'0') * scale
	}
	return d
}

// printedStep is the resolution of a duration the runtime printed as text:
// below 10 ms it prints two significant digits (at most three decimals),
// truncating; from 10 ms on whole milliseconds. So the true value lies in
// [printed, printed+step).
func printedStep(text string) time.Duration {
	whole, frac, _ := strings.Cut(text, ".")
	if frac == "" {
		if whole == "0" {
			return time.Microsecond // "0": less than a microsecond
		}
		return time.Millisecond
	}
	step := time.Millisecond
	for range frac {
		step /= 10
	}
	return step
}

func TestPrintedStep(t *testing.T) {
	for text, want := range map[string]time.Duration{
		"0": time.Microsecond, "0.007": time.Microsecond, "0.46": 10 * time.Microsecond,
		"8.4": 100 * time.Microsecond, "19": time.Millisecond, "355": time.Millisecond,
	} {
		if got := printedStep(text); got != want {
			t.Errorf("printedStep(%q) = %v, want %v", text, got, want)
		}
	}
	if got := millis(t, "0.046"); got != 46*time.Microsecond {
		t.Errorf("millis(0.046) = %v", got)
	}
	if got := seconds(t, "4.813"); got != 4813*time.Millisecond {
		t.Errorf("seconds(4.813) = %v", got)
	}
}

// TestRawGCTraceSanity checks the reference reader against the recordings'
// own facts: numbering from 1 without gaps, and as many lines as "gc "
// appears at a line start.
func TestRawGCTraceSanity(t *testing.T) {
	for _, s := range scenarios(t) {
		t.Run(s.Name, func(t *testing.T) {
			gcs := readRawGCTrace(t, s.path("gctrace.log"))
			b, err := os.ReadFile(s.path("gctrace.log"))
			if err != nil {
				t.Fatal(err)
			}
			if n := strings.Count("\n"+string(b), "\ngc "); n != len(gcs) {
				t.Errorf("%d lines start with \"gc \", the regexp matched %d", n, len(gcs))
			}
			for i, g := range gcs {
				if g.n != i+1 {
					t.Fatalf("line %d: gc %d, want gc %d", g.line, g.n, i+1)
				}
			}
			if len(gcs) < s.Summary.After {
				t.Errorf("%d gc lines, but the program saw %d cycles", len(gcs), s.Summary.After)
			}
		})
	}
}
