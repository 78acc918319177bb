package latencylog

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// at is a UTC wall time on 2026-11-26, the date of most cases.
func at(h, m, s, ns int) time.Time { return time.Date(2026, 11, 26, h, m, s, ns, time.UTC) }

// unix2026 is at(10, 0, 0, 0) as unix seconds, computed here by hand
// rather than by the time package: 56 years from 1970 with 14 leap days,
// plus 329 days to 26 November, plus 10 hours.
const unix2026 = (56*365+14+329)*86400 + 10*3600

func TestUnixConstant(t *testing.T) {
	if got := at(10, 0, 0, 0).Unix(); got != unix2026 {
		t.Fatalf("unix2026 = %d, time package says %d", int64(unix2026), got)
	}
}

func TestParseOneLine(t *testing.T) {
	paris := time.FixedZone("paris", 3600)
	for _, tc := range []struct {
		name  string
		line  string
		opts  Options
		want  Entry
		warns []string // substrings of warnings, in order
	}{
		{"rfc3339 nano, duration_ms fraction", `{"start":"2026-11-26T10:00:00.123456789Z","duration_ms":12.5,"id":"a1","route":"/x"}`,
			Options{}, Entry{Start: at(10, 0, 0, 123456789), Duration: 12500 * time.Microsecond, ID: "a1", Type: "/x"}, nil},
		{"unix seconds float, bare latency in seconds", `{"ts":1795687200.123456,"latency":0.0125}`,
			Options{}, Entry{Start: at(10, 0, 0, 123456000), Duration: 12500 * time.Microsecond}, []string{`field "ts"`}},
		{"unix ms, duration_us", `{"start":1795687200123,"duration_us":12500}`,
			Options{}, Entry{Start: at(10, 0, 0, 123000000), Duration: 12500 * time.Microsecond}, nil},
		{"unix µs, duration_ns", `{"start":1795687200123456,"duration_ns":12500000}`,
			Options{}, Entry{Start: at(10, 0, 0, 123456000), Duration: 12500 * time.Microsecond}, nil},
		{"unix ns as a string, Go duration", `{"start":"1795687200123456789","duration":"12.5ms"}`,
			Options{}, Entry{Start: at(10, 0, 0, 123456789), Duration: 12500 * time.Microsecond}, nil},
		{"exponent, ms as a string", `{"start":1.7956872001234e9,"elapsed_ms":"3"}`,
			Options{}, Entry{Start: at(10, 0, 0, 123400000), Duration: 3 * time.Millisecond}, nil},
		{"zone with colon", `{"start":"2026-11-26T11:00:00.5+01:00","duration_ms":1}`,
			Options{}, Entry{Start: at(10, 0, 0, 5e8), Duration: time.Millisecond}, nil},
		{"space and basic zone", `{"start":"2026-11-26 08:30:00,25-0130","duration_ms":1}`,
			Options{}, Entry{Start: at(10, 0, 0, 25e7), Duration: time.Millisecond}, nil},
		{"Go's time.Time.String", `{"start":"2026-11-26 10:00:00.5 +0000 UTC m=+0.000000001","duration_ms":1}`,
			Options{}, Entry{Start: at(10, 0, 0, 5e8), Duration: time.Millisecond}, nil},
		{"lower-case t and z", `{"start":"2026-11-26t10:00:00z","duration_ms":1}`,
			Options{}, Entry{Start: at(10, 0, 0, 0), Duration: time.Millisecond}, nil},
		{"no zone: UTC with a warning", `{"start":"2026-11-26T10:00:00","duration_ms":1}`,
			Options{}, Entry{Start: at(10, 0, 0, 0), Duration: time.Millisecond}, []string{"x:1: start times carry no time zone"}},
		{"no zone: the caller's location", `{"start":"2026-11-26T11:00:00","duration_ms":1}`,
			Options{Location: paris}, Entry{Start: at(10, 0, 0, 0), Duration: time.Millisecond}, nil},
		{"end instead of a duration", `{"start":"2026-11-26T10:00:00Z","end":"2026-11-26T10:00:01.5Z"}`,
			Options{}, Entry{Start: at(10, 0, 0, 0), Duration: 1500 * time.Millisecond}, nil},
		{"duration wins over end", `{"start":"2026-11-26T10:00:00Z","end":"2026-11-26T10:00:01.5Z","duration_ms":7}`,
			Options{}, Entry{Start: at(10, 0, 0, 0), Duration: 7 * time.Millisecond}, nil},
		{"method and url", `{"start":"2026-11-26T10:00:00Z","duration_ms":1,"method":"GET","url":"https://h:8/users/3?x=1","status":200,"request_id":17}`,
			Options{}, Entry{Start: at(10, 0, 0, 0), Duration: time.Millisecond, Type: "GET /users/3", Status: "200", ID: "17"}, nil},
		{"camel case and @", `{"@startTime":"2026-11-26T10:00:00Z","durationMs":2,"requestId":"r"}`,
			Options{}, Entry{Start: at(10, 0, 0, 0), Duration: 2 * time.Millisecond, ID: "r"}, nil},
		{"start preferred to time", `{"time":"2026-11-26T10:00:09Z","start":"2026-11-26T10:00:00Z","duration_ms":2}`,
			Options{}, Entry{Start: at(10, 0, 0, 0), Duration: 2 * time.Millisecond}, nil},
		{"unit name preferred to bare", `{"start":"2026-11-26T10:00:00Z","duration":9,"duration_ms":2}`,
			Options{}, Entry{Start: at(10, 0, 0, 0), Duration: 2 * time.Millisecond}, nil},
		{"nested override", `{"when":"2026-11-26T10:00:00Z","http":{"resp":{"took_ms":4},"x":[1,{"y":"}"}]}}`,
			Options{StartField: "when", DurationField: "http.resp.took_ms"}, Entry{Start: at(10, 0, 0, 0), Duration: 4 * time.Millisecond}, nil},
		{"override with a unit", `{"when":"2026-11-26T10:00:00Z","rt":4,"duration_ms":99}`,
			Options{StartField: "when", DurationField: "rt", DurationUnit: time.Microsecond}, Entry{Start: at(10, 0, 0, 0), Duration: 4 * time.Microsecond}, nil},
		{"override unit from its suffix", `{"when":"2026-11-26T10:00:00Z","resp_time_us":4}`,
			Options{StartField: "when", DurationField: "resp_time_us"}, Entry{Start: at(10, 0, 0, 0), Duration: 4 * time.Microsecond}, nil},
		{"start is the end", `{"time":"2026-11-26T10:00:01Z","latency_ms":250}`,
			Options{StartIsEnd: true}, Entry{Start: at(10, 0, 0, 75e7), Duration: 250 * time.Millisecond}, nil},
		{"start is the end, but not with an end", `{"time":"2026-11-26T10:00:00Z","end":"2026-11-26T10:00:00.25Z"}`,
			Options{StartIsEnd: true}, Entry{Start: at(10, 0, 0, 0), Duration: 250 * time.Millisecond}, nil},
		{"rounding to the nanosecond", `{"start":"2026-11-26T10:00:00Z","duration_ms":0.0000005}`,
			Options{}, Entry{Start: at(10, 0, 0, 0), Duration: 1}, nil},
		{"escaped names and values", `{"st\u0061rt":"2026-11-26T10:00:00Z","duration_ms":1,"route":"/a\"b"}`,
			Options{}, Entry{Start: at(10, 0, 0, 0), Duration: time.Millisecond, Type: `/a"b`}, nil},
		{"null and odd id", `{"start":"2026-11-26T10:00:00Z","duration_ms":1,"id":{"a":1},"route":null}`,
			Options{}, Entry{Start: at(10, 0, 0, 0), Duration: time.Millisecond}, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			log, err := ParseWith(strings.NewReader(tc.line+"\n"), "x", tc.opts)
			if err != nil {
				t.Fatal(err)
			}
			tc.want.Line = 1
			if len(log.Requests) != 1 {
				t.Fatalf("requests %+v, warnings %q", log.Requests, log.Warnings)
			}
			if diff := cmp.Diff(tc.want, log.Requests[0]); diff != "" {
				t.Errorf("entry (-want +got):\n%s", diff)
			}
			checkWarnings(t, log.Warnings, tc.warns)
			if log.Format != "jsonl" || log.Stats != (Stats{Bytes: int64(len(tc.line) + 1), Lines: 1, Parsed: 1}) {
				t.Errorf("format %q, stats %+v", log.Format, log.Stats)
			}
		})
	}
}

