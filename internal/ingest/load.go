package ingest

import (
	"cmp"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/gcwatch/gcwatch/internal/ingest/exectrace"
	"github.com/gcwatch/gcwatch/internal/ingest/latencylog"
	"github.com/gcwatch/gcwatch/internal/ingest/otelspans"
	"github.com/gcwatch/gcwatch/internal/model"
)

// Options tune Load.
type Options struct {
	// Trace is passed to the execution-trace decoder.
	Trace exectrace.Options
	// Progress, when set, is told how far each input has been read (bytes
	// of the file as stored; total is -1 when unknown).
	Progress func(name string, done, total int64)
	// Stdin is read for the input "-".
	Stdin io.Reader
	// Latency names request-latency logs to read as such (--latency),
	// whatever their content looks like; they join the command line's
	// inputs.
	Latency []string
	// ProcessStart is the wall-clock time the process started, for lining
	// up latency logs with a gctrace log (--process-start).
	ProcessStart *time.Time
	// Spans chooses the spans of OpenTelemetry trace exports that are
	// requests (--service, --span).
	Spans otelspans.Options
}

// Result is what Load found.
type Result struct {
	// Runs holds one run per process, in the order the inputs were given.
	Runs []*model.Run
	// Profiles are the pprof profiles found, by path, for the advisor.
	Profiles []string
	// Notes are diagnostics about the inputs as a whole (files skipped in
	// folders, how inputs were grouped); each run's own warnings are in
	// the run.
	Notes []string
}

// InputError is an input that could not be used at all.
type InputError struct {
	Name string
	Msg  string
	Err  error
}

func (e *InputError) Error() string {
	if e.Err != nil {
		// Decoders name the file in their errors too; say it once.
		return fmt.Sprintf("%s: %s: %s", e.Name, e.Msg, strings.TrimPrefix(e.Err.Error(), e.Name+": "))
	}
	return e.Name + ": " + e.Msg
}

func (e *InputError) Unwrap() error { return e.Err }

// cannotRead is the error for an input that cannot be opened: its name,
// and why in the system's words without the call that failed
// ("nope.out: cannot read it: no such file or directory").
func cannotRead(name string, err error) error {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		err = pe.Err
	}
	return &InputError{Name: name, Msg: "cannot read it", Err: err}
}

// group is inputs that belong to one process when they line up: the files
// named on the command line, or the files of one folder.
type group struct {
	name     string
	traces   []*model.Run
	gctraces []*model.Run
	allocs   []*model.AllocProfile
	manifest *manifest
	// latency logs, and whether each was named with --latency (then
	// failing to line it up is an error, not a note).
	latency []*latencylog.Log
	forced  []bool
}

// Load reads every input. Files named directly must be usable; files inside
// a folder that are not are skipped with a note, but a folder with nothing
// usable is an error.
func Load(paths []string, opts Options) (*Result, error) {
	if len(paths) == 0 {
		return nil, errors.New("no input given")
	}
	res := &Result{}
	direct := &group{name: "the command line"}
	var groups []*group
	for _, p := range paths {
		if p != "-" {
			st, err := os.Stat(p)
			if err != nil {
				return nil, cannotRead(p, err)
			}
			if st.IsDir() {
				var skips skipped
				gs, err := loadFolder(p, opts, res, &skips)
				if err != nil {
					return nil, err
				}
				res.Notes = append(res.Notes, skips.notes(p)...)
				groups = append(groups, gs...)
				continue
			}
		}
		if _, err := loadFile(p, opts, direct, res); err != nil {
			return nil, err
		}
	}
	for _, p := range opts.Latency {
		if err := loadLatency(p, opts, direct); err != nil {
			return nil, err
		}
	}
	if len(direct.traces)+len(direct.gctraces) > 0 {
		groups = append([]*group{direct}, groups...)
	} else if len(direct.latency) > 0 {
		what := "is a request-latency log"
		if f := direct.latency[0].Format; f == otelspans.FormatOTLP || f == otelspans.FormatStdout {
			what = "holds OpenTelemetry spans, which give request latencies"
		}
		return nil, &InputError{Name: direct.latency[0].Name, Msg: what + "; give it together with a trace or gctrace log of the same process"}
	}
	for _, g := range groups {
		runs, notes := g.merge()
		n, err := g.attachLatency(runs, opts.ProcessStart)
		if err != nil {
			return nil, err
		}
		res.Runs = append(res.Runs, runs...)
		res.Notes = append(res.Notes, notes...)
		res.Notes = append(res.Notes, n...)
	}
	if len(res.Runs) == 0 {
		if len(res.Profiles) > 0 {
			return nil, &InputError{Name: res.Profiles[0], Msg: "is a pprof profile, not an execution trace or gctrace log; give it together with a trace or gctrace log of the same process"}
		}
		return nil, errors.New("no execution trace or gctrace log among the inputs")
	}
	return res, nil
}

// readDir lists a folder; tests replace it to make a folder unreadable,
// which chmod cannot do for root.
var readDir = os.ReadDir

