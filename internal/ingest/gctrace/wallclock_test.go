package gctrace

import (
	"testing"
	"time"
)

func TestLineStamp(t *testing.T) {
	utc := func(h, m, s, ns int) time.Time { return time.Date(2026, 11, 26, h, m, s, ns, time.UTC) }
	tests := []struct {
		line string
		want time.Time
		kind stampKind
	}{
		{"2026-11-26T10:00:00Z gc", utc(10, 0, 0, 0), stampFull},
		{"2026-11-26T10:00:00.123456789Z gc", utc(10, 0, 0, 123456789), stampFull},
		{"2026-11-26 10:00:00,5 gc", utc(10, 0, 0, 5e8), stampNoZone},
		{"2026-11-26T12:30:00+02:30 x", utc(10, 0, 0, 0), stampFull},
		{"2026-11-26T05:00:00-0500 x", utc(10, 0, 0, 0), stampFull},
		{"2026-11-26T10:00:00+0000 x", utc(10, 0, 0, 0), stampFull},
		{"2026/11/26 10:00:00.000001 x", utc(10, 0, 0, 1000), stampNoZone},
		{"  [2026-11-26T10:00:00Z] x", utc(10, 0, 0, 0), stampFull},
		{"<13>1 2026-11-26T10:00:00.5Z host", utc(10, 0, 0, 5e8), stampFull},
		{"<13>Nov 26 10:00:00 host", time.Time{}, stampNoYear},
		{"Nov  6 10:00:00 host", time.Time{}, stampNoYear},
		{`{"time": "2026-11-26T10:00:00Z", "log": "x"}`, utc(10, 0, 0, 0), stampFull},
		{`{"ts":1795687200,"log":"x"}`, utc(10, 0, 0, 0), stampFull},
		{`{"ts":1795687200250,"log":"x"}`, utc(10, 0, 0, 250e6), stampFull},
		{`{"__REALTIME_TIMESTAMP":"1795687200250001","MESSAGE":"x"}`, utc(10, 0, 0, 250001000), stampFull},
		{`{"ts":"1795687200250000007"}`, utc(10, 0, 0, 250000007), stampFull},
		{`{"ts":17956872002500000070}`, time.Time{}, stampNone},
		{`{"ts":17956872}`, time.Time{}, stampNone},
		{`{"log":"the \"time\":\"2000-01-01T00:00:00Z\" inside","stream":"stderr"}`, time.Time{}, stampNone},
		{`{"time":"yesterday","timestamp":"2026-11-26T10:00:00Z"}`, utc(10, 0, 0, 0), stampFull},
		{"2026-13-26T10:00:00Z bad month", time.Time{}, stampNone},
		{"2026-11-26T24:00:00Z bad hour", time.Time{}, stampNone},
		{"2026-11-26T10:00:00+25:00 bad zone", utc(10, 0, 0, 0), stampNoZone},
		{"Foo 26 10:00:00 not a month", time.Time{}, stampNone},
		{"gc 1 @0.1s", time.Time{}, stampNone},
		{"", time.Time{}, stampNone},
	}
	for _, tt := range tests {
		got, kind := lineStamp([]byte(tt.line))
		if kind != tt.kind || !got.Equal(tt.want) {
			t.Errorf("lineStamp(%q) = %v, %d; want %v, %d", tt.line, got, kind, tt.want, tt.kind)
		}
	}
}
