package cli

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/gcwatch/gcwatch/internal/report"
)

// markdownReportName is the report's name when -o names a folder.
const markdownReportName = "report.md"

// markdownTarget resolves -o for --format markdown, whose plots are files
// beside the report: -o FILE.md (or .markdown) writes FILE.md and the
// plots in FILE_files/; any other -o names a folder, created when
// missing, that gets report.md and the plots. It returns the report's
// path and where its files go.
func markdownTarget(out string) (string, *report.Files, error) {
	var reportPath, filesDir string
	if ext := strings.ToLower(filepath.Ext(out)); ext == ".md" || ext == ".markdown" {
		reportPath = out
		filesDir = strings.TrimSuffix(filepath.Base(out), filepath.Ext(out)) + "_files"
	} else {
		if err := os.MkdirAll(out, 0o755); err != nil {
			return "", nil, fmt.Errorf("cannot make the report folder: %w", err)
		}
		reportPath = filepath.Join(out, markdownReportName)
	}
	base := filepath.Dir(reportPath)
	open := func(name string) (io.WriteCloser, error) {
		p := filepath.Join(base, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			return nil, fmt.Errorf("cannot write %s: %w", p, err)
		}
		f, err := os.Create(p)
		if err != nil {
			return nil, fmt.Errorf("cannot write %s: %w", p, err)
		}
		return f, nil
	}
	return reportPath, &report.Files{Open: open, Dir: filesDir}, nil
}

// htmlCommand is the command that writes the same report as HTML, for the
// text report's last line; "" when there is none to suggest (another
// format, or standard input, which cannot be read twice).
func htmlCommand(o *analyzeOptions) string {
	if o.format != report.Text || slices.Contains(o.Inputs, "-") {
		return ""
	}
	parts := []string{"gcwatch analyze --format html -o report.html"}
	for _, in := range o.Inputs {
		parts = append(parts, shellQuote(in))
	}
	return strings.Join(parts, " ")
}

// shellQuote quotes s for a POSIX shell when it holds anything but
// characters safe unquoted.
func shellQuote(s string) string {
	safe := s != "" && strings.IndexFunc(s, func(r rune) bool {
		return !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || strings.ContainsRune("-_./:=@%+,", r))
	}) < 0
	if safe {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}
