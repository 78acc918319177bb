package latencylog

import (
	"bufio"
	"bytes"
	"errors"
	"io"

	"github.com/gcwatch/gcwatch/internal/limits"
)

// defaultMaxLine is the longest line read by default: a request line is a
// few hundred bytes; a longer one is a different kind of record.
const defaultMaxLine = 1 << 20

// lineReader yields the lines of a stream without their line ending. A
// line longer than max is passed over in pieces and reported as too long,
// so memory stays bounded whatever the input.
type lineReader struct {
	br    *bufio.Reader
	max   int
	long  []byte
	lines int
	bytes int64
	// usable is the byte offset after the last line the caller could use;
	// reading stops with errUnusable once limits.Unusable says so.
	usable int64
}

// errUnusable ends a read that went on too long without a usable line.
var errUnusable = errors.New("too long without a usable line")

func newLineReader(r io.Reader, max int) *lineReader {
	if max <= 0 {
		max = defaultMaxLine
	}
	return &lineReader{br: bufio.NewReaderSize(r, 64<<10), max: max}
}

// next returns the next line, valid until the following call, and whether
// it was too long (then the line itself is not returned). It returns
// io.EOF after the last line.
func (lr *lineReader) next() (line []byte, tooLong bool, err error) {
	lr.long = lr.long[:0]
	for {
		if limits.Unusable(lr.usable, lr.bytes-lr.usable) {
			return nil, false, errUnusable
		}
		chunk, err := lr.br.ReadSlice('\n')
		lr.bytes += int64(len(chunk))
		switch {
		case err == nil:
			lr.lines++
			if len(lr.long) == 0 && !tooLong {
				return trimEOL(chunk), false, nil
			}
			return lr.keep(chunk, tooLong)
		case errors.Is(err, bufio.ErrBufferFull):
			tooLong = lr.add(chunk, tooLong)
		case err == io.EOF:
			if len(chunk) == 0 && len(lr.long) == 0 && !tooLong {
				return nil, false, io.EOF
			}
			lr.lines++
			return lr.keep(chunk, tooLong)
		default:
			return nil, false, err
		}
	}
}

// add appends a piece of a long line, or drops it once the line is too
// long.
func (lr *lineReader) add(chunk []byte, tooLong bool) bool {
	if tooLong || len(lr.long)+len(chunk) > lr.max {
		lr.long = lr.long[:0]
		return true
	}
	lr.long = append(lr.long, chunk...)
	return false
}

// keep finishes a line read in pieces.
func (lr *lineReader) keep(last []byte, tooLong bool) ([]byte, bool, error) {
	if tooLong = lr.add(last, tooLong); tooLong {
		return nil, true, nil
	}
	return trimEOL(lr.long), false, nil
}

func trimEOL(b []byte) []byte {
	b = bytes.TrimSuffix(b, []byte("\n"))
	return bytes.TrimSuffix(b, []byte("\r"))
}

func trimBOM(b []byte) []byte {
	return bytes.TrimPrefix(b, []byte("\xef\xbb\xbf"))
}
