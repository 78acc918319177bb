package exectrace

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"sync/atomic"

	exptrace "golang.org/x/exp/trace"

	"github.com/gcwatch/gcwatch/internal/limits"
)

// parsed is one generation turned into records by a worker.
type parsed struct {
	gen     *generation
	dmg     *damage // from the splitter: nothing to apply
	records recordBuffer
	events  int64
	err     error      // the reader failed on this generation
	stacks  *genStacks // the stacks its recStack records name
}

// readGenerations cuts the stream into generations, parses up to
// opts.Workers of them at once and applies their records in order. At
// most Workers+1 generations are in flight (Workers being cut, parsed or
// waiting, one being applied), which bounds memory whatever the trace's
// length. One more would not help the speed: the apply step is several
// times quicker than a parse, so Workers parses ahead keep it busy.
func readGenerations(br *bufio.Reader, b *builder, name string, opts Options) error {
	header := make([]byte, headerLen)
	if _, err := io.ReadFull(br, header); err != nil {
		return fmt.Errorf("%s: reading header: %w", name, err)
	}
	version, _ := formatVersion(header)
	sp := &splitter{r: br, version: version, off: headerLen}

	// moot tells the parse workers that inferred requests will be dropped
	// (the trace has tasks), so classifying server stacks is wasted work.
	var moot atomic.Bool
	slots := make(chan chan *parsed, opts.Workers) // in stream order
	jobs := make(chan func(), opts.Workers)
	stop := make(chan struct{}) // closed when the rest is not to be read
	for range opts.Workers {
		go func() {
			for job := range jobs {
				job()
			}
		}()
	}
	go func() {
		defer close(slots)
		defer close(jobs)
		for {
			// Take the slot before cutting the generation, so that no
			// generation waits in memory for one.
			select {
			case <-stop:
				return
			default:
			}
			slot := make(chan *parsed, 1)
			select {
			case slots <- slot: // blocks while Workers generations wait for their turn
			case <-stop:
				return
			}
			p, ok := sp.next()
			if !ok {
				slot <- &parsed{}
				return
			}
			if opts.Progress != nil {
				opts.Progress(sp.off)
			}
			if p.dmg != nil {
				slot <- &parsed{dmg: p.dmg}
				continue
			}
			infer := opts.InferRequests != InferNever
			select {
			case jobs <- func() { slot <- parseGeneration(header, p.gen, infer, opts.Stacks, &moot) }:
			case <-stop:
				return
			}
		}
	}()

	var dmg *DamageError
	resumed := false // a generation was analysed after damage
	// usable counts the bytes of the generations analysed, lost those
	// lost since the last one: past limits.Unusable, the rest is not read
	// (generations that look whole but do not parse, a decompression
	// bomb of them, cost about as much as the trace at most).
	var usable, lost int64
	for slot := range slots {
		p := <-slot
		switch {
		case p.gen == nil && p.dmg == nil:
			// The end of the stream.
		case p.dmg != nil:
			dmg = b.damaged(dmg, name, *p.dmg)
			lost += p.dmg.lost
		case p.err != nil:
			dmg = b.damaged(dmg, name, damage{offset: p.gen.offset, lost: p.gen.size,
				err: fmt.Errorf("generation %d (bytes %d to %d): %w", p.gen.number, p.gen.offset, p.gen.offset+p.gen.size, p.err)})
			if lost += p.gen.size; limits.Unusable(usable, lost) {
				b.run.Warnings = append(b.run.Warnings, fmt.Sprintf(
					"%s: no intact generation in the %d bytes before byte offset %d, so the rest of the input was not read",
					name, lost, p.gen.offset+p.gen.size))
				// Wait for the splitter to stop: the input is the
				// caller's again once Read returns.
				close(stop)
				for range slots {
				}
				return b.damageResult(dmg)
			}
		default:
			usable += p.gen.size
			lost = 0
			if dmg != nil && !resumed {
				resumed = true
				b.run.Warnings = append(b.run.Warnings, fmt.Sprintf(
					"%s: generations after the damage (from byte offset %d) were analysed on their own; "+
						"what was in progress across the damage is cut there", name, p.gen.offset))
			}
			b.stk.table.gen = p.stacks
			p.records.applyTo(b)
			b.run.Stats.Events += p.events
			b.run.Stats.Generations++
			if b.inferenceMoot() {
				moot.Store(true)
			}
		}
	}
	if b.run.Stats.Generations == 0 && dmg == nil {
		return fmt.Errorf("%s: no events after the trace header", name)
	}
	return b.damageResult(dmg)
}

