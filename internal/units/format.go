package units

import (
	"fmt"
	"strconv"
)

// The units people read. Every report, verdict and message that shows a
// size or a duration to a person formats it here, so that one value reads
// the same wherever it appears. GOGC and memory limits are written by the
// String methods of GOGC, Limit and Setting (settings.go).

// Ms is a duration in milliseconds for a table or a sentence, with the
// precision its size deserves: "0 ms", "4.2 µs", "0.350 ms", "12.50 ms",
// "850 ms", "12.50 s".
func Ms(v float64) string {
	switch {
	case v == 0:
		return "0 ms"
	case v < 0.01:
		return fmt.Sprintf("%.1f µs", v*1000)
	case v < 1:
		return fmt.Sprintf("%.3f ms", v)
	case v < 100:
		return fmt.Sprintf("%.2f ms", v)
	case v < 10000:
		return fmt.Sprintf("%.0f ms", v)
	default:
		return fmt.Sprintf("%.2f s", v/1000)
	}
}

// Window is the width of an MMU window given in milliseconds, as the
// shortest number in the largest unit that keeps it at 1 or more:
// "500µs", "10ms", "1s".
func Window(ms float64) string {
	switch {
	case ms < 1:
		return fmt.Sprintf("%gµs", ms*1000)
	case ms < 1000:
		return fmt.Sprintf("%gms", ms)
	default:
		return fmt.Sprintf("%gs", ms/1000)
	}
}

// Bytes is a size for a table: bytes below 1 KiB, else one decimal in the
// largest binary unit up to TiB ("512 B", "1.5 MiB"); "?" for a negative
// (unknown) size.
func Bytes(b int64) string {
	if b < 0 {
		return "?"
	}
	const unit = 1024
	if b < unit {
		return fmt.Sprintf("%d B", b)
	}
	v, i := float64(b), 0
	names := []string{"KiB", "MiB", "GiB", "TiB"}
	for v /= unit; v >= unit && i < len(names)-1; i++ {
		v /= unit
	}
	return fmt.Sprintf("%.1f %s", v, names[i])
}

// BytesPerSecond is a rate as Bytes writes sizes, with "/s".
func BytesPerSecond(v float64) string {
	return Bytes(int64(v)) + "/s"
}

// Size is a size in a verdict's sentence, where a heap or a peak is
// compared with a budget: whole KiB below 1 MiB, one decimal of MiB, two
// of GiB ("640 KiB", "97.3 MiB", "1.25 GiB"); a negative size is
// "unbounded" (a peak that nothing limits).
func Size(b int64) string {
	switch {
	case b < 0:
		return "unbounded"
	case b >= 1<<30:
		return fmt.Sprintf("%.2f GiB", float64(b)/(1<<30))
	case b >= 1<<20:
		return fmt.Sprintf("%.1f MiB", float64(b)/(1<<20))
	default:
		return fmt.Sprintf("%d KiB", b>>10)
	}
}

// ExactSize is a size someone chose, such as a cap: "64 MiB" when it is a
// whole number of MiB, else "1000 bytes".
func ExactSize(n int64) string {
	if n >= 1<<20 && n%(1<<20) == 0 {
		return strconv.FormatInt(n>>20, 10) + " MiB"
	}
	return strconv.FormatInt(n, 10) + " bytes"
}
