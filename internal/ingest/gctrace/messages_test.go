package gctrace

import (
	"strings"
	"testing"
)

// TestNumberOutOfRange checks that a gc line whose numbers are all there
// but too large says so, with its line, instead of calling it cut short.
func TestNumberOutOfRange(t *testing.T) {
	good := gcLine(1, 10, 2, false)
	for _, tc := range []struct{ name, line, number string }{
		{"gc number", strings.Replace(gcLine(2, 20, 2, false), "gc 2 @", "gc 99999999999 @", 1), "99999999999"},
		{"start", strings.Replace(gcLine(2, 20, 2, false), "@0.020s", "@99999999999999.020s", 1), "99999999999999"},
		{"clock", strings.Replace(gcLine(2, 20, 2, false), "0.050+1.0", "0.050+99999999999999999", 1), "99999999999999999"},
		{"heap", strings.Replace(gcLine(2, 20, 2, false), "4->5->2 MB", "4->99999999999999999->2 MB", 1), "99999999999999999"},
		{"procs", strings.Replace(gcLine(2, 20, 2, false), " 2 P", " 99999999999 P", 1), "99999999999"},
		{"too many digits", strings.Replace(gcLine(2, 20, 2, false), "5 MB goal", "1234567890123456789012 MB goal", 1), "1234567890123456789012"},
	} {
		r, err := Parse(strings.NewReader(good+"\n"+tc.line+"\n"), "app.log")
		if err != nil {
			t.Fatal(err)
		}
		msg := strings.Join(r.Warnings, "\n")
		if !strings.Contains(msg, "app.log:2: number out of range in gc line: "+tc.number) || strings.Contains(msg, "cut short") {
			t.Errorf("%s: warnings %q", tc.name, r.Warnings)
		}
	}
}