func checkWarnings(t *testing.T, got, want []string) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("warnings %q, want %d like %q", got, len(want), want)
	}
	for i := range want {
		if !strings.Contains(got[i], want[i]) {
			t.Errorf("warning %d is %q, want it to contain %q", i, got[i], want[i])
		}
	}
}

func TestParseCSV(t *testing.T) {
	for _, tc := range []struct {
		name, text string
	}{
		{"comma", "id,start,duration_ms,route\n1,2026-11-26T10:00:00Z,1.5,/a\n2,2026-11-26T10:00:01Z,2,\"/b,c\"\n"},
		{"tab, CRLF, BOM", "\xef\xbb\xbfid\tstart\tduration_ms\troute\r\n1\t2026-11-26T10:00:00Z\t1.5\t/a\r\n2\t2026-11-26T10:00:01Z\t2\t/b,c\r\n"},
		{"semicolon, quoted header, spaces", `"ID" ; "Start Time" ; "Duration (ms)" ; Route` + "\n1; 2026-11-26T10:00:00Z ;1.5; /a\n2;\"2026-11-26T10:00:01Z\";2;\"/b,c\"\n"},
		{"unix seconds, end column", "id,ts,end,route\n1,1795687200,1795687200.0015,/a\n2,1795687201,1795687201.002,\"/b,c\"\n"},
		{"repeated header, comment, blank", "id,start,duration_ms,route\n1,2026-11-26T10:00:00Z,1.5,/a\n\n# more\nid,start,duration_ms,route\n2,2026-11-26T10:00:01Z,2,\"/b,c\"\n"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			log, err := Parse(strings.NewReader(tc.text), "x.csv")
			if err != nil {
				t.Fatal(err)
			}
			var got []Entry
			for _, e := range log.Requests {
				e.Line = 0
				got = append(got, e)
			}
			want := []Entry{
				{Start: at(10, 0, 0, 0), Duration: 1500 * time.Microsecond, ID: "1", Type: "/a"},
				{Start: at(10, 0, 1, 0), Duration: 2 * time.Millisecond, ID: "2", Type: "/b,c"},
			}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("entries (-want +got):\n%s\nwarnings %q", diff, log.Warnings)
			}
			st := log.Stats
			if log.Format != "csv" || st.Parsed != 2 || st.Bad != 0 || st.Lines != st.Parsed+st.Skipped {
				t.Errorf("format %q, stats %+v", log.Format, st)
			}
		})
	}
}

