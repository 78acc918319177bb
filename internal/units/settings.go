package units

import (
	"bytes"
	"fmt"
	"strconv"
)

// The GC settings in gcwatch's JSON (docs/json.md): GOGC is a whole number
// of percent or the string "off"; a memory limit is a whole number of bytes
// or the string "off". A setting that is not known is null, which is why
// the types below appear as pointers where a document may not know them.

// GOGC is a GOGC setting; any negative value is off.
type GOGC int

// GOGCOff is GOGC=off.
const GOGCOff GOGC = -1

// Off says whether the GOGC goal is turned off.
func (g GOGC) Off() bool { return g < 0 }

// String is the setting as GOGC is written in the environment: "100", "off".
func (g GOGC) String() string {
	if g.Off() {
		return "off"
	}
	return strconv.Itoa(int(g))
}

// MarshalJSON writes the number, or "off".
func (g GOGC) MarshalJSON() ([]byte, error) {
	if g.Off() {
		return []byte(`"off"`), nil
	}
	return strconv.AppendInt(nil, int64(g), 10), nil
}

// UnmarshalJSON reads a non-negative whole number or "off".
func (g *GOGC) UnmarshalJSON(b []byte) error {
	if bytes.Equal(b, []byte(`"off"`)) {
		*g = GOGCOff
		return nil
	}
	n, err := strconv.Atoi(string(b))
	if err != nil || n < 0 {
		return fmt.Errorf("gogc: want a non-negative whole number or \"off\", got %s", b)
	}
	*g = GOGC(n)
	return nil
}

// Limit is a memory limit (GOMEMLIMIT) in bytes; any negative value is
// off, no limit.
type Limit int64

// LimitOff is GOMEMLIMIT=off.
const LimitOff Limit = -1

// Off says whether there is no limit.
func (l Limit) Off() bool { return l < 0 }

// String is the limit as GOMEMLIMIT is written: "512MiB" for whole MiB,
// else the bytes; "off".
func (l Limit) String() string {
	switch {
	case l.Off():
		return "off"
	case l%(1<<20) == 0:
		return fmt.Sprintf("%dMiB", l>>20)
	}
	return strconv.FormatInt(int64(l), 10)
}

// MarshalJSON writes the bytes, or "off".
func (l Limit) MarshalJSON() ([]byte, error) {
	if l.Off() {
		return []byte(`"off"`), nil
	}
	return strconv.AppendInt(nil, int64(l), 10), nil
}

// UnmarshalJSON reads a non-negative whole number of bytes or "off".
func (l *Limit) UnmarshalJSON(b []byte) error {
	if bytes.Equal(b, []byte(`"off"`)) {
		*l = LimitOff
		return nil
	}
	n, err := strconv.ParseInt(string(b), 10, 64)
	if err != nil || n < 0 {
		return fmt.Errorf("memlimit_bytes: want a non-negative whole number of bytes or \"off\", got %s", b)
	}
	*l = Limit(n)
	return nil
}

// Setting is a GOGC and memory limit pair, as a verdict recommends it or a
// process ran with.
type Setting struct {
	GOGC        GOGC  `json:"gogc"`
	MemoryLimit Limit `json:"memlimit_bytes"`
}

// String is the setting as environment variables: "GOGC=200 GOMEMLIMIT=off".
func (s Setting) String() string {
	return "GOGC=" + s.GOGC.String() + " GOMEMLIMIT=" + s.MemoryLimit.String()
}
