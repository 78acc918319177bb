package latencylog

import (
	"fmt"
	"math/big"
	"math/rand/v2"
	"strings"
	"testing"
	"time"
)

// TestEncodingsRoundTrip writes random requests in every time and duration
// encoding the package reads, with the time package and fmt, and checks
// that each reads back to the nanosecond.
func TestEncodingsRoundTrip(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	lo := time.Date(1974, 1, 1, 0, 0, 0, 0, time.UTC).UnixNano()
	hi := time.Date(2261, 12, 31, 0, 0, 0, 0, time.UTC).UnixNano()
	startEnc := []func(time.Time) string{
		func(s time.Time) string {
			zone := time.FixedZone("z", (rng.IntN(105)-52)*15*60)
			return `"` + s.In(zone).Format(time.RFC3339Nano) + `"`
		},
		func(s time.Time) string { return fmt.Sprintf("%d.%09d", s.Unix(), s.Nanosecond()) },
		func(s time.Time) string { return fmt.Sprintf(`"%d.%06d"`, s.UnixNano()/1e6, s.UnixNano()%1e6) },
		func(s time.Time) string { return fmt.Sprintf("%d.%03d", s.UnixNano()/1e3, s.UnixNano()%1e3) },
		func(s time.Time) string { return fmt.Sprintf(`"%d"`, s.UnixNano()) },
		func(s time.Time) string { return fmt.Sprint(s.UnixNano()) },
	}
	durEnc := []func(time.Duration) string{
		func(d time.Duration) string {
			return fmt.Sprintf(`"duration_ms":%d.%06d`, d/time.Millisecond, d%time.Millisecond)
		},
		func(d time.Duration) string {
			return fmt.Sprintf(`"latency_us":"%d.%03d"`, d/time.Microsecond, d%time.Microsecond)
		},
		func(d time.Duration) string { return fmt.Sprintf(`"elapsed_ns":%d`, d) },
		func(d time.Duration) string { return fmt.Sprintf(`"duration":"%s"`, d) },
		func(d time.Duration) string { return fmt.Sprintf(`"took":%d.%09d`, d/time.Second, d%time.Second) },
		func(d time.Duration) string { return fmt.Sprintf(`"took_s":"%de-3"`, d/time.Millisecond) },
	}
	var text strings.Builder
	var want []Entry
	for i := range 3000 {
		s := time.Unix(0, lo+rng.Int64N(hi-lo)).UTC()
		d := time.Duration(rng.Int64N(int64(time.Hour)))
		de := rng.IntN(len(durEnc))
		if de == len(durEnc)-1 {
			d = d.Truncate(time.Millisecond)
		}
		fmt.Fprintf(&text, `{"start":%s,%s}`+"\n", startEnc[i%len(startEnc)](s), durEnc[de](d))
		want = append(want, Entry{Start: s, Duration: d, Line: i + 1})
	}
	log, err := Parse(strings.NewReader(text.String()), "x")
	if err != nil {
		t.Fatal(err)
	}
	if log.Stats.Parsed != len(want) {
		t.Fatalf("parsed %d of %d: %q", log.Stats.Parsed, len(want), log.Warnings)
	}
	for i, e := range log.Requests {
		if !e.Start.Equal(want[i].Start) || e.Duration != want[i].Duration || e.Line != want[i].Line {
			t.Errorf("line %d: got %v %v, want %v %v", i+1, e.Start, e.Duration, want[i].Start, want[i].Duration)
		}
	}
}

// TestScaleDecimal checks the exact fixed-point arithmetic against
// math/big on random numbers and units.
func TestScaleDecimal(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	units := []time.Duration{1, time.Microsecond, time.Millisecond, time.Second, time.Minute, 7}
	digits := func(n int) string {
		var b strings.Builder
		for range n {
			b.WriteByte(byte('0' + rng.IntN(10)))
		}
		return b.String()
	}
	for range 20000 {
		s := digits(1 + rng.IntN(12))
		if rng.IntN(2) == 0 {
			s += "." + digits(1+rng.IntN(22))
		}
		if rng.IntN(8) == 0 {
			s += fmt.Sprintf("e%d", rng.IntN(20)-10)
		}
		if rng.IntN(8) == 0 {
			s = "-" + s
		}
		unit := units[rng.IntN(len(units))]
		got, err := scaleDecimal(s, unit)
		want, ok := reference(s, unit)
		if !ok {
			if err == nil {
				t.Errorf("scaleDecimal(%s, %v) = %d, want an error", s, unit, got)
			}
			continue
		}
		if err != nil || got != want {
			t.Errorf("scaleDecimal(%s, %v) = %d, %v; want %d", s, unit, got, err, want)
		}
	}
}

// reference is s×unit rounded half away from zero, with math/big's
// rationals and a quotient and remainder.
func reference(s string, unit time.Duration) (int64, bool) {
	r, ok := new(big.Rat).SetString(s)
	if !ok {
		return 0, false
	}
	r.Mul(r, new(big.Rat).SetInt64(int64(unit)))
	num := new(big.Int).Abs(r.Num())
	q, rem := new(big.Int).QuoRem(num, r.Denom(), new(big.Int))
	if rem.Lsh(rem, 1).Cmp(r.Denom()) >= 0 {
		q.Add(q, big.NewInt(1))
	}
	if r.Sign() < 0 {
		q.Neg(q)
	}
	if !q.IsInt64() {
		return 0, false
	}
	return q.Int64(), true
}

func TestUnixMagnitude(t *testing.T) {
	// Each limit is tested by a value just below it, which would be a
	// valid 1973 date in the next unit but is out of range in its own, and
	// the limit itself, which is 1973 in the next unit.
	for _, tc := range []struct {
		in   string
		want time.Time // zero: out of range
	}{
		{"99999999999", time.Time{}},
		{"100000000000", time.Unix(100000000, 0)},
		{"99999999999999", time.Time{}},
		{"100000000000000", time.Unix(100000000, 0)},
		{"99999999999999999", time.Time{}},
		{"100000000000000000", time.Unix(100000000, 0)},
		{"1795687200.5", time.Unix(1795687200, 5e8)},
		{"1795687200123.4567", time.Unix(1795687200, 1234567e2)},
		{"9223372036854775807", time.Unix(0, 9223372036854775807)},
		{"9223372036854775808", time.Time{}},
	} {
		got, err := parseUnix(tc.in, 0)
		if tc.want.IsZero() {
			if err == nil || !strings.Contains(err.Error(), "out of range") {
				t.Errorf("parseUnix(%s) = %v, %v; want out of range", tc.in, got, err)
			}
			continue
		}
		if err != nil || !got.Equal(tc.want) {
			t.Errorf("parseUnix(%s) = %v, %v; want %v", tc.in, got, err, tc.want.UTC())
		}
	}
}
