package exectrace

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"runtime"
	"strconv"

	exptrace "golang.org/x/exp/trace"

	"github.com/gcwatch/gcwatch/internal/mmu"
	"github.com/gcwatch/gcwatch/internal/model"
)

// Options tunes Read.
type Options struct {
	// Workers is how many generations are parsed in parallel; 0 means
	// min(2, GOMAXPROCS).
	Workers int
	// Progress, when set, is called now and then from the reading
	// goroutine with the number of input bytes consumed so far.
	Progress func(bytesDone int64)
	// MMU configures the MMU curve.
	MMU mmu.Options
	// InferRequests says when to infer requests from net/http and gRPC
	// server goroutines (infer.go); by default when the trace has no
	// tasks.
	InferRequests InferMode
	// Stacks keeps the stacks of mark assists and of requests at GC
	// pauses (Run.Stacks, Run.AssistStacks, Request.PauseStacks).
	Stacks bool
	// TaskType is the type of the tasks the analysis counts as requests
	// (analyze.Options.TaskType; empty: every task). The analysis uses
	// user regions only when the trace has no such task, so once one
	// begins the run keeps no regions (regions.go); AllRegions keeps
	// every region regardless.
	TaskType   string
	AllRegions bool
	// Phase, when set, is called with true before the stream is read and
	// with false once it has been, before the run is assembled from what
	// was kept (from then on Read allocates only the run's own values, which
	// stay live; the caller may tune its GC for that).
	Phase func(streaming bool)

	// MaxWhole, when positive, is the most a trace that x/exp reads whole
	// (the Go ≤1.21 formats, which it reads into memory before parsing)
	// may hold; more is an error before anything is parsed. Generations of
	// later formats are read one at a time and need no such cap.
	MaxWhole int64

	// whole makes Read use one x/exp reader over the whole stream, as it
	// does for Go ≤1.21 traces; tests compare the two paths.
	whole bool
}

// ErrTooLargeWhole is a Go ≤1.21 trace larger than Options.MaxWhole.
var ErrTooLargeWhole = errors.New("a Go 1.21 or older trace is read whole, and this one decompresses to more than its file can hold (a gzip bomb?); not read")

// DamageError reports a trace that could be read only in part: it was
// truncated or has corrupted bytes. The run returned with it holds every
// generation that could be analysed.
type DamageError struct {
	Name            string
	Offset          int64 // byte offset of the first damage
	LostBytes       int64 // bytes not analysed
	GoodGenerations int   // generations analysed
	Stretches       int   // damaged stretches (Run.Warnings lists the first ones)
	Err             error
}

func (e *DamageError) Error() string {
	return fmt.Sprintf("%s: damaged at byte offset %d: %v; analysed %d generations, lost %d bytes",
		e.Name, e.Offset, e.Err, e.GoodGenerations, e.LostBytes)
}

func (e *DamageError) Unwrap() error { return e.Err }

// headerLen is the length of a trace header: "go 1.NN trace" padded with
// NUL bytes.
const headerLen = 16

// LooksLike reports whether a stream that begins with prefix is an
// execution trace (header "go 1.NN trace") and returns its format, e.g.
// "go 1.23 trace". It needs the first 16 bytes.
func LooksLike(prefix []byte) (version string, ok bool) {
	n, ok := formatVersion(prefix)
	if !ok {
		return "", false
	}
	return fmt.Sprintf("go 1.%d trace", n), true
}

// formatVersion parses the minor version out of a trace header.
func formatVersion(prefix []byte) (int, bool) {
	const head, tail = "go 1.", " trace\x00"
	if len(prefix) < headerLen || !bytes.HasPrefix(prefix, []byte(head)) {
		return 0, false
	}
	rest := prefix[len(head):headerLen]
	i := bytes.IndexByte(rest, ' ')
	if i < 1 || i > 3 || !bytes.HasPrefix(rest[i:], []byte(tail)) {
		return 0, false
	}
	for _, c := range rest[i+len(tail):] {
		if c != 0 {
			return 0, false
		}
	}
	n, err := strconv.Atoi(string(rest[:i]))
	if err != nil || n < 1 {
		return 0, false
	}
	return n, true
}

// goVersionOf names the Go releases that write trace format 1.n.
func goVersionOf(n int) string {
	switch n {
	case 11, 19, 23, 26:
		// Written unchanged by later releases too (1.11–1.18, 1.19–1.20,
		// 1.23–1.24, and 1.26 until the format changes again).
		return fmt.Sprintf("go1.%d+", n)
	}
	return fmt.Sprintf("go1.%d", n)
}

