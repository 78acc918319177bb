package latencylog

import (
	"bytes"
	"errors"
	"testing"
)

func FuzzParse(f *testing.F) {
	for _, seed := range []string{
		`{"start":"2026-11-26T10:00:00.123456789Z","duration_ms":12.5,"id":"a1","route":"/x"}`,
		`{"ts":1795687200.123456,"latency":0.0125}` + "\n" + `{"ts":1795687200123,"latency":"3ms"}`,
		`{"time":"2026-11-26 11:00:00,5+0100","http":{"took_ms":4},"method":"GET","url":"http://h/a?b"}`,
		`{"start":"1795687200123456789","end":"1795687200123456799","request_id":7}`,
		"id,start,duration_ms,route\n1,2026-11-26T10:00:00Z,1.5,/a\n2,2026-11-26T10:00:01Z,2,\"/b,\"\"c\"\"\"\n",
		"\xef\xbb\xbfstart\tlatency_us\r\n1795687200\t12\r\n# c\n\n",
		"start;end\n2026-11-26T10:00:00Z;2026-11-26T09:00:00Z\n\"unterminated;x\n",
		`{"start":1e400,"duration_ms":-1}` + "\n" + `{"start":"x"` + "\n[1,2]\n",
		"plain text, with commas\n",
		`{"st\u0061rt":"2026-11-26T10:00:00Z","duration":"1h2m","id":{"a":[1,"}"]}}`,
	} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		log, err := Parse(bytes.NewReader(data), "fuzz")
		looks := LooksLike(data)
		if err != nil {
			if !errors.Is(err, ErrNotLatencyLog) {
				t.Fatalf("error %v does not wrap ErrNotLatencyLog", err)
			}
			if looks {
				t.Fatalf("LooksLike accepts what Parse rejects: %v", err)
			}
			return
		}
		checkLog(t, data, log)
		checkAlign(t, log)
	})
}

// checkLog checks what must hold for any parsed input.
func checkLog(t *testing.T, data []byte, log *Log) {
	t.Helper()
	st := log.Stats
	lines := bytes.Count(data, []byte("\n"))
	if len(data) > 0 && data[len(data)-1] != '\n' {
		lines++
	}
	if st.Bytes != int64(len(data)) || st.Lines != lines || st.Parsed+st.Bad+st.Skipped != st.Lines || st.Parsed != len(log.Requests) || st.Parsed == 0 {
		t.Fatalf("stats %+v, %d requests; input has %d bytes, %d lines", st, len(log.Requests), len(data), lines)
	}
	if len(log.Warnings) > maxBadReports+4 {
		t.Fatalf("%d warnings", len(log.Warnings))
	}
	prev := 0
	for _, e := range log.Requests {
		if e.Line <= prev || e.Line > lines || e.Duration < 0 || e.Start.Before(minTime) || !e.Start.Before(maxTime) {
			t.Fatalf("entry %+v after line %d", e, prev)
		}
		prev = e.Line
	}
}

// checkAlign lines the log up with a run around its first request and
// checks that every request is accounted for once.
func checkAlign(t *testing.T, log *Log) {
	t.Helper()
	run := traceRun()
	first := log.Requests[0].Start
	run.WallStart = &first
	reqs, a, err := Align(log, run, nil)
	if err != nil {
		t.Fatal(err)
	}
	if a.InWindow+a.Open+a.Before+a.After != len(log.Requests) || len(reqs) != a.InWindow+a.Open {
		t.Fatalf("alignment %+v of %d requests returned %d", a, len(log.Requests), len(reqs))
	}
	byLine := make(map[int]Entry)
	for _, e := range log.Requests {
		byLine[e.Line] = e
	}
	for _, r := range reqs {
		if r.End < r.Start || r.End < run.Start || r.Start > run.End || r.Open != (r.Start < run.Start || r.End > run.End) {
			t.Fatalf("request %+v outside window %d..%d", r, run.Start, run.End)
		}
		if a.IDs == "line" && r.Duration() != byLine[int(r.ID)].Duration {
			t.Fatalf("request %+v from %+v", r, byLine[int(r.ID)])
		}
	}
}
