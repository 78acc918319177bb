package latencylog

import (
	"errors"
	"fmt"
	"strings"
	"time"
)

// fields holds, per role, the value chosen from one line: the best-ranked
// of the names that line carries. Values stay raw until the entry is built.
type fields struct {
	has  [numRoles]bool
	info [numRoles]fieldName
	key  [numRoles][]byte // the field name as written, for messages
	raw  [numRoles][]byte
	json [numRoles]bool // raw is a JSON token rather than a CSV cell
}

func (f *fields) offer(info fieldName, key, raw []byte, json bool) {
	r := info.role
	if f.has[r] && f.info[r].rank <= info.rank {
		return
	}
	f.has[r], f.info[r], f.key[r], f.raw[r], f.json[r] = true, info, key, raw, json
}

// text returns the text of role r's value; present is false for an absent
// field and for JSON null.
func (f *fields) text(r role) (text string, present bool, err error) {
	if !f.has[r] {
		return "", false, nil
	}
	if f.json[r] {
		text, present, err = jsonText(f.raw[r])
	} else {
		text, present = string(f.raw[r]), len(f.raw[r]) > 0
	}
	if err != nil {
		return "", false, fmt.Errorf("%s %q is %w", r, f.key[r], err)
	}
	return text, present, nil
}

// maxTypes bounds the interning of request types: past it, a log whose
// types are all distinct (raw URLs with ids) costs one string each.
const maxTypes = 10000

// entry builds the request of one line.
func (p *parser) entry(f *fields) (Entry, error) {
	var e Entry
	start, ok, err := f.text(roleStart)
	if err != nil {
		return e, err
	}
	if !ok {
		return e, errors.New("no start time (fields start, start_time, timestamp, ts, time)")
	}
	var zoneless bool
	e.Start, zoneless, err = parseStart(start, p.opts.StartUnit, p.opts.Location)
	if err != nil {
		return e, fmt.Errorf("start %q: %w", f.key[roleStart], err)
	}
	var fromEnd bool
	if e.Duration, fromEnd, err = p.duration(f, e.Start); err != nil {
		return e, err
	}
	if p.opts.StartIsEnd && !fromEnd {
		e.Start = e.Start.Add(-e.Duration)
	}
	if e.Start.Before(minTime) {
		return e, fmt.Errorf("start %q: %v before a duration of %v is before 1970", f.key[roleStart], e.Start, e.Duration)
	}
	if zoneless && !p.zoneless && p.opts.Location == nil {
		p.zoneless = true
		p.warn(fmt.Sprintf("%s:%d: start times carry no time zone; read as UTC", p.log.Name, p.log.Stats.Lines))
	}
	// Id, type and status only describe a request: one that is not a
	// string or number is left out rather than losing the request.
	e.ID, _, _ = f.text(roleID)
	e.Status, _, _ = f.text(roleStatus)
	e.Type = p.requestType(f)
	return e, nil
}

// duration reads the duration field, or failing that the end field
// (fromEnd).
func (p *parser) duration(f *fields, start time.Time) (d time.Duration, fromEnd bool, err error) {
	text, ok, err := f.text(roleDuration)
	if err != nil {
		return 0, false, err
	}
	if ok {
		unit := p.opts.DurationUnit
		if unit == 0 {
			unit = f.info[roleDuration].unit
			if unit == 0 && isNumber(strings.TrimSpace(text)) {
				p.numericBare++
			}
		}
		d, err = parseDuration(text, unit)
		if err != nil {
			return 0, false, fmt.Errorf("duration %q: %w", f.key[roleDuration], err)
		}
		return d, false, nil
	}
	text, ok, err = f.text(roleEnd)
	if err != nil {
		return 0, false, err
	}
	if !ok {
		return 0, false, errors.New("no duration (fields duration_ms, duration_us, duration_ns, duration, latency_ms, elapsed_ms, ...) and no end")
	}
	end, _, err := parseStart(text, p.opts.StartUnit, p.opts.Location)
	if err != nil {
		return 0, false, fmt.Errorf("end %q: %w", f.key[roleEnd], err)
	}
	if end.Before(start) {
		return 0, false, fmt.Errorf("end %q: %v is before the start %v", f.key[roleEnd], end, start)
	}
	return end.Sub(start), true, nil
}

// requestType is the type or route field, else "METHOD /path".
func (p *parser) requestType(f *fields) string {
	t, _, _ := f.text(roleType)
	if t == "" {
		method, _, _ := f.text(roleMethod)
		path, _, _ := f.text(rolePath)
		path = urlPath(path)
		t = strings.TrimSpace(method + " " + path)
	}
	if t == "" {
		return ""
	}
	if s, ok := p.types[t]; ok {
		return s
	}
	if len(p.types) < maxTypes {
		p.types[t] = t
	}
	return t
}

// urlPath cuts a URL down to its path: no scheme and host, no query.
func urlPath(u string) string {
	if i := strings.Index(u, "://"); i >= 0 {
		rest := u[i+3:]
		j := strings.IndexByte(rest, '/')
		if j < 0 {
			return "/"
		}
		u = rest[j:]
	}
	if i := strings.IndexAny(u, "?#"); i >= 0 {
		u = u[:i]
	}
	return u
}
