package report_test

import (
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/gcwatch/gcwatch/internal/fleet"
	"github.com/gcwatch/gcwatch/internal/report"
)

// controlName is a service name (a capture folder's name, or a manifest's)
// with a clear-screen, a line break forging a report line, a tab and a
// pipe, a byte that is not UTF-8 and a right-to-left override.
const controlName = "svc\x1b[2J\x07\x00|x\tb\r\nnote: forged \xff\u202eevil"

func controlFleet() *fleet.Document {
	doc := hostileFleet()
	doc.Services[1].Name = controlName
	v := *doc.Services[1].Verdict
	v.Summary = "summary " + controlName
	doc.Services[1].Verdict = &v
	doc.Services[1].Reasons = append(doc.Services[1].Reasons, "reason "+controlName)
	doc.Notes = append(doc.Notes, "note "+controlName)
	return doc
}

// controlIn returns the first control, bidi control or non-UTF-8 byte in
// out other than those in allowed, or "".
func controlIn(out, allowed string) string {
	for i, r := range out {
		switch {
		case strings.ContainsRune(allowed, r):
		case r == utf8.RuneError && !strings.HasPrefix(out[i:], "\uFFFD"):
			return out[i : i+1]
		case r < 0x20, r >= 0x7f && r <= 0x9f, r >= 0x202a && r <= 0x202e, r >= 0x2066 && r <= 0x2069:
			return string(r)
		}
	}
	return ""
}

func TestFleetControlCharacters(t *testing.T) {
	for _, tc := range []struct {
		format, allowed string
		monitoring      bool
	}{
		{"text", "\n", false},
		{"text", "\n", true},
		{"markdown", "\n", false},
		{"html", "\n\t", false},
	} {
		doc := controlFleet()
		if tc.monitoring {
			doc.Source = fleet.SourcePrometheus
		}
		out := render(t, doc, tc.format, report.Options{Figures: fleetFigures(t, doc)})
		if c := controlIn(out, tc.allowed); c != "" {
			t.Errorf("%s (monitoring %v): the report holds %q", tc.format, tc.monitoring, c)
		}
		for _, line := range strings.Split(out, "\n") {
			if tc.format != "html" && strings.HasPrefix(line, "note: forged") {
				t.Errorf("%s (monitoring %v): an input forged a line: %q", tc.format, tc.monitoring, line)
			}
		}
		if tc.format == "markdown" {
			// The ranked table: each row as many cells as the header.
			var want int
			for i, line := range strings.Split(out, "\n") {
				if !strings.HasPrefix(line, "|") {
					continue
				}
				n := strings.Count(strings.ReplaceAll(line, `\|`, ""), "|")
				if i == 4 {
					want = n
				} else if n != want {
					t.Errorf("markdown row has %d pipes, the header %d: %q", n, want, line)
				}
			}
		}
	}
}
