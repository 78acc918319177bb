package latencylog

import (
	"bytes"
	"encoding/json"
	"errors"
)

// A JSONL line is checked with json.Valid and then walked by hand: only
// the top-level members are looked at, and values are kept as raw tokens
// until one is chosen, which costs far less than decoding every line into
// a map.

var errNotJSON = errors.New("not a JSON object")

// jsonFields fills fs from the members of the JSON object line.
func (p *parser) jsonFields(line []byte, f *fields) error {
	if !json.Valid(line) {
		return errNotJSON
	}
	line = trimSpace(line)
	if len(line) == 0 || line[0] != '{' {
		return errNotJSON
	}
	eachMember(line, func(key, val []byte) {
		p.norm = normalise(p.norm, unescapedKey(key))
		if info, ok := p.fs.names[string(p.norm)]; ok {
			f.offer(info, key, val, true)
		}
	})
	for r, path := range p.fs.paths {
		if path == nil || f.has[r] {
			continue
		}
		if val, ok := p.lookupPath(line, path.steps); ok {
			f.offer(path.info, []byte(path.name), val, true)
		}
	}
	return nil
}

// lookupPath finds the value at a path of nested objects, matching each
// step (normalised) by its normalised name.
func (p *parser) lookupPath(obj []byte, path []string) ([]byte, bool) {
	for _, want := range path {
		var found []byte
		eachMember(obj, func(key, val []byte) {
			if found == nil && string(normalise(p.norm, unescapedKey(key))) == want {
				found = val
			}
		})
		if found == nil {
			return nil, false
		}
		obj = found
	}
	return obj, true
}

// unescapedKey returns a member name without its escapes, which names
// almost never have.
func unescapedKey(key []byte) []byte {
	if bytes.IndexByte(key, '\\') < 0 {
		return key
	}
	var s string
	quoted := make([]byte, 0, len(key)+2)
	quoted = append(append(append(quoted, '"'), key...), '"')
	if json.Unmarshal(quoted, &s) != nil {
		return key
	}
	return []byte(s)
}

// eachMember calls fn with the name (without quotes, still escaped) and
// raw value of each top-level member of obj, a valid JSON value. It does
// nothing when obj is not an object. It never reads past obj, whatever obj
// holds.
func eachMember(obj []byte, fn func(key, val []byte)) {
	i := skipSpace(obj, 0)
	if i >= len(obj) || obj[i] != '{' {
		return
	}
	i = skipSpace(obj, i+1)
	for i < len(obj) && obj[i] == '"' {
		end := endOfString(obj, i)
		if end > len(obj) || end-1 <= i {
			return
		}
		key := obj[i+1 : end-1]
		i = skipSpace(obj, end)
		if i >= len(obj) || obj[i] != ':' {
			return
		}
		i = skipSpace(obj, i+1)
		start := i
		i = endOfValue(obj, i)
		fn(key, obj[start:i])
		i = skipSpace(obj, i)
		if i >= len(obj) || obj[i] != ',' {
			return
		}
		i = skipSpace(obj, i+1)
	}
}

// endOfString returns the index just past the string that starts at b[i].
func endOfString(b []byte, i int) int {
	for j := i + 1; j < len(b); j++ {
		switch b[j] {
		case '\\':
			j++
		case '"':
			return j + 1
		}
	}
	return len(b)
}

// endOfValue returns the index just past the value that starts at b[i].
func endOfValue(b []byte, i int) int {
	if i >= len(b) {
		return len(b)
	}
	switch b[i] {
	case '"':
		return min(endOfString(b, i), len(b))
	case '{', '[':
		depth := 0
		for j := i; j < len(b); j++ {
			switch b[j] {
			case '"':
				j = endOfString(b, j) - 1
			case '{', '[':
				depth++
			case '}', ']':
				depth--
				if depth == 0 {
					return j + 1
				}
			}
		}
		return len(b)
	}
	j := i
	for j < len(b) && !isDelimiter(b[j]) {
		j++
	}
	return j
}

func isDelimiter(c byte) bool {
	return c == ',' || c == '}' || c == ']' || c == ' ' || c == '\t' || c == '\r' || c == '\n'
}

func skipSpace(b []byte, i int) int {
	for i < len(b) && (b[i] == ' ' || b[i] == '\t' || b[i] == '\r' || b[i] == '\n') {
		i++
	}
	return i
}

func trimSpace(b []byte) []byte {
	return bytes.Trim(b, " \t\r\n")
}

// jsonText is the text of a raw JSON scalar: a string without quotes and
// escapes, a number as written. null is absent; other values are errors.
func jsonText(raw []byte) (text string, present bool, err error) {
	if len(raw) == 0 {
		return "", false, nil
	}
	switch raw[0] {
	case '"':
		if bytes.IndexByte(raw, '\\') < 0 && len(raw) >= 2 {
			return string(raw[1 : len(raw)-1]), true, nil
		}
		var s string
		if err := json.Unmarshal(raw, &s); err != nil {
			return "", false, errors.New("a malformed string")
		}
		return s, true, nil
	case 'n':
		return "", false, nil
	case 't', 'f':
		return "", false, errors.New("a boolean, not a string or number")
	case '{', '[':
		return "", false, errors.New("an object or array, not a string or number")
	}
	return string(raw), true, nil
}
