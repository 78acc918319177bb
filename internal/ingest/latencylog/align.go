package latencylog

import (
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/gcwatch/gcwatch/internal/model"
)

// ErrNoAnchor is wrapped by Align's error when nothing ties the log's wall
// clock to the run's clock.
var ErrNoAnchor = errors.New("no common clock")

// Anchors: what tied the log's wall clock to the run's clock.
const (
	AnchorClockSnapshot = "clock snapshot"  // the run's WallStart, for a run on a trace clock
	AnchorProcessStart  = "process start"   // the caller's --process-start, for a gctrace run
	AnchorLineStamps    = "line timestamps" // gctrace's estimate of process start from its lines' timestamps
)

// Alignment says how a log was lined up with a run and where its requests
// fell. Every request of the log is in exactly one of InWindow, Open,
// Before and After.
type Alignment struct {
	Log, Run string // names, for messages
	// Anchor is one of the Anchor constants.
	Anchor string
	// WallZero is the wall-clock time of the run's clock at 0: a request
	// at wall time w is at run time w − WallZero.
	WallZero time.Time
	// InWindow requests lie wholly inside the run's window; Open ones are
	// cut by its start or end and are returned with Request.Open set;
	// Before and After ones lie wholly outside and are not returned.
	InWindow, Open, Before, After int
	// IDs is "log" when Request.ID is the log's own (every id a distinct
	// number), else "line": the line number.
	IDs string
	// Warnings: clocks that disagree, or too few requests in the window.
	Warnings []string
}

// String is a one-line account for reports.
func (a Alignment) String() string {
	return fmt.Sprintf("%s lined up with %s by its %s: %d requests in the window, %d cut by its edges, %d before it, %d after it",
		a.Log, a.Run, a.Anchor, a.InWindow, a.Open, a.Before, a.After)
}

// Align puts the log's requests on the run's clock. A run on a trace
// clock (an execution trace contributed) needs its WallStart, which Go
// 1.25+ traces carry. A gctrace run counts time from process start: it
// needs processStart (--process-start), else the process start that
// gctrace estimated from its lines' timestamps. Without either Align fails
// with ErrNoAnchor: it never guesses.
//
// It returns the requests that overlap the run's window, as
// model.RequestLog requests (Accounted false), in the log's order; the
// caller adds them to the run.
func Align(log *Log, run *model.Run, processStart *time.Time) ([]model.Request, Alignment, error) {
	a := Alignment{Log: log.Name, Run: runName(run)}
	if err := a.anchor(run, processStart); err != nil {
		return nil, a, err
	}
	ids := logIDs(log.Requests)
	a.IDs = "line"
	if ids != nil {
		a.IDs = "log"
	}
	var reqs []model.Request
	for i, e := range log.Requests {
		start, end, where := a.place(e, run)
		switch where {
		case before:
			a.Before++
			continue
		case after:
			a.After++
			continue
		case cut:
			a.Open++
		default:
			a.InWindow++
		}
		id := uint64(e.Line)
		if ids != nil {
			id = ids[i]
		}
		reqs = append(reqs, model.Request{
			ID: id, Type: e.Type, Kind: model.RequestLog,
			Start: start, End: end, Open: where == cut,
			TraceID: e.TraceID, SpanID: e.SpanID,
		})
	}
	a.checkWindow(log, run)
	return reqs, a, nil
}

// anchor finds WallZero.
func (a *Alignment) anchor(run *model.Run, processStart *time.Time) error {
	// Run.WallStart is the wall time of Run.Start on every run. A gctrace
	// log's clock counts from process start, so --process-start anchors it
	// directly; a trace's clock has no meaning outside the trace.
	sinceProcessStart := run.Fidelity.GCTrace && !run.Fidelity.Trace
	switch {
	case sinceProcessStart && processStart != nil:
		a.Anchor = AnchorProcessStart
		a.WallZero = *processStart
		if run.WallStart != nil {
			stamped := run.WallStart.Add(-time.Duration(run.Start))
			if d := stamped.Sub(*processStart); d > time.Second || d < -time.Second {
				a.Warnings = append(a.Warnings, fmt.Sprintf(
					"the line timestamps of %s put process start at %s, %v from --process-start %s; using --process-start",
					a.Run, stamp(stamped), d, stamp(*processStart)))
			}
		}
	case sinceProcessStart && run.WallStart != nil:
		a.Anchor = AnchorLineStamps
		a.WallZero = run.WallStart.Add(-time.Duration(run.Start))
		a.Warnings = append(a.Warnings, fmt.Sprintf(
			"process start of %s estimated from its line timestamps as %s: good to a few milliseconds (lines are stamped when written, after their cycle); give --process-start for better",
			a.Run, stamp(a.WallZero)))
	case sinceProcessStart:
		return fmt.Errorf("cannot line up %s with %s: %w: a gctrace log counts time from process start, and no --process-start was given nor do its lines carry timestamps",
			a.Log, a.Run, ErrNoAnchor)
	case run.WallStart != nil:
		a.Anchor = AnchorClockSnapshot
		a.WallZero = run.WallStart.Add(-time.Duration(run.Start))
		if processStart != nil {
			a.Warnings = append(a.Warnings, fmt.Sprintf(
				"%s carries its own wall clock; --process-start is not used", a.Run))
		}
	default:
		why := "the trace carries no wall clock (Go 1.25+ traces do) and no --process-start was given"
		if processStart != nil {
			why = "the trace carries no wall clock (Go 1.25+ traces do), and --process-start lines up only a gctrace log, whose clock counts from process start"
		}
		return fmt.Errorf("cannot line up %s with %s: %w: %s", a.Log, a.Run, ErrNoAnchor, why)
	}
	return nil
}

type placement int

const (
	inside placement = iota
	cut
	before
	after
)

// place puts an entry on the run's clock. Times beyond what model.Time
// holds are before or after any window.
func (a *Alignment) place(e Entry, run *model.Run) (start, end model.Time, where placement) {
	d := e.Start.Sub(a.WallZero)
	switch {
	case d == math.MinInt64:
		return 0, 0, before
	case d == math.MaxInt64 || int64(d) > math.MaxInt64-int64(e.Duration):
		return 0, 0, after
	}
	start = model.Time(d)
	end = start.Add(e.Duration)
	switch {
	case end <= run.Start && start < run.Start:
		return start, end, before
	case start >= run.End && end > run.End:
		return start, end, after
	case start < run.Start || end > run.End:
		return start, end, cut
	}
	return start, end, inside
}

// logIDs returns the log's ids as numbers when every entry has a distinct
// one that is a number, else nil.
func logIDs(entries []Entry) []uint64 {
	ids := make([]uint64, len(entries))
	seen := make(map[uint64]struct{}, len(entries))
	for i, e := range entries {
		id, err := strconv.ParseUint(e.ID, 10, 64)
		if err != nil || id == 0 {
			return nil
		}
		if _, dup := seen[id]; dup {
			return nil
		}
		seen[id] = struct{}{}
		ids[i] = id
	}
	return ids
}

func runName(run *model.Run) string {
	var names []string
	for _, in := range run.Inputs {
		names = append(names, in.Path)
	}
	if len(names) == 0 {
		return "the run"
	}
	return strings.Join(names, " + ")
}

func stamp(t time.Time) string { return t.UTC().Format("2006-01-02T15:04:05.000Z") }
