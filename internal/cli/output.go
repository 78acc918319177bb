package cli

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
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
