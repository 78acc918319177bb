package units

import (
	"encoding/json"
	"testing"
)

func TestSettingJSON(t *testing.T) {
	for _, tc := range []struct {
		s    Setting
		json string
		text string
	}{
		{Setting{GOGC: 200, MemoryLimit: LimitOff}, `{"gogc":200,"memlimit_bytes":"off"}`, "GOGC=200 GOMEMLIMIT=off"},
		{Setting{GOGC: GOGCOff, MemoryLimit: 512 << 20}, `{"gogc":"off","memlimit_bytes":536870912}`, "GOGC=off GOMEMLIMIT=512MiB"},
		{Setting{GOGC: 0, MemoryLimit: 1000}, `{"gogc":0,"memlimit_bytes":1000}`, "GOGC=0 GOMEMLIMIT=1000"},
		{Setting{GOGC: -7, MemoryLimit: -3}, `{"gogc":"off","memlimit_bytes":"off"}`, "GOGC=off GOMEMLIMIT=off"},
	} {
		b, err := json.Marshal(tc.s)
		if err != nil || string(b) != tc.json {
			t.Errorf("%v: %s, %v; want %s", tc.s, b, err, tc.json)
		}
		if s := tc.s.String(); s != tc.text {
			t.Errorf("%v: %q, want %q", tc.s, s, tc.text)
		}
		var back Setting
		if err := json.Unmarshal(b, &back); err != nil || back.String() != tc.text {
			t.Errorf("%s read back as %v (%v)", b, back, err)
		}
	}
	for _, bad := range []string{`{"gogc":-1}`, `{"gogc":"100"}`, `{"gogc":1.5}`, `{"memlimit_bytes":"1GiB"}`, `{"memlimit_bytes":-1}`, `{"memlimit_bytes":"OFF"}`} {
		var s Setting
		if err := json.Unmarshal([]byte(bad), &s); err == nil {
			t.Errorf("%s read as %v, want an error", bad, s)
		}
	}
}
