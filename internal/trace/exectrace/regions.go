package exectrace

// A request-heavy trace has several regions per task: kept whole they
// were most of the run's memory (a million regions in a 1 GB trace),
// yet the analysis takes regions as request spans only when it finds no
// task requests. So once the trace has shown a task, finished regions are
// kept only when Options ask for them.

// regionPolicy decides which finished regions the run keeps.
type regionPolicy struct {
	all   bool   // keep every region (Options.AllRegions)
	typ   string // keep regions of this type even when there are tasks
	tasks bool   // the trace has shown a task
}

// keepsRegion reports whether a finished region of type typ (an index in
// typeNames) is kept.
func (b *builder) keepsRegion(typ uint32) bool {
	p := &b.regions
	return p.all || !p.tasks || (p.typ != "" && b.typeNames[typ] == p.typ)
}

// addRegion stores a finished region if the policy keeps it.
func (b *builder) addRegion(r regionRec) {
	if b.keepsRegion(r.typ) {
		b.results.regions.add(r)
	}
}

// sawTask notes that the trace has a task: from now on, and for the
// regions stored so far, only the regions the policy keeps stay.
func (b *builder) sawTask() {
	if b.regions.tasks {
		return
	}
	b.regions.tasks = true
	if b.regions.all {
		return
	}
	var kept chunked[regionRec]
	b.results.regions.drain(func(r *regionRec) {
		if b.keepsRegion(r.typ) {
			kept.add(*r)
		}
	})
	b.results.regions = kept
}
