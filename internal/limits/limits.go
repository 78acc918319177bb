// Package limits holds the bounds gcwatch's decoders put on the work an
// input can make them do, so that every decoder applies the same rule and
// docs/usage.md can state it once.
package limits

import (
	"fmt"
	"io"
	"os"

	"github.com/gcwatch/gcwatch/internal/units"
)

// MinUnusable is how many bytes a decoder reads past the last byte it
// could use before it stops, when the input so far was smaller.
const MinUnusable = 64 << 20

// Unusable reports whether a decoder that has read usable bytes it could
// analyse (up to the end of its last usable line, record or generation),
// then unusable bytes without anything it could use, should stop reading:
// once the unusable stretch is longer than MinUnusable and than the
// usable part. Garbage after an input, a decompression bomb above all,
// then costs at most about as much as the input itself, while damage in
// the middle of a long input can still be skipped.
func Unusable(usable, unusable int64) bool {
	return unusable > max(MinUnusable, usable)
}

// SideFile is the largest side file gcwatch reads (a capture folder's
// manifest.json or meta.json): descriptions are a few kilobytes, so a
// larger one is not what it claims to be and is ignored rather than read.
const SideFile = 1 << 20

// TooLargeError is a file larger than a reader's cap.
type TooLargeError struct {
	Path string
	Max  int64
}

func (e *TooLargeError) Error() string {
	return fmt.Sprintf("%s is larger than %s", e.Path, units.ExactSize(e.Max))
}

// ReadFile reads path whole when it holds at most max bytes, and returns
// a *TooLargeError, having read at most max+1 bytes, when it holds more.
func ReadFile(path string, max int64) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	b, err := io.ReadAll(io.LimitReader(f, max+1))
	if err != nil {
		return nil, err
	}
	if int64(len(b)) > max {
		return nil, &TooLargeError{Path: path, Max: max}
	}
	return b, nil
}