// loadFolder loads every usable file of dir as one group, and each
// sub-folder as a group of its own. Files and sub-folders that cannot be
// used are tallied in skips.
func loadFolder(dir string, opts Options, res *Result, skips *skipped) ([]*group, error) {
	entries, err := readDir(dir)
	if err != nil {
		if pe := (*fs.PathError)(nil); errors.As(err, &pe) && pe.Path == dir {
			err = pe.Err // the path is said once
		}
		return nil, &InputError{Name: dir, Msg: "cannot read the folder", Err: err}
	}
	g := &group{name: dir}
	var groups []*group
	for _, e := range entries {
		p := filepath.Join(dir, e.Name())
		if e.IsDir() {
			sub, err := loadFolder(p, opts, res, skips)
			var ie *InputError
			switch {
			case errors.As(err, &ie) && ie.Msg == "holds nothing usable":
			case err != nil:
				skips.add(skipUnreadableFolder, err.Error())
			}
			groups = append(groups, sub...)
			continue
		}
		if !e.Type().IsRegular() || strings.HasPrefix(e.Name(), ".") {
			continue
		}
		if isSideFile(e.Name()) {
			if isDescription(e.Name()) {
				m, err := readManifest(p)
				if err != nil {
					res.Notes = append(res.Notes, err.Error()+"; ignored")
				} else if g.manifest == nil {
					g.manifest = m
				}
			}
			continue
		}
		in, err := openInput(p, nil)
		if err != nil {
			skips.add(skipUnreadable, err.Error())
			continue
		}
		_, err = loadInput(in, opts, g, res)
		if err != nil {
			why := skipUnusable
			switch in.kind {
			case unknownKind, textKind, emptyKind:
				why = skipNotInput
			}
			skips.add(why, err.Error())
		}
	}
	if len(g.traces)+len(g.gctraces) > 0 {
		groups = append([]*group{g}, groups...)
	}
	if len(groups) == 0 {
		return nil, &InputError{Name: dir, Msg: "holds nothing usable"}
	}
	return groups, nil
}

// isDescription reports whether a file is a capture's description, which
// may carry the process's settings.
func isDescription(name string) bool {
	switch strings.ToLower(name) {
	case "meta.json", "manifest.json", "capture.json":
		return true
	}
	return false
}

// isSideFile reports whether a file in a capture folder is one that
// gcwatch and its examples write beside the captures (descriptions,
// metrics, reports and their plots), which is skipped without a note.
func isSideFile(name string) bool {
	switch strings.ToLower(name) {
	case "meta.json", "manifest.json", "capture.json", "readme", "readme.md", "readme.txt",
		// gcwatch capture's other artefacts: the service's metrics and
		// expvar, and why a watch captured.
		"metrics.txt", "vars.json", "trigger.txt",
		// the report gcwatch run and watch write beside the capture.
		"report.txt", "report.json", "report.md", "report.html":
		return true
	}
	// plots a Markdown report wrote beside it
	ext := strings.ToLower(path.Ext(name))
	return ext == ".png" || ext == ".svg"
}

// merge lines up the traces and gctrace processes of a group and returns
// one run per process.
func (g *group) merge() ([]*model.Run, []string) {
	var runs []*model.Run
	var notes []string
	g.gctraces, notes = dedupe(g.gctraces)
	used := make([]bool, len(g.gctraces))
	for _, t := range g.traces {
		best, m := -1, match{}
		for i, gc := range g.gctraces {
			if used[i] {
				continue
			}
			if cand, ok := lineUp(t, gc); ok && cand.matched > m.matched {
				best, m = i, cand
			}
		}
		if best < 0 {
			runs = append(runs, t)
			continue
		}
		used[best] = true
		runs = append(runs, combine(t, g.gctraces[best], m))
	}
	for i, gc := range g.gctraces {
		if !used[i] {
			runs = append(runs, gc)
		}
	}
	// A profile given with the inputs of one process describes that
	// process; with several processes it is not known which.
	if len(g.allocs) > 0 {
		// An allocs profile says the same as a heap profile (both carry
		// alloc_space) and is what gcwatch capture names allocs.pb.gz:
		// prefer it.
		slices.SortStableFunc(g.allocs, func(a, b *model.AllocProfile) int {
			return cmp.Compare(allocsRank(a.Path), allocsRank(b.Path))
		})
		if len(runs) == 1 {
			runs[0].Allocs = g.allocs[0]
			runs[0].Inputs = append(runs[0].Inputs, model.Input{Path: g.allocs[0].Path, Kind: model.KindProfile, Bytes: g.allocs[0].InputBytes, Format: "pprof " + g.allocs[0].SampleType})
			if len(g.allocs) > 1 && allocsRank(g.allocs[1].Path) == allocsRank(g.allocs[0].Path) {
				notes = append(notes, fmt.Sprintf("in %s, only the first of %d profiles is used: %s", g.name, len(g.allocs), g.allocs[0].Path))
			}
		} else {
			notes = append(notes, fmt.Sprintf("in %s, %d processes were found, so the profiles cannot be tied to one; they are not used", g.name, len(runs)))
		}
	}
	if m := g.manifest; m != nil && len(runs) == 1 {
		if set := m.apply(runs[0]); len(set) > 0 {
			notes = append(notes, fmt.Sprintf("%s read from %s", strings.Join(set, " and "), m.path))
		}
	}
	if len(g.traces) > 0 && len(g.gctraces) > 0 && len(runs) > max(len(g.traces), len(g.gctraces)) {
		var names []string
		for _, r := range runs {
			names = append(names, r.Inputs[0].Path)
		}
		slices.Sort(names)
		names = slices.Compact(names)
		notes = append(notes, fmt.Sprintf("in %s, the GC cycles of %s do not line up with each other; they are analysed as separate processes", g.name, strings.Join(names, ", ")))
	}
	return runs, notes
}

