package capture

import (
	"bytes"
	"compress/gzip"
	"fmt"
	"io"
	"strings"
)

// The checks look at the first bytes of an answer and say what it is not.

func checkTrace(head []byte) error {
	if bytes.HasPrefix(head, []byte("go 1.")) {
		return nil
	}
	return fmt.Errorf("did not return an execution trace: %s (is this a net/http/pprof endpoint?)", looksLike(head))
}

func checkProfile(head []byte) error {
	if len(head) >= 2 && head[0] == 0x1f && head[1] == 0x8b {
		return nil
	}
	return fmt.Errorf("did not return a pprof profile: %s", looksLike(head))
}

func checkMetrics(head []byte) error {
	s := string(head)
	if strings.HasPrefix(s, "# HELP") || strings.HasPrefix(s, "# TYPE") || strings.Contains(s, "go_") {
		return nil
	}
	return fmt.Errorf("is not Prometheus metrics: %s", looksLike(head))
}

func checkVars(head []byte) error {
	if bytes.HasPrefix(bytes.TrimSpace(head), []byte("{")) {
		return nil
	}
	return fmt.Errorf("is not expvar JSON: %s", looksLike(head))
}

// looksLike names what some bytes seem to be, for error messages.
func looksLike(head []byte) string {
	t := bytes.TrimSpace(head)
	switch {
	case len(t) == 0:
		return "the answer was empty"
	case bytes.HasPrefix(bytes.ToLower(t), []byte("<!doctype html")) || bytes.HasPrefix(bytes.ToLower(t), []byte("<html")):
		return "the answer is an HTML page"
	case t[0] == '{' || t[0] == '[':
		return "the answer is JSON"
	case len(head) >= 2 && head[0] == 0x1f && head[1] == 0x8b:
		if zr, err := gzip.NewReader(bytes.NewReader(head)); err == nil {
			b, _ := io.ReadAll(io.LimitReader(zr, 16))
			if len(b) > 0 {
				return "the answer is gzip-compressed data (a profile?)"
			}
		}
		return "the answer is gzip-compressed data"
	}
	line, _, _ := strings.Cut(string(t), "\n")
	if len(line) > 60 {
		line = line[:60] + "…"
	}
	return fmt.Sprintf("the answer begins %q", line)
}
