package limits

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"testing"
)

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

func TestReadFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "f")
	os.WriteFile(path, []byte("12345"), 0o644)
	if b, err := ReadFile(path, 5); err != nil || string(b) != "12345" {
		t.Errorf("ReadFile at the cap = %q, %v", b, err)
	}
	_, err := ReadFile(path, 4)
	var tl *TooLargeError
	if !errors.As(err, &tl) || err.Error() != path+" is larger than 4 bytes" {
		t.Errorf("ReadFile above the cap: %v", err)
	}
	if _, err := ReadFile(filepath.Join(t.TempDir(), "missing"), 4); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("ReadFile of a missing file: %v", err)
	}
}
