package latencylog

import (
	"errors"
	"fmt"
	"math"
	"math/big"
	"math/bits"
	"strconv"
	"strings"
	"time"
)

// Unix times given as numbers carry no unit, so it is read from their
// magnitude. Today's time is about 1.7e9 s, 1.7e12 ms, 1.7e15 µs and
// 1.7e18 ns; each limit is 1e11 of its unit (year 5138), so every
// date from 1973 (1e11 of the next smaller unit) on reads right.
// minTime and maxTime bound the start times we accept: a request log
// holds no date before the Unix epoch, and time.Time.UnixNano (which the
// alignment relies on) ends in 2262.
var (
	minTime = time.Unix(0, 0).UTC()
	maxTime = time.Date(2262, 1, 1, 0, 0, 0, 0, time.UTC)
)

// maxNumberLen bounds the text of a number, so that a line cannot make us
// do big-number arithmetic on thousands of digits.
const maxNumberLen = 64

var errNegative = errors.New("negative")

// isNumber reports whether s looks like a decimal number (JSON number
// grammar, loosely: a sign, digits, a point, an exponent).
func isNumber(s string) bool {
	if s == "" {
		return false
	}
	digits := false
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case '0' <= c && c <= '9':
			digits = true
		case c == '.' || c == '-' || c == '+' || c == 'e' || c == 'E':
		default:
			return false
		}
	}
	return digits
}

// pow10 holds 10^0 to 10^19, every power of ten a uint64 holds.
var pow10 = func() (p [20]uint64) {
	p[0] = 1
	for i := 1; i < len(p); i++ {
		p[i] = p[i-1] * 10
	}
	return p
}()

// scaleDecimal returns the decimal number s times unit, in nanoseconds,
// rounded half away from zero, exactly: timestamps in nanoseconds need all
// 19 digits, which a float64 does not hold.
func scaleDecimal(s string, unit time.Duration) (int64, error) {
	if len(s) > maxNumberLen {
		return 0, fmt.Errorf("number of %d characters", len(s))
	}
	body, neg := s, false
	if body != "" && (body[0] == '-' || body[0] == '+') {
		neg = body[0] == '-'
		body = body[1:]
	}
	// Fast path: digits with an optional fraction and at most 19
	// significant digits.
	var m uint64
	sig, frac, point := 0, 0, false
	for i := 0; i < len(body); i++ {
		c := body[i]
		switch {
		case c == '.' && !point && i > 0 && i < len(body)-1:
			point = true
			continue
		case c < '0' || c > '9' || sig == 19 || point && frac == 19:
			return slowScale(s, unit)
		}
		if point {
			frac++
		}
		if m != 0 || c != '0' {
			sig++
		}
		m = m*10 + uint64(c-'0')
	}
	if body == "" {
		return 0, fmt.Errorf("%q is not a number", s)
	}
	hi, lo := bits.Mul64(m, uint64(unit))
	div := pow10[frac]
	if hi >= div {
		return 0, fmt.Errorf("%s is out of range", s)
	}
	q, r := bits.Div64(hi, lo, div)
	if r >= div-r {
		q++
	}
	if q > math.MaxInt64 {
		return 0, fmt.Errorf("%s is out of range", s)
	}
	if neg {
		return -int64(q), nil
	}
	return int64(q), nil
}

// slowScale is scaleDecimal for exponents and long mantissas.
func slowScale(s string, unit time.Duration) (int64, error) {
	if i := strings.IndexAny(s, "eE"); i >= 0 {
		exp, err := strconv.Atoi(strings.TrimPrefix(s[i+1:], "+"))
		if err != nil || exp < -40 || exp > 40 {
			return 0, fmt.Errorf("%q is not a number in range", s)
		}
	}
	v, ok := new(big.Rat).SetString(s)
	if !ok {
		return 0, fmt.Errorf("%q is not a number", s)
	}
	v.Mul(v, new(big.Rat).SetInt64(int64(unit)))
	// Round half away from zero: trunc((2·num + sign·den) / (2·den)).
	num, den := v.Num(), v.Denom()
	twice := new(big.Int).Lsh(num, 1)
	if num.Sign() < 0 {
		twice.Sub(twice, den)
	} else {
		twice.Add(twice, den)
	}
	q := twice.Quo(twice, new(big.Int).Lsh(den, 1))
	if !q.IsInt64() {
		return 0, fmt.Errorf("%s is out of range", s)
	}
	return q.Int64(), nil
}

