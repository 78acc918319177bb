package exectrace

import (
	"bytes"
	"context"
	"runtime/trace"
	"testing"
)

// TestRegionsKept checks that a trace with tasks keeps every region when
// asked to, or when no task is of the type the analysis counts, against
// x/exp's own count of regions begun, by type, on both read paths, and
// that each region's fields survive the compact store: every region lies
// inside the window and names a task the run has.
func TestRegionsKept(t *testing.T) {
	data, _ := traced(t, workload{tasks: 40, workers: 2, alloc: 64 << 10})
	raw := rawRead(t, data)
	if raw.tasks == 0 || raw.regionsOf["fanout"] == 0 || raw.regionsOf["handle"] == 0 {
		t.Fatalf("workload made %d tasks and regions %v", raw.tasks, raw.regionsOf)
	}
	for _, opts := range []Options{
		{AllRegions: true}, {AllRegions: true, whole: true},
		{TaskType: "handle"}, {TaskType: "handle", whole: true}, // a region type, no task's
	} {
		run, err := Read(bytes.NewReader(data), "tasks.trace", opts)
		if err != nil {
			t.Fatalf("%+v: Read: %v", opts, err)
		}
		if run.Regions.Len() != raw.regions {
			t.Errorf("%+v: %d regions, want %d", opts, run.Regions.Len(), raw.regions)
		}
		tasks := map[uint64]bool{}
		for _, r := range run.Requests.All() {
			tasks[r.ID] = true
		}
		byType := map[string]int{}
		for r := range run.Regions.All() {
			byType[r.Type]++
			if r.Start < run.Start || r.End > run.End || r.End < r.Start || !tasks[r.Task] {
				t.Errorf("%+v: region %+v outside the window [%d, %d] or of an unknown task", opts, r, run.Start, run.End)
			}
		}
		for typ, n := range raw.regionsOf {
			if byType[typ] != n {
				t.Errorf("%+v: %d regions of type %q, want %d", opts, byType[typ], typ, n)
			}
		}
		if run.Requests.Len() != raw.tasks {
			t.Errorf("%+v: %d requests, want %d", opts, run.Requests.Len(), raw.tasks)
		}
	}
}

// TestRegionsDroppedWithTasks checks that once a task the analysis counts
// has begun, no region is kept (the analysis would not look at them), on
// both read paths, and that the tasks are what they are with every region
// kept.
func TestRegionsDroppedWithTasks(t *testing.T) {
	data, _ := traced(t, workload{tasks: 40, workers: 2, alloc: 64 << 10})
	raw := rawRead(t, data)
	for _, whole := range []bool{false, true} {
		all, err := Read(bytes.NewReader(data), "tasks.trace", Options{AllRegions: true, whole: whole})
		if err != nil {
			t.Fatal(err)
		}
		for _, taskType := range []string{"", "request"} {
			run, err := Read(bytes.NewReader(data), "tasks.trace", Options{TaskType: taskType, whole: whole})
			if err != nil {
				t.Fatal(err)
			}
			if run.Regions.Len() != 0 || run.Regions != nil {
				t.Errorf("whole=%v task type %q: %d regions kept, want none", whole, taskType, run.Regions.Len())
			}
			if run.Requests.Len() != raw.tasks || !run.Requests.Equal(all.Requests) {
				t.Errorf("whole=%v task type %q: %d requests differ from those read with every region kept (%d)",
					whole, taskType, run.Requests.Len(), all.Requests.Len())
			}
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
	if run.Regions.Len() != raw.regions || run.Requests.Len() != 0 {
		t.Errorf("%d regions and %d requests, want %d and 0", run.Regions.Len(), run.Requests.Len(), raw.regions)
	}
}