func TestBadLines(t *testing.T) {
	text := strings.Join([]string{
		`{"start":"2026-11-26T10:00:00Z","duration_ms":1}`,
		`{"start":"2026-11-26T10:00:00Z","duration_ms":1`,               // 2: cut
		`{"start":"2026-11-26T10:00:00Z","duration_ms":-1}`,             // 3: negative
		`{"start":"2026-11-26T10:00:00Z"}`,                              // 4: no duration
		`{"start":"yesterday","duration_ms":1}`,                         // 5: bad start
		`{"start":"2026-11-26T10:00:00Z","duration":"soon"}`,            // 6: bad duration
		`{"start":true,"duration_ms":1}`,                                // 7: not a string
		`{"start":"2026-11-26T10:00:01Z","end":"2026-11-26T10:00:00Z"}`, // 8: end before start
		`{"time":"2026-11-26T10:00:00Z","msg":"listening"}`,             // 9: not a request: skipped
		`plain text`,                        // 10
		``,                                  // 11: blank: skipped
		`{"start":-5,"duration_ms":1}`,      // 12: before 1970
		`{"start":"1e400","duration_ms":1}`, // 13
		`{"start":"2026-11-26T10:00:00Z","duration_ms":1e30}`, // 14: out of range
		`{"start":"2026-11-26T10:00:02Z","duration_ms":3}`,
	}, "\n")
	log, err := Parse(strings.NewReader(text), "app.log")
	if err != nil {
		t.Fatal(err)
	}
	wantBad := []string{
		"app.log:2: not a JSON object",
		`app.log:3: duration "duration_ms": "-1" is negative`,
		"app.log:4: no duration",
		`app.log:5: start "start": "yesterday" is neither RFC 3339 nor a unix time`,
		`app.log:6: duration "duration": "soon" is neither a number nor a Go duration`,
		`app.log:7: start "start" is a boolean`,
		`app.log:8: end "end": 2026-11-26 10:00:00 +0000 UTC is before the start`,
		"app.log:10: not a JSON object",
		`app.log:12: start "start": unix time -5 is not after 1970`,
		`app.log:13: start "start": "1e400" is not a number in range`,
		`app.log:14: duration "duration_ms": 1e30 is out of range`,
	}
	checkWarnings(t, log.Warnings, wantBad)
	if st := log.Stats; st.Lines != 15 || st.Parsed != 2 || st.Bad != 11 || st.Skipped != 2 {
		t.Errorf("stats %+v", st)
	}
	if len(log.Requests) != 2 || log.Requests[0].Line != 1 || log.Requests[1].Line != 15 {
		t.Errorf("requests %+v", log.Requests)
	}
}

