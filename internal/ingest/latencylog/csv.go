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
	keys    [][]byte // the same, for fields.key
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
		h.columns = append(h.columns, string(c))
		h.keys = append(h.keys, bytes.Clone(c))
		info, ok := p.fs.names[string(normalise(p.norm, c))]
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
		if c < 0 || c >= len(p.cells) || len(p.cells[c]) == 0 {
			continue
		}
		f.offer(p.header.info[r], p.header.keys[c], p.cells[c], false)
	}
	return nil
}

var errUnterminated = errors.New("unterminated quoted field")

// splitCSV splits a line into cells, appending them to dst. A cell may be
// quoted ("a, ""b"""), spaces around a cell are dropped. Cells are slices
// of line, except quoted ones with doubled quotes.
func splitCSV(line []byte, delim byte, dst [][]byte) ([][]byte, error) {
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
			dst = append(dst, bytes.TrimSpace(line[i:i+j]))
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
func quotedCell(line []byte, i int, delim byte) ([]byte, int, error) {
	var cell []byte
	j := i + 1
	for {
		k := bytes.IndexByte(line[j:], '"')
		if k < 0 {
			return nil, 0, errUnterminated
		}
		if j+k+1 < len(line) && line[j+k+1] == '"' {
			// A doubled quote: copy, since the cell is no longer a slice
			// of the line.
			cell = append(cell, line[j:j+k+1]...)
			j += k + 2
			continue
		}
		if cell == nil {
			cell = line[j : j+k]
		} else {
			cell = append(cell, line[j:j+k]...)
		}
		j += k + 1
		break
	}
	for j < len(line) && (line[j] == ' ' || line[j] == '\t') && line[j] != delim {
		j++
	}
	if j < len(line) && line[j] != delim {
		return nil, 0, fmt.Errorf("text after the closing quote of a field at byte %d", j+1)
	}
	return cell, j, nil
}
