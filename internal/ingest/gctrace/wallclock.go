package gctrace

import (
	"bytes"
	"time"
)

// The runtime's @T is time since runtime init; the only wall-clock times in
// a gctrace log are the ones log shippers add to each line. lineStamp reads
// them from the shapes that are common in practice:
//
//	2026-11-26T10:00:00.123456789Z gc 1 ...          kubectl/docker --timestamps, CRI
//	2026-11-26T10:00:00.123+0000 host app[12]: ...   journalctl -o short-iso(-precise)
//	<165>1 2026-11-26T10:00:00.003Z host app - - - … syslog RFC 5424
//	2026/11/26 10:00:00.123456 ...                   Go's log package, local time
//	{"log":"gc 1 ...\n","time":"2026-11-26T..."}     docker json-file, fluent-bit (also numeric epoch)
//	{"__REALTIME_TIMESTAMP":"1795687200112000",...}  journalctl -o json
//	Nov 26 10:00:00 host app[12]: ...                syslog RFC 3164, journalctl default (no year)

// stampKind says how much of a wall-clock time a line carried.
type stampKind uint8

const (
	stampNone   stampKind = iota
	stampFull             // date, time and zone (or epoch)
	stampNoZone           // date and time without zone: read as UTC
	stampNoYear           // month, day and time only: unusable
)

var jsonTimeKeys = [][]byte{
	[]byte(`"time"`), []byte(`"timestamp"`), []byte(`"@timestamp"`), []byte(`"ts"`), []byte(`"date"`),
	[]byte(`"__REALTIME_TIMESTAMP"`), // journalctl -o json: microseconds, quoted
}

// lineStamp returns the wall-clock time a line's prefix or JSON wrapper
// carries.
func lineStamp(line []byte) (time.Time, stampKind) {
	b := trimLeftSpace(line)
	if len(b) > 0 && b[0] == '{' {
		return jsonStamp(b)
	}
	b = skipSyslogHeader(b)
	if len(b) > 0 && b[0] == '[' {
		b = b[1:]
	}
	if t, kind, ok := isoStamp(b); ok {
		return t, kind
	}
	if syslogStamp(b) {
		return time.Time{}, stampNoYear
	}
	return time.Time{}, stampNone
}

// jsonStamp looks for a time key of a one-line JSON object. A key cannot
// match inside a string value, where its quotes would be escaped.
func jsonStamp(b []byte) (time.Time, stampKind) {
	for _, key := range jsonTimeKeys {
		i := bytes.Index(b, key)
		if i < 0 {
			continue
		}
		v := trimLeftSpace(b[i+len(key):])
		if len(v) == 0 || v[0] != ':' {
			continue
		}
		v = trimLeftSpace(v[1:])
		if len(v) > 0 && v[0] == '"' {
			if t, kind, ok := isoStamp(v[1:]); ok {
				return t, kind
			}
			if t, ok := epochStamp(v[1:]); ok {
				return t, stampFull
			}
			continue
		}
		if t, ok := epochStamp(v); ok {
			return t, stampFull
		}
	}
	return time.Time{}, stampNone
}

// skipSyslogHeader skips "<PRI>" and the RFC 5424 version "1 ".
func skipSyslogHeader(b []byte) []byte {
	if len(b) < 3 || b[0] != '<' {
		return b
	}
	j := 1
	for j < len(b) && j <= 4 && isDigit(b[j]) {
		j++
	}
	if j == 1 || j >= len(b) || b[j] != '>' {
		return b
	}
	b = b[j+1:]
	if len(b) >= 2 && b[0] == '1' && b[1] == ' ' {
		b = b[2:]
	}
	return b
}

