package report

import (
	"bytes"
	"fmt"
	"html/template"
	"io"
	"strings"
	"unicode/utf8"
)

// Strings read from the inputs — task and region names, file names, the
// reasons and messages a trace or log carries — are not trusted: an ESC
// in a task name would reach a terminal as a command, a newline would let
// it forge a line of the report, a bidi override would reverse what a page
// shows. Each medium has one function here that makes such a string safe
// for it: TerminalText for the text report and standard error,
// MarkdownText for Markdown, WriteHTML for a whole HTML page.

// hidden reports whether r is a character a terminal or a page acts upon
// instead of showing: C0 controls, DEL, C1 controls, the Unicode bidi
// controls (marks, embeddings, overrides, isolates) and the line and
// paragraph separators.
func hidden(r rune) bool {
	switch {
	case r < 0x20, r >= 0x7f && r <= 0x9f:
		return true
	case r == 0x061c, r == 0x200e, r == 0x200f: // bidi marks
		return true
	case r >= 0x202a && r <= 0x202e, r >= 0x2066 && r <= 0x2069: // embeddings, overrides, isolates
		return true
	case r == 0x2028, r == 0x2029:
		return true
	}
	return false
}

// clean reports whether s needs nothing done: valid UTF-8 with no hidden
// character.
func clean(s string) bool {
	for i, r := range s {
		if hidden(r) || r == utf8.RuneError && isInvalid(s[i:]) {
			return false
		}
	}
	return true
}

// isInvalid reports whether s starts with a byte that is not UTF-8 (as
// opposed to a real U+FFFD).
func isInvalid(s string) bool {
	r, n := utf8.DecodeRuneInString(s)
	return r == utf8.RuneError && n == 1
}

// TerminalText escapes an input-derived string for a terminal, Go-style:
// hidden characters as \n, \t, \x1b or \u202e, bytes that are not UTF-8
// as \xff. What remains prints as one line of visible characters, so
// that tables measured on it line up.
func TerminalText(s string) string {
	if clean(s) {
		return s
	}
	var b strings.Builder
	for i, r := range s {
		switch {
		case r == utf8.RuneError && isInvalid(s[i:]):
			fmt.Fprintf(&b, `\x%02x`, s[i])
		case r == '\n':
			b.WriteString(`\n`)
		case r == '\r':
			b.WriteString(`\r`)
		case r == '\t':
			b.WriteString(`\t`)
		case r < 0x80 && hidden(r):
			fmt.Fprintf(&b, `\x%02x`, r)
		case hidden(r):
			fmt.Fprintf(&b, `\u%04x`, r)
		default:
			b.WriteRune(r)
		}
	}
	return b.String()
}

// TerminalLines is TerminalText for each string.
func TerminalLines(list []string) []string {
	out := make([]string, len(list))
	for i, s := range list {
		out[i] = TerminalText(s)
	}
	return out
}

// visible drops the hidden characters of s, turning line breaks and tabs
// into spaces, and replaces bytes that are not UTF-8 with U+FFFD. keep
// lists hidden characters left as they are.
func visible(s, keep string) string {
	if clean(s) {
		return s
	}
	var b strings.Builder
	for i, r := range s {
		switch {
		case r == utf8.RuneError && isInvalid(s[i:]):
			b.WriteRune(utf8.RuneError)
		case strings.ContainsRune(keep, r):
			b.WriteRune(r)
		case r == '\n', r == '\r', r == '\t', r == 0x2028, r == 0x2029:
			b.WriteByte(' ')
		case hidden(r):
		default:
			b.WriteRune(r)
		}
	}
	return b.String()
}

// mdEscape keeps input-derived text from being read as Markdown or HTML,
// and a table cell from ending early.
var mdEscape = strings.NewReplacer(
	`\`, `\\`, "|", `\|`, "*", `\*`, "_", `\_`, "`", "\\`", "[", `\[`, "]", `\]`,
	"<", "&lt;", ">", "&gt;", "&", "&amp;",
)

func md(s string) string { return mdEscape.Replace(visible(s, "")) }

// MarkdownText makes input-derived text safe for a Markdown report, as a
// paragraph or a table cell: hidden characters removed, line breaks made
// spaces, markup escaped. The fleet report uses it too.
func MarkdownText(s string) string { return md(s) }

// WriteHTML executes a page template into w, with the hidden characters
// of the result removed (line breaks and tabs kept). html/template escapes
// markup by context but lets control and bidi characters through; our own
// templates have none besides line breaks, so what is removed came from
// an input.
func WriteHTML(w io.Writer, t *template.Template, data any) error {
	var b bytes.Buffer
	if err := t.Execute(&b, data); err != nil {
		return err
	}
	_, err := io.WriteString(w, visible(b.String(), "\n\t"))
	return err
}
