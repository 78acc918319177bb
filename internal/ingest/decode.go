package ingest

import (
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/gcwatch/gcwatch/internal/ingest/exectrace"
	"github.com/gcwatch/gcwatch/internal/ingest/gctrace"
	"github.com/gcwatch/gcwatch/internal/ingest/latencylog"
	"github.com/gcwatch/gcwatch/internal/ingest/otelspans"
	"github.com/gcwatch/gcwatch/internal/limits"
	"github.com/gcwatch/gcwatch/internal/model"
)

// loadFile decodes one file into g. It reports false for a profile, which
// is kept aside for the advisor.
func loadFile(name string, opts Options, g *group, res *Result) (bool, error) {
	in, err := openInput(name, opts.Stdin)
	if err != nil {
		return false, err
	}
	return loadInput(in, opts, g, res)
}

// loadInput decodes one opened input into g, and closes it.
func loadInput(in *input, opts Options, g *group, res *Result) (bool, error) {
	defer in.close()
	used, err := decodeInput(in, opts, g, res)
	if ie := (*InputError)(nil); errors.As(err, &ie) {
		ie.Msg += in.broke()
	}
	return used, err
}

// maxWholeTrace bounds what a gzipped Go ≤1.21 trace may decompress to:
// x/exp reads those whole into memory before it parses a byte, so the
// rule that stops other decoders after a stretch they cannot use cannot
// apply. Real traces compress about 5–20×; 50× the file, plus 64 MiB,
// leaves room for any of them and stops a bomb (zeros compress about
// 1000×) at a cost in proportion to its file. From standard input, whose
// size is unknown, 2 GiB.
func maxWholeTrace(compressed int64) int64 {
	if compressed < 0 {
		return 2 << 30
	}
	return 50*compressed + limits.MinUnusable
}

// decodeInput decodes one opened input into g.
func decodeInput(in *input, opts Options, g *group, res *Result) (bool, error) {
	src := io.Reader(in.r)
	if opts.Progress != nil {
		// Buffered again, from the pool, so that decoders that want a
		// large bufio.Reader take this one rather than making their own.
		src = in.reader(&progressReader{r: in.r, in: in, report: opts.Progress})
	}
	switch in.kind {
	case traceKind:
		to := opts.Trace
		if in.gzipped {
			to.MaxWhole = maxWholeTrace(in.size)
		}
		run, err := exectrace.Read(src, in.name, to)
		if run == nil {
			var dmg *exectrace.DamageError
			switch {
			case errors.As(err, &dmg):
				return false, &InputError{Name: in.name, Msg: fmt.Sprintf("not a usable execution trace: damaged at byte offset %d, before any generation was complete", dmg.Offset), Err: dmg.Err}
			case err == nil:
				return false, &InputError{Name: in.name, Msg: "not a usable execution trace: it holds no events"}
			}
			return false, &InputError{Name: in.name, Msg: fmt.Sprintf("not a usable execution trace (%s)", in.format), Err: err}
		}
		if d := in.damage(); d != "" {
			run.Warnings = append(run.Warnings, d)
		}
		run.Inputs = []model.Input{{Path: in.name, Kind: model.KindTrace, Bytes: run.Stats.Bytes, Format: in.format}}
		g.traces = append(g.traces, run)
		return true, nil
	case gctraceKind, textKind:
		r, err := gctrace.Parse(src, in.name)
		if err != nil {
			return false, &InputError{Name: in.name, Msg: "read error", Err: err}
		}
		if len(r.Processes) == 0 {
			// A latency log whose first lines are not requests (a service's
			// start-up messages before its request log) is not recognised
			// from its first bytes: read it whole as one.
			used, lerr := latencyAfterAll(in, g)
			if used {
				return true, nil
			}
			msg := fmt.Sprintf("not an execution trace or gctrace log: a text file with no gc lines among its %d lines", r.Stats.Lines)
			if lerr != nil {
				msg += ", nor a latency log " + lerr.Error()
			}
			return false, &InputError{Name: in.name, Msg: msg}
		}
		for i := range r.Processes {
			p := &r.Processes[i]
			input := model.Input{Path: in.name, Kind: model.KindGCTrace, Bytes: r.Stats.Bytes, Format: p.Format}
			if len(r.Processes) > 1 {
				input.Process = i + 1
			}
			run := p.Run(input, r.Stats)
			if i == 0 {
				run.Warnings = append(run.Warnings, unowned(r)...)
			}
			if d := in.damage(); d != "" && i == len(r.Processes)-1 {
				run.Warnings = append(run.Warnings, d)
			}
			g.gctraces = append(g.gctraces, run)
		}
		if len(r.Processes) > 1 {
			res.Notes = append(res.Notes, fmt.Sprintf("%s holds %d processes (%s); each is analysed on its own", in.name, len(r.Processes), whyProcesses(r.Processes)))
		}
		return true, nil
	case latencyKind:
		l, err := latencylog.Parse(src, in.name)
		if err != nil {
			return false, &InputError{Name: in.name, Msg: "unusable latency log", Err: err}
		}
		if d := in.damage(); d != "" {
			l.Warnings = append(l.Warnings, d)
		}
		g.latency = append(g.latency, l)
		g.forced = append(g.forced, false)
		return true, nil
	case spansKind:
		l, err := otelspans.Read(src, in.name, opts.Spans)
		if err != nil {
			return false, &InputError{Name: in.name, Msg: "unusable OpenTelemetry trace export", Err: err}
		}
		if d := in.damage(); d != "" {
			l.Warnings = append(l.Warnings, d)
		}
		g.latency = append(g.latency, l)
		g.forced = append(g.forced, false)
		return true, nil
	case profileKind:
		cr := &countingReader{r: src}
		ap, err := readAllocs(cr, in.name)
		if err != nil {
			return false, &InputError{Name: in.name, Msg: "unusable profile", Err: err}
		}
		ap.InputBytes = cr.n
		res.Profiles = append(res.Profiles, in.name)
		g.allocs = append(g.allocs, ap)
		return false, nil
	case emptyKind:
		return false, &InputError{Name: in.name, Msg: "is empty"}
	case ancientKind:
		return false, &InputError{Name: in.name, Msg: "is a Go 1.4 or older execution trace, which no supported reader decodes"}
	default:
		return false, &InputError{Name: in.name, Msg: "not an execution trace, gctrace log or pprof profile (binary data of unknown kind)"}
	}
}

