package limits

import "testing"

func TestUnusable(t *testing.T) {
	for _, tc := range []struct {
		usable, unusable int64
		want             bool
	}{
		{0, 0, false},
		{0, MinUnusable, false},
		{0, MinUnusable + 1, true},
		{1 << 30, MinUnusable + 1, false},
		{1 << 30, 1 << 30, false},
		{1 << 30, 1<<30 + 1, true},
	} {
		if got := Unusable(tc.usable, tc.unusable); got != tc.want {
			t.Errorf("Unusable(%d, %d) = %v, want %v", tc.usable, tc.unusable, got, tc.want)
		}
	}
}
