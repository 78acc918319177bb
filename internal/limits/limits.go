// Package limits holds the bounds gcwatch's decoders put on the work an
// input can make them do, so that every decoder applies the same rule and
// the README can state it once.
package limits

// MinUnusable is how many bytes a decoder reads past the last byte it
// could use before it stops, when the input so far was smaller.
const MinUnusable = 64 << 20

// Unusable reports whether a decoder that has read usable bytes it could
// analyse (up to the end of its last usable line, record or generation),
// then unusable bytes without anything it could use, should stop reading:
// once the unusable stretch is longer than MinUnusable and than the
// usable part. Garbage after an input, a decompression bomb above all,
// then costs at most about as much as the input itself, while damage in
// the middle of a long input can still be skipped.
func Unusable(usable, unusable int64) bool {
	return unusable > max(MinUnusable, usable)
}