func TestManyBadLinesCapped(t *testing.T) {
	var b strings.Builder
	for range 100 {
		b.WriteString("{\"start\":\"x\",\"duration_ms\":1}\n")
	}
	b.WriteString(`{"start":"2026-11-26T10:00:00Z","duration_ms":1}`)
	log, err := Parse(strings.NewReader(b.String()), "x")
	if err != nil {
		t.Fatal(err)
	}
	if len(log.Warnings) != maxBadReports+1 || !strings.Contains(log.Warnings[maxBadReports], "80 more bad lines") || log.Stats.Bad != 100 {
		t.Errorf("stats %+v, %d warnings, last %q", log.Stats, len(log.Warnings), log.Warnings[len(log.Warnings)-1])
	}
}

func TestLongLines(t *testing.T) {
	long := `{"start":"2026-11-26T10:00:00Z","duration_ms":1,"pad":"` + strings.Repeat("x", 300000) + `"}`
	good := `{"start":"2026-11-26T10:00:00Z","duration_ms":2,"pad":"` + strings.Repeat("x", 90000) + `"}`
	text := long + "\n" + good + "\n" + strings.Repeat("y", 200) + "\n" + long
	log, err := ParseWith(strings.NewReader(text), "x", Options{MaxLineBytes: 100000})
	if err != nil {
		t.Fatal(err)
	}
	if st := log.Stats; st.Lines != 4 || st.Bad != 3 || st.Parsed != 1 || st.Bytes != int64(len(text)) {
		t.Errorf("stats %+v", st)
	}
	checkWarnings(t, log.Warnings, []string{"x:1: line longer than 100000 bytes", "x:3: not a JSON object", "x:4: line longer"})
	if len(log.Requests) != 1 || log.Requests[0].Line != 2 || log.Requests[0].Duration != 2*time.Millisecond {
		t.Errorf("requests %+v", log.Requests)
	}
}

func TestNotALog(t *testing.T) {
	for _, tc := range []struct{ name, text, why string }{
		{"empty", "", "it has no lines"},
		{"blank", "\n  \n# c\n", "it has no lines"},
		{"text", "hello, world\nbye\n", `line 1 is not a CSV header naming a start column and a duration or end column (columns: "hello, world")`},
		{"csv without duration", "start,route\n2026-11-26T10:00:00Z,/a\n", "columns: \"start, route\""},
		{"csv without rows", "start,duration_ms\n", "the CSV header has no rows"},
		{"json without requests", "{\"msg\":\"hi\"}\n{\"msg\":\"bye\"}\n", "no JSON object has a start and a duration"},
		{"json all bad", "{\"start\":\"x\",\"duration_ms\":1}\n", `the first: f:1: start "start": "x" is neither`},
		{"gctrace in docker json", `{"log":"gc 1 @0.012s 1%: 0.1+1+0.1 ms clock","stream":"stderr","time":"2026-11-26T10:00:00Z"}`, "no JSON object has a start and a duration"},
		{"start without duration", `{"start":"2026-11-26T10:00:00Z"}`, "f:1: no duration"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Parse(strings.NewReader(tc.text), "f")
			if err == nil || !errors.Is(err, ErrNotLatencyLog) || !strings.HasPrefix(err.Error(), "f: not a latency log") || !strings.Contains(err.Error(), tc.why) {
				t.Fatalf("error %v, want one about %q", err, tc.why)
			}
		})
	}
}

func TestWarnSecondsThatLookLikeNanoseconds(t *testing.T) {
	// log/slog's JSON handler writes a time.Duration as integer nanoseconds.
	text := `{"time":"2026-11-26T10:00:00Z","msg":"req","duration":12500000}` + "\n" +
		`{"time":"2026-11-26T10:00:01Z","msg":"req","duration":3000000}` + "\n"
	log, err := Parse(strings.NewReader(text), "slog.json")
	if err != nil {
		t.Fatal(err)
	}
	checkWarnings(t, log.Warnings, []string{`field "time"`, "median is 3472h13m20s"})
	log, err = ParseWith(strings.NewReader(text), "slog.json", Options{DurationUnit: time.Nanosecond, StartIsEnd: true})
	if err != nil {
		t.Fatal(err)
	}
	checkWarnings(t, log.Warnings, nil)
	if d := log.Requests[0].Duration; d != 12500*time.Microsecond {
		t.Errorf("duration %v", d)
	}
}
