package cli

import (
	"strings"
	"testing"
	"time"
)

func TestParseSize(t *testing.T) {
	for in, want := range map[string]int64{
		"2GiB": 2 << 30, "512MiB": 512 << 20, "1.5GB": 1_500_000_000, "1048576": 1 << 20,
		"64Mi": 64 << 20, "100 MB": 100e6, "3kib": 3072, "10B": 10,
	} {
		if got, err := parseSize(in); err != nil || got != want {
			t.Errorf("parseSize(%q) = %d, %v; want %d", in, got, err, want)
		}
	}
	for _, bad := range []string{"", "GiB", "-1GiB", "lots", "1e400", "NaN"} {
		if _, err := parseSize(bad); err == nil {
			t.Errorf("parseSize(%q) succeeded", bad)
		}
	}
	v := sizeValue{bytes: sizeUnset, allowOff: true}
	if err := v.Set("off"); err != nil || v.bytes != -1 {
		t.Errorf("off: %v %d", err, v.bytes)
	}
	// Go's "no limit" for GOMEMLIMIT.
	v = sizeValue{bytes: sizeUnset, allowOff: true}
	if err := v.Set("9223372036854775807"); err != nil || v.bytes != -1 {
		t.Errorf("math.MaxInt64: %v %d, want off", err, v.bytes)
	}
	v = sizeValue{bytes: sizeUnset}
	if err := v.Set("off"); err == nil {
		t.Errorf("a size that cannot be off accepted off")
	}
}

func TestSLOTooLarge(t *testing.T) {
	var o sloValue
	err := o.Set("p99=99999999999h")
	if err == nil || !strings.Contains(err.Error(), "too large") {
		t.Errorf("p99=99999999999h: %v, want too large", err)
	}
	for _, bad := range []string{"p99=fast", "p99=-5ms", "p99=5"} {
		if err := o.Set(bad); err == nil || strings.Contains(err.Error(), "too large") {
			t.Errorf("%s: %v, want not a positive duration", bad, err)
		}
	}
}

func TestGOGCAndSLOValues(t *testing.T) {
	var g gogcValue
	for in, want := range map[string]int{"100": 100, "off": -1, "OFF": -1, "0": 0} {
		if err := g.Set(in); err != nil || g.v != want {
			t.Errorf("gogc %q = %d, %v", in, g.v, err)
		}
	}
	for _, bad := range []string{"-5", "1.5", "x"} {
		if err := g.Set(bad); err == nil {
			t.Errorf("gogc %q accepted", bad)
		}
	}
	var o sloValue
	if err := o.Set("p99=50ms"); err != nil || o.quantile != 0.99 || o.target != 50*time.Millisecond {
		t.Errorf("slo: %v %+v", err, o)
	}
	if err := o.Set("p99.9=1s"); err != nil || o.quantile < 0.9989 || o.quantile > 0.9991 || o.target != time.Second {
		t.Errorf("slo p99.9: %v %+v", err, o)
	}
	for _, bad := range []string{"p99", "p100=1ms", "q99=1ms", "p99=-1ms", "p99=fast"} {
		if err := o.Set(bad); err == nil {
			t.Errorf("slo %q accepted", bad)
		}
	}
}
