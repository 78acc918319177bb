package cli

import (
	"io"
	"path/filepath"
	"slices"
	"strings"

	"github.com/gcwatch/gcwatch/internal/outfile"
	"github.com/gcwatch/gcwatch/internal/report"
)

// markdownReportName is the report's name when -o names a folder.
const markdownReportName = "report.md"

// writeReport writes a report to standard output, or to out through
// guard (internal/outfile: never over an input or a special file, never
// a partial file). With markdown, the plots are files beside the report:
// -o FILE.md (or .markdown) writes FILE.md and the plots in FILE_files/;
// any other -o names a folder, made when missing, that gets report.md and
// the plots. render gets the files' place (nil on standard output).
func writeReport(stdout io.Writer, guard *outfile.Guard, out string, markdown bool, render func(w io.Writer, files *report.Files) error) error {
	if out == "" || out == "-" {
		return render(stdout, nil)
	}
	set := guard.NewSet()
	var files *report.Files
	reportPath := reportFile(out, markdown)
	if markdown {
		var dir string
		if reportPath == out {
			dir = strings.TrimSuffix(filepath.Base(out), filepath.Ext(out)) + "_files"
		}
		base := filepath.Dir(reportPath)
		files = &report.Files{Dir: dir, Open: func(name string) (io.WriteCloser, error) {
			return set.Create(filepath.Join(base, filepath.FromSlash(name)))
		}}
	}
	w, err := set.Create(reportPath)
	if err != nil {
		set.Abort()
		return err
	}
	if err := render(w, files); err != nil {
		set.Abort()
		return err
	}
	return set.Commit()
}

// reportFile is the file a report to -o out is written to: out, or
// out/report.md for a Markdown report to a folder.
func reportFile(out string, markdown bool) string {
	if ext := strings.ToLower(filepath.Ext(out)); !markdown || ext == ".md" || ext == ".markdown" {
		return out
	}
	return filepath.Join(out, markdownReportName)
}

// checkOutput checks, before anything is analysed, that the report can go
// to -o out: not over an input, not over a special file.
func checkOutput(guard *outfile.Guard, out string, markdown bool) error {
	if out == "" || out == "-" {
		return nil
	}
	return guard.Check(reportFile(out, markdown))
}

// guardFor protects the files a run reads: its inputs (every file below
// a folder but gcwatch's own reports and plots), latency logs and config.
func guardFor(o *analyzeOptions) *outfile.Guard {
	return outfile.Protect(guardedPaths(o), outfile.IsOutput)
}

// guardedPaths are the files and folders a run reads.
func guardedPaths(o *analyzeOptions) []string {
	return slices.Concat(o.Inputs, o.Latency, []string{o.Config})
}

// htmlCommand is the command that writes the same report as HTML, for the
// text report's last line; "" when there is none to suggest (another
// format, or standard input, which cannot be read twice).
func htmlCommand(o *analyzeOptions) string {
	if o.format != report.Text || slices.Contains(o.Inputs, "-") {
		return ""
	}
	parts := []string{"gcwatch analyze --format html -o report.html"}
	// The options that change which requests there are.
	for _, l := range o.Latency {
		parts = append(parts, "--latency", shellQuote(l))
	}
	for _, f := range [][2]string{{"--process-start", o.ProcStart}, {"--service", o.Service}, {"--service-instance", o.Instance}, {"--span", o.Span}, {"--task", o.TaskType}} {
		if f[1] != "" {
			parts = append(parts, f[0], shellQuote(f[1]))
		}
	}
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
