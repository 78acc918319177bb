package latencylog

import (
	"strings"
	"time"
	"unicode"
	"unicode/utf8"
)

// role is what a field of a log line means to us.
type role int

const (
	roleStart role = iota
	roleEnd
	roleDuration
	roleID
	roleType
	roleMethod
	rolePath
	roleStatus
	numRoles
)

var roleNames = [numRoles]string{"start", "end", "duration", "id", "type", "method", "path", "status"}

func (r role) String() string { return roleNames[r] }

// fieldName is one accepted name of a field: its role, its preference
// among the names of that role (lower wins when a line has several), and
// for durations the unit of a number (0: a bare name, numbers are seconds).
type fieldName struct {
	role role
	rank int
	unit time.Duration
	// generic marks start names that loggers use for the time a line was
	// written, which is usually when the request ended.
	generic bool
}

// Names are compared after normalisation (see normalise): "start_time",
// "startTime", "Start-Time" and "@start_time" are one name.
var (
	startNames   = []string{"start", "starttime", "startedat", "startts", "begin", "requeststart"}
	genericTimes = []string{"timestamp", "ts", "time"}
	endNames     = []string{"end", "endtime", "endedat", "finishedat"}
	// Duration bases, each with the unit suffixes of unitWords; a base
	// with a unit is preferred to the bare base.
	durationBases = []string{"duration", "latency", "elapsed", "took", "responsetime", "requesttime", "dur"}
	idNames       = []string{"id", "requestid", "reqid", "rid", "traceid"}
	typeNames     = []string{"type", "route", "endpoint", "operation", "handler"}
	methodNames   = []string{"method", "httpmethod", "verb"}
	pathNames     = []string{"path", "urlpath", "uri", "requesturi", "url"}
	statusNames   = []string{"status", "statuscode", "httpstatus", "code"}
)

// unitWords are the suffixes that give a duration field its unit.
var unitWords = []struct {
	words []string
	unit  time.Duration
}{
	{[]string{"ms", "msec", "millis", "milliseconds"}, time.Millisecond},
	{[]string{"us", "µs", "μs", "usec", "micros", "microseconds"}, time.Microsecond},
	{[]string{"ns", "nsec", "nanos", "nanoseconds"}, time.Nanosecond},
	{[]string{"s", "sec", "secs", "seconds"}, time.Second},
}

// defaultNames maps every normalised default name to its meaning.
var defaultNames = buildDefaultNames()

func buildDefaultNames() map[string]fieldName {
	m := make(map[string]fieldName)
	add := func(r role, names []string, generic bool) {
		for _, n := range names {
			if _, dup := m[n]; !dup {
				m[n] = fieldName{role: r, rank: len(m), generic: generic}
			}
		}
	}
	add(roleStart, startNames, false)
	add(roleStart, genericTimes, true)
	add(roleEnd, endNames, false)
	for _, base := range durationBases {
		for _, u := range unitWords {
			for _, w := range u.words {
				m[base+w] = fieldName{role: roleDuration, rank: len(m), unit: u.unit}
			}
		}
		m[base] = fieldName{role: roleDuration, rank: len(m)}
	}
	add(roleID, idNames, false)
	add(roleType, typeNames, false)
	add(roleMethod, methodNames, false)
	add(rolePath, pathNames, false)
	add(roleStatus, statusNames, false)
	return m
}

// normalise lower-cases name and keeps only its letters and digits, so
// that the spellings of one name in snake, kebab and camel case and with
// a leading "@" (Elastic's "@timestamp") compare equal.
func normalise(dst []byte, name []byte) []byte {
	dst = dst[:0]
	for len(name) > 0 {
		r, n := utf8.DecodeRune(name)
		name = name[n:]
		if r < utf8.RuneSelf {
			switch {
			case 'A' <= r && r <= 'Z':
				dst = append(dst, byte(r+'a'-'A'))
			case 'a' <= r && r <= 'z', '0' <= r && r <= '9':
				dst = append(dst, byte(r))
			}
			continue
		}
		if unicode.IsLetter(r) || unicode.IsDigit(r) {
			dst = utf8.AppendRune(dst, unicode.ToLower(r))
		}
	}
	return dst
}

// fieldSet is the set of names a parse looks for: the defaults, or for a
// role the caller named, only that name.
type fieldSet struct {
	names map[string]fieldName
	// paths holds, per role, the dotted path of a caller's field name
	// ("http.duration_ms"), looked up in nested JSON objects.
	paths [numRoles]*pathField
}

// pathField is a caller's field name that is a path into nested objects.
type pathField struct {
	name  string   // as given: "http.duration_ms"
	steps []string // "http", "duration_ms", normalised
	info  fieldName
}

func newFieldSet(opts *Options) *fieldSet {
	fs := &fieldSet{names: make(map[string]fieldName, len(defaultNames))}
	overrides := [numRoles]string{
		roleStart: opts.StartField, roleEnd: opts.EndField, roleDuration: opts.DurationField,
		roleID: opts.IDField, roleType: opts.TypeField, roleStatus: opts.StatusField,
	}
	for n, f := range defaultNames {
		r := f.role
		if r == roleMethod || r == rolePath {
			// Method and path make a type only when the caller named none.
			r = roleType
		}
		if overrides[r] == "" {
			fs.names[n] = f
		}
	}
	for r, name := range overrides {
		if name == "" {
			continue
		}
		f := fieldName{role: role(r), rank: -1, unit: overrideUnit(name)}
		fs.names[string(normalise(nil, []byte(name)))] = f
		if strings.Contains(name, ".") {
			steps := strings.Split(name, ".")
			for i, st := range steps {
				steps[i] = string(normalise(nil, []byte(st)))
			}
			fs.paths[r] = &pathField{name: name, steps: steps, info: f}
		}
	}
	return fs
}

// overrideUnit is the unit of a duration field the caller named: the
// unit of the same default name, else the unit word after its last "_" or
// "-" ("resp_time_ms"), else none (numbers are seconds).
func overrideUnit(name string) time.Duration {
	if f, ok := defaultNames[string(normalise(nil, []byte(name)))]; ok && f.role == roleDuration {
		return f.unit
	}
	i := strings.LastIndexAny(name, "_-.")
	if i < 0 {
		return 0
	}
	last := strings.ToLower(name[i+1:])
	for _, u := range unitWords {
		for _, w := range u.words {
			if last == w {
				return u.unit
			}
		}
	}
	return 0
}
