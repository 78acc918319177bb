package latencylog

import (
	"bytes"
	"errors"
	"fmt"
	"strings"
)

// CSV lines are split here rather than by encoding/csv: a request log
// never has a newline inside a field, and reading one line at a time is
// what lets a bad line be reported by its number and skipped, and a line
// of any length be read in bounded memory.

// csvDelimiters are the separators we recognise, in order of preference
// when a header has as many of one as of another.
var csvDelimiters = [...]byte{',', '\t', ';', '|'}

// csvHeader is the column layout read from a header line.
type csvHeader struct {
	line    []byte // the header line, to skip repeats of it
	delim   byte
	columns []string // names as written
	// column per role, -1 when absent; info is the column name's meaning.
	column [numRoles]int
	info   [numRoles]fieldName
}

// readHeader reads line as a CSV header. It fails, saying what is
// missing, unless some column is a start and some a duration or end.
func (p *parser) readHeader(line []byte) (*csvHeader, error) {
	h := &csvHeader{line: bytes.Clone(line), delim: guessDelimiter(line)}
	cells, err := splitCSV(line, h.delim, nil)
	if err != nil {
		return nil, err
	}
	for r := range h.column {
		h.column[r] = -1
	}
	for i, c := range cells {
		h.columns = append(h.columns, c)
		info, ok := p.fs.names[string(normalise(p.norm, []byte(c)))]
		if !ok {
			continue
		}
		if h.column[info.role] < 0 || info.rank < h.info[info.role].rank {
			h.column[info.role], h.info[info.role] = i, info
		}
	}
	if h.column[roleStart] < 0 || h.column[roleDuration] < 0 && h.column[roleEnd] < 0 {
		return nil, fmt.Errorf("not a CSV header naming a start column and a duration or end column (columns: %s)",
			quoteShort(strings.Join(h.columns, ", ")))
	}
	return h, nil
}

// guessDelimiter picks the separator that occurs most often outside
// quotes.
func guessDelimiter(line []byte) byte {
	var counts [len(csvDelimiters)]int
	quoted := false
	for _, c := range line {
		if c == '"' {
			quoted = !quoted
			continue
		}
		if quoted {
			continue
		}
		if i := bytes.IndexByte(csvDelimiters[:], c); i >= 0 {
			counts[i]++
		}
	}
	best := 0
	for i, n := range counts {
		if n > counts[best] {
			best = i
		}
	}
	return csvDelimiters[best]
}

// csvFields fills f from a data row.
func (p *parser) csvFields(line []byte, f *fields) error {
	var err error
	p.cells, err = splitCSV(line, p.header.delim, p.cells[:0])
	if err != nil {
		return err
	}
	for r, c := range p.header.column {
		if c < 0 || c >= len(p.cells) || p.cells[c] == "" {
			continue
		}
		f.offer(p.header.info[r], []byte(p.header.columns[c]), []byte(p.cells[c]), false)
	}
	return nil
}

var errUnterminated = errors.New("unterminated quoted field")

// splitCSV splits a line into cells, appending them to dst. A cell may be
// quoted ("a, ""b"""), spaces around a cell are dropped.
func splitCSV(line []byte, delim byte, dst []string) ([]string, error) {
	i := 0
	for {
		for i < len(line) && (line[i] == ' ' || line[i] == '\t') && line[i] != delim {
			i++
		}
		if i < len(line) && line[i] == '"' {
			cell, next, err := quotedCell(line, i, delim)
			if err != nil {
				return dst, err
			}
			dst = append(dst, cell)
			i = next
		} else {
			j := bytes.IndexByte(line[i:], delim)
			if j < 0 {
				j = len(line) - i
			}
			dst = append(dst, string(bytes.TrimSpace(line[i:i+j])))
			i += j
		}
		if i >= len(line) {
			return dst, nil
		}
		i++ // the delimiter
	}
}

// quotedCell reads the quoted cell at line[i] and returns it and the index
// of the delimiter (or end of line) after it.
func quotedCell(line []byte, i int, delim byte) (string, int, error) {
	var b strings.Builder
	j := i + 1
	for {
		k := bytes.IndexByte(line[j:], '"')
		if k < 0 {
			return "", 0, errUnterminated
		}
		b.Write(line[j : j+k])
		j += k + 1
		if j < len(line) && line[j] == '"' {
			b.WriteByte('"')
			j++
			continue
		}
		break
	}
	for j < len(line) && (line[j] == ' ' || line[j] == '\t') && line[j] != delim {
		j++
	}
	if j < len(line) && line[j] != delim {
		return "", 0, fmt.Errorf("text after the closing quote of a field at byte %d", j+1)
	}
	return b.String(), j, nil
}