// dedupe drops gctrace processes that repeat another's cycles exactly, as a
// capture folder holding both gctrace.log and gctrace.log.gz would.
func dedupe(runs []*model.Run) ([]*model.Run, []string) {
	var out []*model.Run
	var notes []string
next:
	for _, r := range runs {
		for _, kept := range out {
			if slices.Equal(kept.Cycles, r.Cycles) {
				notes = append(notes, fmt.Sprintf("%s repeats the GC cycles of %s; read once", r.Inputs[0].Path, kept.Inputs[0].Path))
				continue next
			}
		}
		out = append(out, r)
	}
	return out, notes
}

// attachLatency lines up the group's latency logs with its one process and
// makes their entries its requests. A log named with --latency that cannot
// be lined up is an error: gcwatch does not guess a clock.
func (g *group) attachLatency(runs []*model.Run, processStart *time.Time) ([]string, error) {
	var notes []string
	for i, l := range g.latency {
		if j := repeats(g.latency[:i], l); j >= 0 {
			// A capture folder may hold the same spans twice, from two
			// exporters (OTLP and stdout): counting them twice would
			// double every request.
			notes = append(notes, fmt.Sprintf("%s repeats the requests of %s; read once", l.Name, g.latency[j].Name))
			continue
		}
		fail := func(err error) error {
			if g.forced[i] {
				return &InputError{Name: l.Name, Msg: "cannot be used", Err: err}
			}
			notes = append(notes, fmt.Sprintf("%s not used: %v", l.Name, err))
			return nil
		}
		if len(runs) != 1 {
			if err := fail(fmt.Errorf("%s holds %d processes, so the latency log cannot be tied to one", g.name, len(runs))); err != nil {
				return nil, err
			}
			continue
		}
		run := runs[0]
		reqs, a, err := latencylog.Align(l, run, processStart)
		if err != nil {
			if err := fail(err); err != nil {
				return nil, err
			}
			continue
		}
		if run.Requests == nil {
			run.Requests = &model.Requests{}
		}
		for _, r := range reqs {
			run.Requests.Append(r)
		}
		run.Fidelity.Requests = true
		run.Inputs = append(run.Inputs, model.Input{Path: l.Name, Kind: model.KindLatencyLog, Bytes: l.Stats.Bytes, Format: l.Format})
		run.Warnings = append(run.Warnings, l.Warnings...)
		run.Warnings = append(run.Warnings, a.Warnings...)
		note := a.String()
		if l.Format == otelspans.FormatOTLP || l.Format == otelspans.FormatStdout {
			note += "; the requests are its " + l.Fields // which spans
		}
		notes = append(notes, note)
	}
	return notes, nil
}

// repeats returns the index of the log among logs that holds the same
// requests as l (the same starts, durations, types and ids, in any order),
// or -1.
func repeats(logs []*latencylog.Log, l *latencylog.Log) int {
	key := func(log *latencylog.Log) []latencylog.Entry {
		es := slices.Clone(log.Requests)
		for i := range es {
			es[i].Line, es[i].Status = 0, ""
			es[i].Start = es[i].Start.UTC()
		}
		slices.SortFunc(es, func(a, b latencylog.Entry) int {
			return cmp.Or(a.Start.Compare(b.Start), cmp.Compare(a.Duration, b.Duration),
				slices.Compare(a.SpanID[:], b.SpanID[:]), cmp.Compare(a.Type, b.Type), cmp.Compare(a.ID, b.ID))
		})
		return es
	}
	var mine []latencylog.Entry
	for j, o := range logs {
		if len(o.Requests) != len(l.Requests) {
			continue
		}
		if mine == nil {
			mine = key(l)
		}
		if slices.Equal(key(o), mine) {
			return j
		}
	}
	return -1
}

// allocsRank orders profiles: allocs profiles first, then heap profiles,
// then others.
func allocsRank(path string) int {
	base := strings.ToLower(filepath.Base(path))
	switch {
	case strings.Contains(base, "alloc"):
		return 0
	case strings.Contains(base, "heap"):
		return 1
	}
	return 2
}
