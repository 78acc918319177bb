package units

import (
	"math"
	"testing"
)

func TestFormat(t *testing.T) {
	for _, tc := range []struct {
		got, want string
	}{
		{Ms(0), "0 ms"},
		{Ms(0.0042), "4.2 µs"},
		{Ms(0.0099), "9.9 µs"},
		{Ms(0.01), "0.010 ms"},
		{Ms(0.35), "0.350 ms"},
		{Ms(1), "1.00 ms"},
		{Ms(12.5), "12.50 ms"},
		{Ms(99.994), "99.99 ms"},
		{Ms(100), "100 ms"},
		{Ms(9999.4), "9999 ms"},
		{Ms(10000), "10.00 s"},
		{Ms(123456), "123.46 s"},

		{Window(0.5), "500µs"},
		{Window(1), "1ms"},
		{Window(10), "10ms"},
		{Window(999), "999ms"},
		{Window(1000), "1s"},
		{Window(2500), "2.5s"},

		{Bytes(-1), "?"},
		{Bytes(0), "0 B"},
		{Bytes(1023), "1023 B"},
		{Bytes(1024), "1.0 KiB"},
		{Bytes(1536), "1.5 KiB"},
		{Bytes(1 << 20), "1.0 MiB"},
		{Bytes(5<<30 + 1<<29), "5.5 GiB"},
		{Bytes(3 << 40), "3.0 TiB"},
		{Bytes(2048 << 40), "2048.0 TiB"},
		{Bytes(math.MaxInt64), "8388608.0 TiB"},
		{BytesPerSecond(1.5 * (1 << 20)), "1.5 MiB/s"},
		{BytesPerSecond(100.9), "100 B/s"},

		{Size(-1), "unbounded"},
		{Size(0), "0 KiB"},
		{Size(640<<10 + 1000), "640 KiB"},
		{Size(1<<20 - 1), "1023 KiB"},
		{Size(1 << 20), "1.0 MiB"},
		{Size(97*(1<<20) + 300<<10), "97.3 MiB"},
		{Size(1<<30 - 1), "1024.0 MiB"},
		{Size(1 << 30), "1.00 GiB"},
		{Size(5 << 28), "1.25 GiB"},

		{ExactSize(64 << 20), "64 MiB"},
		{ExactSize(64<<20 + 1), "67108865 bytes"},
		{ExactSize(1000), "1000 bytes"},
		{ExactSize(0), "0 bytes"},
	} {
		if tc.got != tc.want {
			t.Errorf("got %q, want %q", tc.got, tc.want)
		}
	}
}
