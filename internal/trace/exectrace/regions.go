package exectrace

import "github.com/gcwatch/gcwatch/internal/model"

// Every user region is kept: a request-heavy trace has several per task
// (a million in a 1 GB trace), so they go straight into the run's compact
// model.Regions (about a dozen bytes each) as they end, with nothing kept
// on the way.

// regionState gathers the regions still open at the end of the window,
// which are sorted before they join the run (they end at the same time,
// found in map order).
type regionState struct {
	closing bool
	atEnd   []model.Region
}

// addRegion stores a finished region.
func (b *builder) addRegion(r regionRec) {
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
