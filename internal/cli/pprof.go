package cli

import (
	"fmt"
	"io"
	"path/filepath"
	"strings"

	"github.com/spf13/pflag"

	"github.com/gcwatch/gcwatch/internal/analyze"
	"github.com/gcwatch/gcwatch/internal/model"
	"github.com/gcwatch/gcwatch/internal/outfile"
	"github.com/gcwatch/gcwatch/internal/report/pprofout"
)

// bindPprofFlag binds --pprof-out, for the commands that analyse a trace
// of their own (analyze, capture, run).
func (o *analyzeOptions) bindPprofFlag(f *pflag.FlagSet) {
	f.StringVar(&o.PprofOut, "pprof-out", "", "also write a pprof profile (`FILE`, gzip-compressed) of mark-assist time and of requests' time inside GC pauses, by stack, for go tool pprof (needs an execution trace); "+
		"with several processes each gets its number before the extension (gc.pb.gz: gc.1.pb.gz, gc.2.pb.gz, in report order)")
}

// validatePprofOut checks --pprof-out against the inputs and -o.
func (o *analyzeOptions) validatePprofOut(guard *outfile.Guard) error {
	if o.PprofOut == "" {
		return nil
	}
	if o.PprofOut == "-" {
		return usagef("--pprof-out needs a file name (the profile is binary)")
	}
	if err := guard.Check(o.PprofOut); err != nil {
		return fmt.Errorf("--pprof-out: %w", err)
	}
	if o.Output != "" && outfile.Same(o.PprofOut, o.Output) {
		return usagef("--pprof-out %s is also the report's -o", o.PprofOut)
	}
	return nil
}

// profilePath is process i's profile file among n.
func profilePath(path string, i, n int) string {
	if n == 1 {
		return path
	}
	ext := filepath.Ext(path)
	if strings.HasSuffix(path, ".pb.gz") {
		ext = ".pb.gz"
	}
	return fmt.Sprintf("%s.%d%s", strings.TrimSuffix(path, ext), i+1, ext)
}

// writeProfiles writes one profile per analysed process. A process with
// nothing to profile is an error when it is the only one, else a note.
func writeProfiles(stderr io.Writer, guard *outfile.Guard, o *analyzeOptions, results []*analyze.Result) error {
	n := len(results)
	for i := range results {
		path := profilePath(o.PprofOut, i, n)
		if err := guard.Check(path); err != nil {
			return fmt.Errorf("--pprof-out: %w; no profile written", err)
		}
	}
	written := 0
	for i, res := range results {
		path := profilePath(o.PprofOut, i, n)
		name := strings.Join(inputPaths(res.Run), ", ")
		p, err := pprofout.Build(res)
		if err != nil {
			if n == 1 {
				return fmt.Errorf("--pprof-out: %s: %w; no profile written", name, err)
			}
			printDiag(stderr, "note: --pprof-out: process %d (%s): %v; no %s written", i+1, name, err, path)
			continue
		}
		if err := guard.Write(path, func(w io.Writer) error { return pprofout.Write(w, p) }); err != nil {
			return fmt.Errorf("--pprof-out: %w", err)
		}
		written++
		sum := pprofout.Sum(p)
		printDiag(stderr, "profile of %s written to %s (mark assist %s, requests inside GC pauses %s); see it with: go tool pprof -top %s",
			name, path, sum.MarkAssist, sum.STWOverlap, path)
		if sum.MarkAssist == 0 {
			printDiag(stderr, "note: no mark assist in %s: the profile has only stw_overlap samples", name)
		} else if sum.STWOverlap == 0 {
			printDiag(stderr, "note: no request overlapped a GC pause in %s: the profile has only mark_assist samples", name)
		}
	}
	if written == 0 {
		return fmt.Errorf("--pprof-out: no process had mark assists or requests inside GC pauses; no profile written")
	}
	return nil
}

func inputPaths(run *model.Run) []string {
	var out []string
	for _, in := range run.Inputs {
		out = append(out, in.Path)
	}
	return out
}
