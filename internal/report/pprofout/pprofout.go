package pprofout

import (
	"cmp"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
	"time"

	"github.com/google/pprof/profile"

	"github.com/gcwatch/gcwatch/internal/analyze"
	"github.com/gcwatch/gcwatch/internal/model"
)

// Sample types, in the order of Sample.Value.
const (
	MarkAssist = "mark_assist"
	STWOverlap = "stw_overlap"
)

// Frames standing for stacks that are not known.
const (
	frameAssistBefore = "[assist begun before the trace]"
	frameUnknown      = "[stack unknown]"
)

var (
	// ErrNoTrace is returned for a process without an execution trace.
	ErrNoTrace = errors.New("no execution trace: mark assists and their stacks come only from one")
	// ErrNoStacks is returned for a trace read without stacks.
	ErrNoStacks = errors.New("the trace was read without stacks")
	// ErrEmpty is returned when there is nothing to profile.
	ErrEmpty = errors.New("no mark assists and no request overlapping a GC pause: nothing to profile")
)

// Totals are a profile's values summed per sample type.
type Totals struct {
	MarkAssist, STWOverlap time.Duration
}

// Build makes the profile of res. It fails with ErrNoTrace, ErrNoStacks
// or ErrEmpty when there is nothing to put in it.
func Build(res *analyze.Result) (*profile.Profile, error) {
	run := res.Run
	if !run.Fidelity.Trace {
		return nil, ErrNoTrace
	}
	if !run.Fidelity.Stacks {
		return nil, ErrNoStacks
	}
	b := newBuilder(run)
	for _, a := range run.AssistStacks {
		if a.Time > 0 {
			b.add(a.Stack, frameAssistBefore, [2]int64{int64(a.Time), 0}, a.RequestType, "")
		}
	}
	b.addOverlaps(res)
	p := b.p
	if len(p.Sample) == 0 {
		return nil, ErrEmpty
	}
	if err := p.CheckValid(); err != nil {
		return nil, fmt.Errorf("building the profile: %w", err)
	}
	return p, nil
}

// Write writes p gzip-compressed, as go tool pprof reads it.
func Write(w io.Writer, p *profile.Profile) error {
	return p.Write(w)
}

// Sum returns p's totals per sample type.
func Sum(p *profile.Profile) Totals {
	var t Totals
	for _, s := range p.Sample {
		t.MarkAssist += time.Duration(s.Value[0])
		t.STWOverlap += time.Duration(s.Value[1])
	}
	return t
}

type builder struct {
	run       *model.Run
	p         *profile.Profile
	locations map[model.Frame]*profile.Location
	functions map[[2]string]*profile.Function
	// samples merges values of the same stack and labels.
	samples map[sampleKey]*profile.Sample
}

type sampleKey struct {
	stack       int
	unknown     string
	requestType string
	pause       string
}

func newBuilder(run *model.Run) *builder {
	p := &profile.Profile{
		SampleType: []*profile.ValueType{
			{Type: MarkAssist, Unit: "nanoseconds"},
			{Type: STWOverlap, Unit: "nanoseconds"},
		},
		DefaultSampleType: MarkAssist,
		PeriodType:        &profile.ValueType{Type: "time", Unit: "nanoseconds"},
		Period:            1,
		DurationNanos:     int64(run.Duration()),
		Comments:          []string{"gcwatch: mark-assist time and GC stop-the-world overlap of requests, by stack"},
	}
	if run.WallStart != nil {
		p.TimeNanos = run.WallStart.UnixNano()
	}
	return &builder{
		run: run, p: p,
		locations: make(map[model.Frame]*profile.Location),
		functions: make(map[[2]string]*profile.Function),
		samples:   make(map[sampleKey]*profile.Sample),
	}
}

// add adds values at stack (an index in run.Stacks, or model.NoStack,
// then at the frame unknown).
func (b *builder) add(stack int, unknown string, values [2]int64, requestType, pause string) {
	if stack < 0 || stack >= len(b.run.Stacks) {
		stack = model.NoStack
	}
	key := sampleKey{stack: stack, requestType: requestType, pause: pause}
	if stack == model.NoStack {
		key.unknown = unknown
	}
	if s := b.samples[key]; s != nil {
		s.Value[0] += values[0]
		s.Value[1] += values[1]
		return
	}
	s := &profile.Sample{Value: values[:], Label: map[string][]string{}}
	if requestType != "" {
		s.Label["request_type"] = []string{requestType}
	}
	if pause != "" {
		s.Label["pause"] = []string{pause}
	}
	if stack == model.NoStack {
		s.Location = []*profile.Location{b.location(model.Frame{Function: unknown})}
	} else {
		for _, f := range ownFrames(b.run.Stacks[stack].Frames) {
			s.Location = append(s.Location, b.location(f))
		}
	}
	b.samples[key] = s
	b.p.Sample = append(b.p.Sample, s)
}

// ownFrames leaves out the tracer's own leading frames (the runtime
// records the stack from inside its trace functions), keeping at least
// one frame.
func ownFrames(frames []model.Frame) []model.Frame {
	i := 0
	for i < len(frames)-1 && strings.HasPrefix(frames[i].Function, "runtime.trace") {
		i++
	}
	return frames[i:]
}

func (b *builder) location(f model.Frame) *profile.Location {
	if l := b.locations[f]; l != nil {
		return l
	}
	fk := [2]string{f.Function, f.File}
	fn := b.functions[fk]
	if fn == nil {
		fn = &profile.Function{ID: uint64(len(b.p.Function) + 1), Name: f.Function, SystemName: f.Function, Filename: f.File}
		b.functions[fk] = fn
		b.p.Function = append(b.p.Function, fn)
	}
	l := &profile.Location{ID: uint64(len(b.p.Location) + 1), Line: []profile.Line{{Function: fn, Line: f.Line}}}
	b.locations[f] = l
	b.p.Location = append(b.p.Location, l)
	return l
}

// addOverlaps adds, for every counted request, its overlap with each GC
// pause at the stack its goroutine was at when the pause began.
func (b *builder) addOverlaps(res *analyze.Result) {
	var pauses []model.Pause
	var longest time.Duration
	for _, p := range b.run.Pauses {
		if p.IsGC() {
			pauses = append(pauses, p)
			longest = max(longest, p.Duration)
		}
	}
	slices.SortFunc(pauses, func(x, y model.Pause) int { return cmp.Compare(x.Start, y.Start) })
	for _, i := range res.Counted {
		req := res.Requests.At(int(i))
		r := &req
		// Pauses that can overlap r begin after r.Start − longest.
		from := r.Start.Add(-longest)
		j, _ := slices.BinarySearchFunc(pauses, from, func(p model.Pause, t model.Time) int { return cmp.Compare(p.Start, t) })
		for ; j < len(pauses) && pauses[j].Start < r.End; j++ {
			p := &pauses[j]
			s, e := max(r.Start, p.Start), min(r.End, p.End())
			if e <= s {
				continue
			}
			b.add(pauseStack(r, p.Start), frameUnknown, [2]int64{0, int64(e.Sub(s))}, r.Type, string(p.Kind))
		}
	}
}

// pauseStack returns the stack r noted for the pause that began at start.
func pauseStack(r *model.Request, start model.Time) int {
	for _, ps := range r.PauseStacks {
		if ps.PauseStart == start {
			return ps.Stack
		}
	}
	return model.NoStack
}