// damageResult is what readGenerations returns once it stops: nil or the
// damage, with how much was analysed and lost.
func (b *builder) damageResult(dmg *DamageError) error {
	if b.run.Stats.Generations > 0 {
		// Count the stream's closing sync once, as a single reader would.
		b.run.Stats.Events++
	}
	if dmg == nil {
		return nil
	}
	dmg.GoodGenerations = b.run.Stats.Generations
	dmg.LostBytes = b.run.Stats.LostBytes
	if more := dmg.Stretches - maxDamageWarnings; more > 0 {
		b.run.Warnings = append(b.run.Warnings, fmt.Sprintf("%s: %d more damaged stretches; %d bytes lost to damage in all, %d generations kept",
			dmg.Name, more, dmg.LostBytes, dmg.GoodGenerations))
	}
	return dmg
}

// damaged records damage d in the run and folds it into the error to
// return (the first damage names the offset).
func (b *builder) damaged(e *DamageError, name string, d damage) *DamageError {
	b.run.Stats.LostBytes += d.lost
	if e == nil {
		e = &DamageError{Name: name, Offset: d.offset, Err: d.err}
	}
	if e.Stretches++; e.Stretches <= maxDamageWarnings {
		where := "damaged"
		if errors.Is(d.err, errTruncated) {
			where = "truncated"
		}
		b.run.Warnings = append(b.run.Warnings, fmt.Sprintf("%s: %s at byte offset %d: %v; skipped %d bytes, kept the %d generations before",
			name, where, d.offset, d.err, d.lost, b.run.Stats.Generations))
	}
	b.gap()
	return e
}

// maxDamageWarnings is how many damaged stretches of a trace are warned
// about one by one; one more warning counts the others.
const maxDamageWarnings = 20

// parseGeneration reads one generation with its own x/exp reader and
// distils its events into records. It classifies server goroutines'
// stacks when infer is set, until moot says the result will be dropped.
func parseGeneration(header []byte, g *generation, infer, stacks bool, moot *atomic.Bool) (p *parsed) {
	p = &parsed{gen: g}
	defer func() {
		if r := recover(); r != nil {
			p.err = readerFailed(fmt.Errorf("trace reader failed: %v", r))
		}
		if p.err != nil {
			p.records.release()
		}
		g.chunks = nil
	}()
	tr, err := exptrace.NewReader(io.MultiReader(bytes.NewReader(header), &chunkReader{chunks: g.chunks}))
	if err != nil {
		p.err = readerFailed(err)
		return p
	}
	g.chunks = nil // the reader holds them now and lets go as it copies
	var cls *stackClassifier
	if infer {
		cls = newStackClassifier()
	}
	if stacks {
		p.stacks = newGenStacks()
	}
	p.distil(tr, cls, moot)
	return p
}

// distil reads tr to its end, turning the events into p's records (and
// stacks, when p.stacks is set). cls, when not nil, classifies server
// goroutines' stacks until moot is set.
func (p *parsed) distil(tr *exptrace.Reader, cls *stackClassifier, moot *atomic.Bool) {
	syncs := 0
	var rec, srv record
	var mv moves
	put := p.records.put
	for {
		ev, err := tr.ReadEvent()
		if err != nil {
			// Tested only on error: errors.Is is a call per event (1% of
			// the ingest's CPU).
			if !errors.Is(err, io.EOF) {
				p.err = readerFailed(err)
			}
			return
		}
		p.events++
		if p.stacks != nil {
			p.stacks.emit(&ev, put)
		}
		kind := ev.Kind()
		if kind == exptrace.EventStateTransition {
			// Nine events in ten: goroutine transitions go straight into
			// the buffer, not through a record.
			var st exptrace.StateTransition
			if gid, from, to, ok := mv.goroutine(&ev, &st); ok {
				t, proc := int64(ev.Time()), int32(ev.Proc())
				p.records.putGoState(t, gid, proc, to)
				if cls != nil && classifiableFrom(from) && !moot.Load() {
					rec.setGoState(t, gid, proc, from, to)
					if st == (exptrace.StateTransition{}) { // the fast path left it
						st = ev.StateTransition()
					}
					if cls.classify(&ev, &st, &rec, &srv) {
						p.records.put(&srv)
					}
				}
				continue
			}
			if !transitionRecord(&ev, &st, &rec) {
				continue
			}
		} else if !otherRecord(&ev, kind, &rec) {
			continue
		}
		if rec.kind == recSync {
			// A reader brackets its generation with two syncs; the second
			// marks the end of this reader's stream, not a generation.
			if syncs++; syncs > 1 {
				rec.flag |= flagFinal
				p.events--
			}
		}
		p.records.put(&rec)
	}
}

// chunkReader reads a generation's chunks, dropping each once read so the
// memory goes as soon as x/exp has copied it.
type chunkReader struct {
	chunks [][]byte
}

func (c *chunkReader) Read(p []byte) (int, error) {
	for len(c.chunks) > 0 {
		if len(c.chunks[0]) == 0 {
			c.chunks[0] = nil
			c.chunks = c.chunks[1:]
			continue
		}
		n := copy(p, c.chunks[0])
		c.chunks[0] = c.chunks[0][n:]
		return n, nil
	}
	return 0, io.EOF
}
