package ingest

import (
	"cmp"
	"fmt"
	"io"
	"slices"
	"strings"
	"time"

	"github.com/google/pprof/profile"

	"github.com/gcwatch/gcwatch/internal/model"
)

// maxAllocSites bounds how many allocation sites a run keeps.
const maxAllocSites = 20

// readAllocs reads a pprof heap or allocs profile and ranks the program's
// allocation sites: the first frame of each sample outside the runtime,
// summed over samples.
func readAllocs(r io.Reader, name string) (*model.AllocProfile, error) {
	p, err := profile.Parse(r)
	if err != nil {
		return nil, fmt.Errorf("%s: not a pprof profile: %w", name, err)
	}
	bytesIdx, objIdx := -1, -1
	kind := ""
	for _, want := range []string{"alloc_space", "inuse_space"} {
		for i, st := range p.SampleType {
			if st.Type == want {
				bytesIdx, kind = i, want
				break
			}
		}
		if bytesIdx >= 0 {
			break
		}
	}
	if bytesIdx < 0 {
		var types []string
		for _, st := range p.SampleType {
			types = append(types, st.Type)
		}
		return nil, fmt.Errorf("%s: a pprof profile without allocation sizes (it has %s): not a heap or allocs profile", name, strings.Join(types, ", "))
	}
	objWant := strings.Replace(kind, "_space", "_objects", 1)
	for i, st := range p.SampleType {
		if st.Type == objWant {
			objIdx = i
		}
	}
	ap := &model.AllocProfile{Path: name, SampleType: kind}
	switch {
	case kind == "inuse_space":
		ap.Covers = "in use when it was taken"
	case p.DurationNanos > 0:
		// A delta profile: what was allocated over its window only.
		ap.WindowSeconds = float64(p.DurationNanos) / 1e9
		ap.Covers = fmt.Sprintf("allocated over the %s before it was taken", time.Duration(p.DurationNanos).Round(10*time.Millisecond))
	default:
		ap.Covers = "allocated since the process started"
	}
	sites := map[string]*model.AllocSite{}
	for _, s := range p.Sample {
		if bytesIdx >= len(s.Value) {
			continue
		}
		b := s.Value[bytesIdx]
		var objs int64
		if objIdx >= 0 && objIdx < len(s.Value) {
			objs = s.Value[objIdx]
		}
		ap.TotalBytes += b
		ap.TotalObjects += objs
		frames := userFrames(s)
		if len(frames) == 0 {
			frames = []profile.Line{{Function: &profile.Function{Name: "(runtime)"}}}
		}
		// The site is the program's own frame; a standard-library frame
		// below it (encoding/json.Marshal, fmt.Sprintf) is how it allocated.
		top, via := 0, ""
		for i, f := range frames {
			if !isStdFrame(f.Function.Name) {
				top = i
				break
			}
			if i == 0 {
				via = f.Function.Name
			}
		}
		if top == 0 {
			via = ""
		}
		site0 := frames[top]
		key := fmt.Sprintf("%s\x00%s\x00%d\x00%s", site0.Function.Name, site0.Function.Filename, site0.Line, via)
		site := sites[key]
		if site == nil {
			site = &model.AllocSite{Function: site0.Function.Name, File: site0.Function.Filename, Line: site0.Line, Via: via}
			for _, f := range frames[top+1 : min(len(frames), top+4)] {
				site.Callers = append(site.Callers, f.Function.Name)
			}
			sites[key] = site
		}
		site.Bytes += b
		site.Objects += objs
	}
	for _, s := range sites {
		if ap.TotalBytes > 0 {
			s.Share = float64(s.Bytes) / float64(ap.TotalBytes)
		}
		ap.Sites = append(ap.Sites, *s)
	}
	slices.SortFunc(ap.Sites, func(a, b model.AllocSite) int {
		// Every field of the key breaks ties, so the order (and which
		// sites survive the cut below) does not follow map order.
		return cmp.Or(cmp.Compare(b.Bytes, a.Bytes), cmp.Compare(a.Function, b.Function),
			cmp.Compare(a.File, b.File), cmp.Compare(a.Line, b.Line), cmp.Compare(a.Via, b.Via))
	})
	if len(ap.Sites) > maxAllocSites {
		ap.Sites = ap.Sites[:maxAllocSites]
	}
	return ap, nil
}

// userFrames lists a sample's frames, innermost first, from the first one
// outside the runtime on.
func userFrames(s *profile.Sample) []profile.Line {
	var out []profile.Line
	for _, loc := range s.Location {
		// Lines within a location are innermost first (inlining).
		for _, l := range loc.Line {
			if l.Function == nil {
				continue
			}
			if len(out) == 0 && isRuntimeFrame(l.Function.Name) {
				continue
			}
			out = append(out, l)
		}
	}
	return out
}

// isStdFrame reports whether fn is in the standard library: its package
// path's first element has no dot and it is not package main.
func isStdFrame(fn string) bool {
	slash := strings.LastIndexByte(fn, '/')
	dot := strings.IndexByte(fn[slash+1:], '.')
	if dot < 0 {
		return false
	}
	pkg := fn[:slash+1+dot]
	first, _, _ := strings.Cut(pkg, "/")
	return pkg != "main" && !strings.Contains(first, ".")
}

func isRuntimeFrame(fn string) bool {
	return strings.HasPrefix(fn, "runtime.") || strings.HasPrefix(fn, "internal/runtime/")
}
