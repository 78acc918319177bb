package model

import (
	"slices"
	"testing"
)

// TestInterned checks that values are numbered in first-seen order and
// keep their number, asked again right away (the last-value check) or
// later (the map).
func TestInterned(t *testing.T) {
	var in interned[string]
	seq := []string{"a", "a", "b", "a", "", "c", "b", "b", "", "a"}
	want := []uint32{0, 0, 1, 0, 2, 3, 1, 1, 2, 0}
	for i, v := range seq {
		if got := in.of(v); got != want[i] {
			t.Errorf("of(%q) at %d = %d, want %d", v, i, got, want[i])
		}
	}
	if !slices.Equal(in.values, []string{"a", "b", "", "c"}) {
		t.Errorf("values %q", in.values)
	}
}