// Read streams one execution trace and distils it into a run. It returns
// a non-nil run whenever at least one generation was analysed. On damage
// (truncation, corrupted bytes) it also returns a *DamageError, and the
// run's Warnings say the same. A Go ≤1.21 trace is read whole by x/exp,
// so damage there is an error without a run.
func Read(r io.Reader, name string, opts Options) (*model.Run, error) {
	if opts.Workers <= 0 {
		opts.Workers = min(2, runtime.GOMAXPROCS(0))
	}
	in := &countingReader{r: r}
	br := bufio.NewReaderSize(in, 1<<20)
	prefix, _ := br.Peek(headerLen)
	n, ok := formatVersion(prefix)
	if !ok {
		return nil, fmt.Errorf("%s: not a Go execution trace (no \"go 1.N trace\" header)", name)
	}
	run := &model.Run{
		Inputs:    []model.Input{{Path: name, Kind: model.KindTrace, Format: fmt.Sprintf("go 1.%d trace", n)}},
		GoVersion: goVersionOf(n), GoVersionFrom: "trace",
	}
	b := newBuilder(run, opts.MMU)
	b.infer.mode = opts.InferRequests
	b.regions.taskType, b.regions.all = opts.TaskType, opts.AllRegions
	if opts.Stacks {
		b.enableStacks()
	}
	if opts.Phase != nil {
		opts.Phase(true)
	}
	var err error
	if n <= 21 || opts.whole {
		in.progress = opts.Progress
		src := io.Reader(br)
		if n <= 21 && opts.MaxWhole > 0 {
			src = &capReader{r: br, left: opts.MaxWhole}
		}
		if err := readWhole(src, b, opts.InferRequests != InferNever); err != nil {
			if errors.Is(err, ErrTooLargeWhole) {
				return nil, fmt.Errorf("%s: %w", name, ErrTooLargeWhole)
			}
			return nil, fmt.Errorf("%s: %w", name, err)
		}
		if _, err := io.Copy(io.Discard, br); err != nil {
			return nil, fmt.Errorf("%s: %w", name, err)
		}
	} else {
		err = readGenerations(br, b, name, opts)
		if err != nil && run.Stats.Generations == 0 {
			return nil, err
		}
	}
	if opts.Phase != nil {
		opts.Phase(false)
	}
	b.finish()
	run.Stats.Bytes = in.n
	run.Inputs[0].Bytes = in.n
	// Damage is already in the warnings, one line per damaged stretch.
	return run, err
}

// capReader fails with ErrTooLargeWhole once more than left bytes are
// read, so that x/exp's read-it-all stops there.
type capReader struct {
	r    io.Reader
	left int64
}

func (c *capReader) Read(p []byte) (int, error) {
	if c.left <= 0 {
		return 0, ErrTooLargeWhole
	}
	if int64(len(p)) > c.left {
		p = p[:c.left]
	}
	n, err := c.r.Read(p)
	c.left -= int64(n)
	return n, err
}

// readWhole reads the stream with one x/exp reader.
func readWhole(r io.Reader, b *builder, infer bool) (err error) {
	defer func() {
		if p := recover(); p != nil {
			err = readerFailed(fmt.Errorf("trace reader failed: %v", p))
		}
	}()
	tr, err := exptrace.NewReader(r)
	if err != nil {
		return readerFailed(err)
	}
	var rec, srv record
	var mv moves
	var cls *stackClassifier
	if infer {
		cls = newStackClassifier()
	}
	var stacks *genStacks
	apply := b.apply
	if b.stk.on {
		stacks = newGenStacks()
		b.stk.table.gen = stacks
	}
	syncs := 0
	for {
		ev, err := tr.ReadEvent()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return readerFailed(err)
		}
		b.run.Stats.Events++
		if ev.Kind() == exptrace.EventSync {
			syncs++
		}
		if stacks != nil {
			stacks.emit(&ev, apply)
		}
		if mv.record(&ev, &rec) {
			b.apply(&rec)
			if cls != nil && classifiable(&rec) && !b.inferenceMoot() {
				if st := ev.StateTransition(); cls.classify(&ev, &st, &rec, &srv) {
					b.apply(&srv)
				}
			}
		}
	}
	// A reader emits a sync before each generation and one at the end.
	b.run.Stats.Generations = max(syncs-1, 0)
	return nil
}

// inferenceMoot reports whether requests inferred from here on would be
// dropped: in auto mode, once the trace has shown a task's request
// (finishInferred drops inferred requests then).
func (b *builder) inferenceMoot() bool {
	return b.infer.mode == InferAuto && b.results.requests.n > 0
}

// countingReader counts bytes read and reports progress every few MB.
type countingReader struct {
	r        io.Reader
	n        int64
	reported int64
	progress func(int64)
}

const progressEvery = 4 << 20

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += int64(n)
	if c.progress != nil && c.n-c.reported >= progressEvery {
		c.reported = c.n
		c.progress(c.n)
	}
	return n, err
}