// unowned lists a gctrace result's warnings that belong to none of its
// processes (lines no process could own); the others already come with
// their process's run.
func unowned(r *gctrace.Result) []string {
	owned := map[string]bool{}
	for _, p := range r.Processes {
		for _, w := range p.Warnings {
			owned[w] = true
		}
	}
	var out []string
	for _, w := range r.Warnings {
		if !owned[w] {
			out = append(out, w)
		}
	}
	return out
}

// progressReader reports progress as the decoder reads.
type progressReader struct {
	r      io.Reader
	in     *input
	report func(name string, done, total int64)
	last   int64
}

func (p *progressReader) Read(b []byte) (int, error) {
	n, err := p.r.Read(b)
	if done := p.in.counter.n; done-p.last >= 4<<20 || err != nil {
		p.last = done
		p.report(p.in.name, done, p.in.size)
	}
	return n, err
}

// loadLatency reads a file named with --latency as a latency log.
func loadLatency(name string, opts Options, g *group) error {
	in, err := openInput(name, opts.Stdin)
	if err != nil {
		return err
	}
	defer in.close()
	var l *latencylog.Log
	if in.kind == spansKind {
		l, err = otelspans.Read(in.r, in.name, opts.Spans)
		if err != nil {
			return &InputError{Name: in.name, Msg: "--latency: not a usable OpenTelemetry trace export" + in.broke(), Err: err}
		}
	} else if l, err = latencylog.Parse(in.r, in.name); err != nil {
		return &InputError{Name: in.name, Msg: "--latency: not a usable latency log" + in.broke(), Err: err}
	}
	if d := in.damage(); d != "" {
		l.Warnings = append(l.Warnings, d)
	}
	g.latency = append(g.latency, l)
	g.forced = append(g.forced, true)
	return nil
}

// latencyAfterAll reads a text input that held no gc lines again, as a
// request-latency log; it says whether it was one. Standard input, read
// once, cannot be.
func latencyAfterAll(in *input, g *group) (bool, error) {
	if in.name == "<stdin>" {
		return false, nil
	}
	again, err := openInput(in.name, nil)
	if err != nil {
		return false, nil
	}
	defer again.close()
	l, err := latencylog.Parse(again.r, in.name)
	if err != nil {
		// The name is said once, by the caller.
		return false, errors.New(strings.TrimPrefix(err.Error(), in.name+": not a latency log "))
	}
	if d := again.damage(); d != "" {
		l.Warnings = append(l.Warnings, d)
	}
	g.latency = append(g.latency, l)
	g.forced = append(g.forced, false)
	return true, nil
}

// whyProcesses says why a gctrace log was split into processes: its gc
// counter started again, or its time went backwards while the counter
// went on.
func whyProcesses(procs []gctrace.Process) string {
	restarts, back := 0, 0
	for _, p := range procs[1:] {
		if p.TimeWentBack > 0 {
			if back == 0 {
				back = p.TimeWentBack
			}
		} else {
			restarts++
		}
	}
	switch {
	case back == 0:
		return "the gc counter restarts"
	case restarts == 0:
		return fmt.Sprintf("time goes backwards at line %d", back)
	}
	return fmt.Sprintf("the gc counter restarts, and time goes backwards at line %d", back)
}