// isoStamp reads "YYYY-MM-DD[T ]hh:mm:ss[.frac][Z|±hh:mm|±hhmm]", also with
// '/' between the date's parts (Go's log package).
func isoStamp(b []byte) (time.Time, stampKind, bool) {
	if len(b) < 19 || (b[4] != '-' && b[4] != '/') || b[7] != b[4] ||
		(b[10] != 'T' && b[10] != ' ') || b[13] != ':' || b[16] != ':' {
		return time.Time{}, stampNone, false
	}
	year, ok1 := fixedDigits(b[0:4])
	month, ok2 := fixedDigits(b[5:7])
	day, ok3 := fixedDigits(b[8:10])
	hour, ok4 := fixedDigits(b[11:13])
	minute, ok5 := fixedDigits(b[14:16])
	sec, ok6 := fixedDigits(b[17:19])
	if !(ok1 && ok2 && ok3 && ok4 && ok5 && ok6) || month < 1 || month > 12 || day < 1 || day > 31 ||
		hour > 23 || minute > 59 || sec > 60 {
		return time.Time{}, stampNone, false
	}
	rest := b[19:]
	nsec := 0
	if len(rest) > 1 && (rest[0] == '.' || rest[0] == ',') && isDigit(rest[1]) {
		scale := int(time.Second)
		j := 1
		for ; j < len(rest) && isDigit(rest[j]); j++ {
			scale /= 10
			nsec += int(rest[j]-'0') * scale
		}
		rest = rest[j:]
	}
	loc, kind := zone(rest)
	return time.Date(year, time.Month(month), day, hour, minute, sec, nsec, loc), kind, true
}

// zone reads "Z", "±hh:mm" or "±hhmm"; without one the time is read as UTC.
func zone(b []byte) (*time.Location, stampKind) {
	if len(b) > 0 && b[0] == 'Z' {
		return time.UTC, stampFull
	}
	if len(b) < 5 || (b[0] != '+' && b[0] != '-') {
		return time.UTC, stampNoZone
	}
	hh, ok1 := fixedDigits(b[1:3])
	mmAt := 3
	if b[3] == ':' {
		mmAt = 4
	}
	if len(b) < mmAt+2 {
		return time.UTC, stampNoZone
	}
	mm, ok2 := fixedDigits(b[mmAt : mmAt+2])
	if !ok1 || !ok2 || hh > 23 || mm > 59 {
		return time.UTC, stampNoZone
	}
	offset := (hh*60 + mm) * 60
	if b[0] == '-' {
		offset = -offset
	}
	if offset == 0 {
		return time.UTC, stampFull
	}
	return time.FixedZone("", offset), stampFull
}

// epochStamp reads a Unix time in seconds (10 digits, optional fraction),
// milliseconds (13), microseconds (16) or nanoseconds (19), as JSON log
// shippers print them.
func epochStamp(b []byte) (time.Time, bool) {
	j := 0
	var whole int64
	for ; j < len(b) && isDigit(b[j]); j++ {
		if j == 19 {
			return time.Time{}, false
		}
		whole = whole*10 + int64(b[j]-'0')
	}
	switch j {
	case 19:
		return time.Unix(0, whole).UTC(), true
	case 16:
		return time.UnixMicro(whole).UTC(), true
	case 13:
		return time.UnixMilli(whole).UTC(), true
	case 10:
		var nsec int64
		if j+1 < len(b) && b[j] == '.' && isDigit(b[j+1]) {
			scale := int64(time.Second)
			for j++; j < len(b) && isDigit(b[j]); j++ {
				scale /= 10
				nsec += int64(b[j]-'0') * scale
			}
		}
		return time.Unix(whole, nsec).UTC(), true
	}
	return time.Time{}, false
}

var monthAbbrevs = [...]string{"Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"}

// syslogStamp reports whether b starts "Jan _2 15:04:05" (RFC 3164,
// journalctl's default, moreutils ts), which carries no year.
func syslogStamp(b []byte) bool {
	if len(b) < 15 || b[3] != ' ' || b[6] != ' ' || b[9] != ':' || b[12] != ':' {
		return false
	}
	known := false
	for _, m := range monthAbbrevs {
		if string(b[:3]) == m {
			known = true
			break
		}
	}
	if !known || !(b[4] == ' ' || isDigit(b[4])) || !isDigit(b[5]) {
		return false
	}
	for _, j := range [...]int{7, 8, 10, 11, 13, 14} {
		if !isDigit(b[j]) {
			return false
		}
	}
	return true
}

// fixedDigits reads b, all decimal digits.
func fixedDigits(b []byte) (int, bool) {
	v := 0
	for _, c := range b {
		if !isDigit(c) {
			return 0, false
		}
		v = v*10 + int(c-'0')
	}
	return v, true
}

func trimLeftSpace(b []byte) []byte {
	for len(b) > 0 && (b[0] == ' ' || b[0] == '\t') {
		b = b[1:]
	}
	return b
}
