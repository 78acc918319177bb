// Package units is gcwatch's one home for the units people read and write.
// It reads the sizes people write for Go's memory settings and container
// limits ("2GiB", "512MiB", "1.5GB", "1048576"), for the command line and
// for ingest, which reads the same values from capture manifests; it holds
// the types that write GOGC and memory limits, in the environment's form
// and in gcwatch's JSON (one convention for every document); and it
// formats the sizes and durations that reports, verdicts and messages show.
package units

import (
	"fmt"
	"math"
	"strconv"
	"strings"
)

var sizeUnits = []struct {
	suffix string
	mult   float64
}{
	{"kib", 1 << 10}, {"mib", 1 << 20}, {"gib", 1 << 30}, {"tib", 1 << 40},
	{"kb", 1e3}, {"mb", 1e6}, {"gb", 1e9}, {"tb", 1e12},
	{"ki", 1 << 10}, {"mi", 1 << 20}, {"gi", 1 << 30}, {"ti", 1 << 40},
	{"k", 1e3}, {"m", 1e6}, {"g", 1e9}, {"t", 1e12},
	{"b", 1},
}

// ParseSize reads a byte size as GOMEMLIMIT and container limits are
// written: a number with an optional unit (B, KiB/MiB/GiB/TiB, Ki/Mi/…,
// KB/MB/GB/TB, K/M/G/T), case-insensitive.
func ParseSize(s string) (int64, error) {
	t := strings.ToLower(strings.TrimSpace(s))
	mult := 1.0
	for _, u := range sizeUnits {
		if strings.HasSuffix(t, u.suffix) {
			t, mult = strings.TrimSpace(strings.TrimSuffix(t, u.suffix)), u.mult
			break
		}
	}
	v, err := strconv.ParseFloat(t, 64)
	if err != nil || v < 0 || math.IsInf(v, 0) || math.IsNaN(v) {
		return 0, fmt.Errorf("%q is not a size (examples: 2GiB, 512MiB, 1.5GB, 1048576)", s)
	}
	b := v * mult
	if b > math.MaxInt64/2 {
		return 0, fmt.Errorf("%q is too large", s)
	}
	return int64(b), nil
}
