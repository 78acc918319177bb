package main

import "testing"

// TestPreemptibleComputesTheSame: the fix runs the same loop.
func TestPreemptibleComputesTheSame(t *testing.T) {
	data := make([]uint64, 1000)
	for i := range data {
		data[i] = uint64(i) * 2654435761
	}
	for _, rounds := range []int{0, 1, 7} {
		if a, b := checksum(data, rounds), checksumPreemptible(data, rounds); a != b {
			t.Errorf("%d rounds: %x and %x", rounds, a, b)
		}
	}
}
