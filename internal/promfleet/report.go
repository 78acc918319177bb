package promfleet

import (
	"fmt"
	"slices"

	"github.com/gcwatch/gcwatch/internal/fleet"
)

// Document is the fleet report for what Collect read from url: the jobs
// assessed and ranked, the window, and the server's warnings as notes.
func Document(res *Result, url, schema, generator string) *fleet.Document {
	o := res.Opts
	doc := &fleet.Document{Schema: schema, Kind: fleet.Kind, Generator: generator, Source: fleet.SourcePrometheus,
		Services: Rank(Assess(res)), Notes: slices.Clone(res.Notes),
		Window: &fleet.Window{URL: url, Job: o.Job, Start: o.End.Add(-o.Range).UTC(), End: o.End.UTC(),
			Range: promDuration(o.Range), Step: promDuration(o.Step)}}
	if len(doc.Services) == 0 {
		doc.Notes = append(doc.Notes, fmt.Sprintf("no job matching %q exported go_gc_duration_seconds in the range", o.Job))
	}
	if doc.Notes == nil {
		doc.Notes = []string{}
	}
	return doc
}
