package exectrace

import "github.com/gcwatch/gcwatch/internal/model"

// User regions are the analysis's request spans only when a trace has no
// task the analysis counts as a request (analyze.Analyze falls back to
// them then). So they are kept until such a task begins, and those kept
// are dropped then: a request-heavy trace has several regions per task
// (12 million in our 1 GB dense benchmark trace, 120 MB even compact),
// which would otherwise stay in memory to no use. Options.AllRegions keeps
// every one. Kept regions go straight into the run's compact
// model.Regions (about a dozen bytes each) as they end.

// regionState decides which regions are kept, and gathers the regions
// still open at the end of the window, which are sorted before they join
// the run (they end at the same time, found in map order).
type regionState struct {
	// dropped says that a counted task has begun: regions are no longer
	// kept. all (Options.AllRegions) keeps them whatever the tasks.
	dropped, all bool
	// taskType is Options.TaskType.
	taskType string
	closing  bool
	atEnd    []model.Region
}

// taskBegun notes that a task of type typ is in the run: once it is one
// the analysis counts as a request, no region is needed.
func (b *builder) taskBegun(typ string) {
	rs := &b.regions
	if rs.dropped || rs.all || (rs.taskType != "" && typ != rs.taskType) {
		return
	}
	rs.dropped = true
	b.run.Regions = nil
	rs.atEnd = nil
}

// addRegion stores a finished region.
func (b *builder) addRegion(r regionRec) {
	if b.regions.dropped {
		return
	}
	reg := model.Region{
		Task: r.task, Type: b.typeNames[r.typ], Goroutine: r.goroutine,
		Start: r.start, End: r.end, Open: r.open,
	}
	if b.regions.closing {
		b.regions.atEnd = append(b.regions.atEnd, reg)
		return
	}
	b.keepRegion(reg)
}

func (b *builder) keepRegion(r model.Region) {
	if b.run.Regions == nil {
		b.run.Regions = &model.Regions{}
	}
	b.run.Regions.Add(r)
}

// closeRegionsAtEnd runs f, which closes the regions still open at the
// end of the window, and keeps those in a stable order.
func (b *builder) closeRegionsAtEnd(f func()) {
	b.regions.closing = true
	f()
	b.regions.closing = false
	sortRegions(b.regions.atEnd)
	for _, r := range b.regions.atEnd {
		b.keepRegion(r)
	}
	b.regions.atEnd = nil
}