// unixUnit reads the unit of a unix time from its magnitude: from the
// number of digits before the point, exactly, or from a float for the
// rare exponent forms.
func unixUnit(s string) time.Duration {
	whole := strings.TrimLeft(strings.TrimLeft(s, "+"), "0")
	if i := strings.IndexByte(whole, '.'); i >= 0 {
		whole = whole[:i]
	}
	digits := len(whole)
	if strings.ContainsAny(s, "eE") {
		f, _ := strconv.ParseFloat(s, 64)
		digits = len(strconv.FormatFloat(math.Floor(math.Abs(f)), 'f', 0, 64))
	}
	switch {
	case digits <= 11: // below 1e11
		return time.Second
	case digits <= 14:
		return time.Millisecond
	case digits <= 17:
		return time.Microsecond
	}
	return time.Nanosecond
}

// parseUnix reads a unix time given as a number. unit 0 means: by
// magnitude (see secondsBelow).
func parseUnix(s string, unit time.Duration) (time.Time, error) {
	if unit == 0 {
		unit = unixUnit(s)
	}
	ns, err := scaleDecimal(s, unit)
	if err != nil {
		return time.Time{}, err
	}
	if ns <= 0 {
		return time.Time{}, fmt.Errorf("unix time %s is not after 1970", s)
	}
	return time.Unix(0, ns).UTC(), nil
}

// stampLayouts are the wall-clock layouts we read, after a space or "t"
// between date and time has been made a "T". Go's parser also accepts a
// comma before the fraction, and no fraction at all.
var stampLayouts = []string{
	time.RFC3339Nano,                       // 2026-11-26T10:00:00.123Z, +01:00
	"2006-01-02T15:04:05.999999999Z0700",   // ISO 8601 basic zone: +0100
	"2006-01-02T15:04:05.999999999 -0700",  // Go's time.Time.String without a zone name
	"2006-01-02T15:04:05.999999999 -07:00", //
	"2006-01-02T15:04:05.999999999 -0700 MST",
	"2006-01-02T15:04:05.999999999 MST", // "… UTC"
}

// zonelessLayout is a date and time without a zone.
const zonelessLayout = "2006-01-02T15:04:05.999999999"

// parseStart reads a start (or end) time: RFC 3339, a few common
// neighbours of it, or a unix time as a number or a string of digits.
// zoneless reports a time that carried no zone and was read in loc.
func parseStart(s string, unit time.Duration, loc *time.Location) (t time.Time, zoneless bool, err error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return time.Time{}, false, errors.New("empty")
	}
	if isNumber(s) {
		t, err = parseUnix(s, unit)
		return t, false, err
	}
	t, zoneless, ok := parseStamp(s, loc)
	if !ok {
		return time.Time{}, false, fmt.Errorf("%s is neither RFC 3339 nor a unix time", quoteShort(s))
	}
	if t.Before(minTime) || !t.Before(maxTime) {
		return time.Time{}, false, fmt.Errorf("%s is outside 1970 to 2261", quoteShort(s))
	}
	return t, zoneless, nil
}

func parseStamp(s string, loc *time.Location) (time.Time, bool, bool) {
	if len(s) < 19 || s[4] != '-' || s[7] != '-' {
		return time.Time{}, false, false
	}
	if s[10] == ' ' || s[10] == 't' {
		s = s[:10] + "T" + s[11:]
	}
	if s[len(s)-1] == 'z' {
		s = s[:len(s)-1] + "Z"
	}
	// Go's time.Time.String adds the monotonic reading: " m=+0.001".
	if i := strings.Index(s, " m="); i > 0 {
		s = s[:i]
	}
	for _, layout := range stampLayouts {
		if t, err := time.Parse(layout, s); err == nil {
			return t, false, true
		}
	}
	if loc == nil {
		loc = time.UTC
	}
	if t, err := time.ParseInLocation(zonelessLayout, s, loc); err == nil {
		return t, true, true
	}
	return time.Time{}, false, false
}

// parseDuration reads a duration: a number in unit (seconds when unit is
// 0), or a Go duration string such as "12.5ms", whatever the field's unit.
func parseDuration(s string, unit time.Duration) (time.Duration, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return 0, errors.New("empty")
	}
	var d time.Duration
	if isNumber(s) {
		if unit == 0 {
			unit = time.Second
		}
		ns, err := scaleDecimal(s, unit)
		if err != nil {
			return 0, err
		}
		d = time.Duration(ns)
	} else {
		var err error
		d, err = time.ParseDuration(strings.ReplaceAll(s, " ", ""))
		if err != nil {
			return 0, fmt.Errorf("%s is neither a number nor a Go duration", quoteShort(s))
		}
	}
	if d < 0 {
		return 0, fmt.Errorf("%s is %w", quoteShort(s), errNegative)
	}
	return d, nil
}

// quoteShort quotes s for a message, cut to a readable length.
func quoteShort(s string) string {
	const max = 40
	if len(s) > max {
		return strconv.Quote(s[:max]) + "…"
	}
	return strconv.Quote(s)
}
