package exectrace

import (
	"bytes"
	"context"
	"runtime/trace"
	"testing"
)

// TestRegionPolicy checks which regions a run keeps against x/exp's own
// count of regions begun, by type: with tasks, none by default and those
// of RegionType when asked; every one when asked for all.
func TestRegionPolicy(t *testing.T) {
	data, _ := traced(t, workload{tasks: 40, workers: 2, alloc: 64 << 10})
	raw := rawRead(t, data)
	if raw.tasks == 0 || raw.regionsOf["fanout"] == 0 || raw.regionsOf["handle"] == 0 {
		t.Fatalf("workload made %d tasks and regions %v", raw.tasks, raw.regionsOf)
	}
	for _, c := range []struct {
		name string
		opts Options
		want int
	}{
		{"default", Options{}, 0},
		{"type", Options{RegionType: "fanout"}, raw.regionsOf["fanout"]},
		{"all", Options{AllRegions: true}, raw.regions},
		{"whole", Options{RegionType: "handle", whole: true}, raw.regionsOf["handle"]},
	} {
		run, err := Read(bytes.NewReader(data), "tasks.trace", c.opts)
		if err != nil {
			t.Fatalf("%s: Read: %v", c.name, err)
		}
		if len(run.Regions) != c.want {
			t.Errorf("%s: %d regions, want %d", c.name, len(run.Regions), c.want)
		}
		for _, r := range run.Regions {
			if c.opts.RegionType != "" && r.Type != c.opts.RegionType {
				t.Errorf("%s: kept a region of type %q", c.name, r.Type)
			}
		}
		if len(run.Requests) != raw.tasks {
			t.Errorf("%s: %d requests, want %d", c.name, len(run.Requests), raw.tasks)
		}
	}
}

// TestRegionsWithoutTasks checks that a trace with regions and no tasks
// keeps every region: they are the analysis's request spans then.
func TestRegionsWithoutTasks(t *testing.T) {
	var buf bytes.Buffer
	startTrace(t, &buf)
	for i := range 50 {
		trace.WithRegion(context.Background(), "serve", func() {
			allocate(16 << 10)
			if i%2 == 0 {
				trace.WithRegion(context.Background(), "inner", func() { allocate(4 << 10) })
			}
		})
	}
	stopTrace()
	raw := rawRead(t, buf.Bytes())
	run, err := Read(bytes.NewReader(buf.Bytes()), "regions.trace", Options{})
	if err != nil {
		t.Fatalf("Read: %v", err)
	}
	if raw.tasks != 0 || raw.regions != 75 {
		t.Fatalf("trace has %d tasks and %d regions, want 0 and 75", raw.tasks, raw.regions)
	}
	if len(run.Regions) != raw.regions || len(run.Requests) != 0 {
		t.Errorf("%d regions and %d requests, want %d and 0", len(run.Regions), len(run.Requests), raw.regions)
	}
}
