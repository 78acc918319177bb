package cli

import (
	"fmt"
	"math"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/gcwatch/gcwatch/internal/units"
)

// Flag values with units. Each implements pflag.Value, so that a bad value
// is a usage error naming the flag.

// sizeValue is a byte size: "2GiB", "512MiB", "1.5GB", "1048576", or
// "off" when allowOff (stored as -1). Unset is -2.
type sizeValue struct {
	bytes    int64
	allowOff bool
}

const sizeUnset = -2

func parseSize(s string) (int64, error) { return units.ParseSize(s) }

func (v *sizeValue) Set(s string) error {
	t := strings.TrimSpace(s)
	// math.MaxInt64 is what Go itself means by no limit (GOMEMLIMIT's
	// default, as debug.SetMemoryLimit and /metrics report it).
	if v.allowOff && (strings.EqualFold(t, "off") || t == strconv.FormatInt(math.MaxInt64, 10)) {
		v.bytes = -1
		return nil
	}
	b, err := parseSize(s)
	if err != nil {
		return err
	}
	// A bare number is bytes, as GOMEMLIMIT reads it; a small one is
	// almost surely a size written without its unit ("512" for 512MiB).
	if _, numErr := strconv.ParseFloat(t, 64); numErr == nil && b > 0 && b < bareSizeMin {
		return fmt.Errorf("%q has no unit, so it is %d bytes: write the unit (%sMiB, %sGiB, or %sB if bytes are meant)", s, b, t, t, t)
	}
	v.bytes = b
	return nil
}

// bareSizeMin is the smallest size accepted without a unit: 1 MiB. Below
// it a bare number is refused, since no memory budget or limit is a few
// hundred bytes; 1048576 and the bytes /metrics reports still read.
const bareSizeMin = 1 << 20

func (v *sizeValue) String() string {
	switch {
	case v.bytes == sizeUnset:
		return ""
	case v.bytes < 0:
		return "off"
	}
	return strconv.FormatInt(v.bytes, 10)
}

func (v *sizeValue) Type() string { return "size" }

// gogcValue is a GOGC setting: a whole number ≥ 0 or "off" (-1). Unset is
// -2.
type gogcValue struct{ v int }

func (g *gogcValue) Set(s string) error {
	s = strings.TrimSpace(s)
	if strings.EqualFold(s, "off") {
		g.v = -1
		return nil
	}
	n, err := strconv.Atoi(s)
	if err != nil || n < 0 {
		return fmt.Errorf("%q is not a GOGC value (a whole number, or off)", s)
	}
	g.v = n
	return nil
}

func (g *gogcValue) String() string {
	if g.v == sizeUnset {
		return ""
	}
	return units.GOGC(g.v).String()
}

func (g *gogcValue) Type() string { return "gogc" }

// sloValue is a latency objective: "p99=50ms", "p99.9=200ms".
type sloValue struct {
	quantile float64
	target   time.Duration
}

func (o *sloValue) Set(s string) error {
	name, val, ok := strings.Cut(strings.TrimSpace(s), "=")
	if !ok {
		return fmt.Errorf("%q is not an objective (example: p99=50ms)", s)
	}
	name = strings.ToLower(strings.TrimSpace(name))
	if !strings.HasPrefix(name, "p") {
		return fmt.Errorf("%q: the objective names a percentile, such as p99 or p99.9", s)
	}
	pct, err := strconv.ParseFloat(name[1:], 64)
	if err != nil || pct <= 0 || pct >= 100 {
		return fmt.Errorf("%q: %q is not a percentile between p0 and p100", s, name)
	}
	val = strings.TrimSpace(val)
	d, err := time.ParseDuration(val)
	if err != nil && durationSyntax.MatchString(val) {
		return fmt.Errorf("%q: %q is too large a duration (at most about 2562047h)", s, val)
	}
	if err != nil || d <= 0 {
		return fmt.Errorf("%q: %q is not a positive duration (example: 50ms)", s, val)
	}
	o.quantile, o.target = pct/100, d
	return nil
}

// durationSyntax is what time.ParseDuration reads; a string of this form
// that it refuses is out of range.
var durationSyntax = regexp.MustCompile(`^[-+]?((\d+\.?\d*|\.\d+)(ns|us|µs|μs|ms|s|m|h))+$`)

func (o *sloValue) String() string {
	if o.target == 0 {
		return ""
	}
	return fmt.Sprintf("p%s=%s", strconv.FormatFloat(o.quantile*100, 'f', -1, 64), o.target)
}

func (o *sloValue) Type() string { return "slo" }
