package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/prometheus/client_golang/api"
	v1 "github.com/prometheus/client_golang/api/prometheus/v1"

	"github.com/gcwatch/gcwatch/internal/compare"
	"github.com/gcwatch/gcwatch/internal/promfleet"
	"github.com/gcwatch/gcwatch/internal/report"
)

// promTimeout bounds every query of a --prometheus report together.
const promTimeout = 2 * time.Minute

// prometheusURL accepts a URL or, as pprof does, a bare host:port.
func prometheusURL(s string) (string, error) {
	if !strings.Contains(s, "://") {
		s = "http://" + s
	}
	u, err := url.Parse(s)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return "", fmt.Errorf("--prometheus %q: want an http or https URL such as http://prometheus:9090", s)
	}
	return strings.TrimSuffix(u.String(), "/"), nil
}

// promOptions turns the command's flags into the collector's options.
func (o *fleetOptions) promOptions() (promfleet.Options, error) {
	po := promfleet.DefaultOptions()
	if _, err := regexp.Compile("^(?:" + o.Job + ")$"); err != nil {
		return po, fmt.Errorf("--job %q: %w", o.Job, err)
	}
	if o.Range < time.Second {
		return po, fmt.Errorf("--range must be at least 1s, not %v", o.Range)
	}
	if o.Step != 0 && (o.Step < time.Second || o.Step > o.Range) {
		return po, fmt.Errorf("--step must be between 1s and --range (%v), not %v", o.Range, o.Step)
	}
	po.Range, po.Step, po.Job, po.Thresholds = o.Range, o.Step, o.Job, o.rules
	if o.SLO.target > 0 {
		po.Quantile, po.Objective = o.SLO.quantile, o.SLO.target
	}
	return po, nil
}

// runPromFleet reads the fleet from Prometheus and writes its report; a
// server that cannot be reached or answers badly writes nothing.
func runPromFleet(s *streams, o *fleetOptions) error {
	base, err := prometheusURL(o.Prometheus)
	if err != nil {
		return usageError{err}
	}
	po, err := o.promOptions()
	if err != nil {
		return usageError{err}
	}
	client, err := api.NewClient(api.Config{Address: base})
	if err != nil {
		return usageError{fmt.Errorf("--prometheus: %w", err)}
	}
	ctx, cancel := context.WithTimeout(context.Background(), promTimeout)
	defer cancel()
	if o.CompareRange != "" {
		return runPromCompare(ctx, s, o, v1.NewAPI(client), base, po)
	}
	res, err := promfleet.Collect(ctx, v1.NewAPI(client), po)
	if err != nil {
		return promError(base, err)
	}
	doc := promfleet.Document(res, base, report.Schema, versionString())
	return writeFleet(s, guardFor(&o.analyzeOptions), o.Output, o.format, doc)
}

// promError says what went wrong with the server at base.
func promError(base string, err error) error {
	var netErr *net.OpError
	if errors.As(err, &netErr) {
		return fmt.Errorf("cannot reach Prometheus at %s: %w", base, netErr)
	}
	return fmt.Errorf("prometheus at %s: %w", base, err)
}

// parseCompareRange reads --compare-range START..END: each end an RFC 3339
// time or a negative duration before now.
func parseCompareRange(s string, now time.Time) (start, end time.Time, err error) {
	from, to, ok := strings.Cut(s, "..")
	if !ok {
		return start, end, fmt.Errorf("--compare-range %q: want START..END, e.g. -26h..-24h or 2026-12-01T10:00:00Z..2026-12-01T12:00:00Z", s)
	}
	at := func(v string) (time.Time, error) {
		v = strings.TrimSpace(v)
		if strings.HasPrefix(v, "-") {
			d, err := time.ParseDuration(v)
			if err != nil {
				return time.Time{}, fmt.Errorf("--compare-range %q: %q is not a duration before now", s, v)
			}
			return now.Add(d), nil
		}
		t, err := time.Parse(time.RFC3339, v)
		if err != nil {
			return time.Time{}, fmt.Errorf("--compare-range %q: %q is neither an RFC 3339 time nor a duration before now such as -26h", s, v)
		}
		return t, nil
	}
	if start, err = at(from); err != nil {
		return
	}
	if end, err = at(to); err != nil {
		return
	}
	switch {
	case end.Sub(start) < time.Second:
		err = fmt.Errorf("--compare-range %q: the range must run forwards and last at least 1s", s)
	case end.After(now):
		err = fmt.Errorf("--compare-range %q: the range ends in the future", s)
	}
	return
}

// runPromCompare compares each job's last --range with --compare-range.
func runPromCompare(ctx context.Context, s *streams, o *fleetOptions, api v1.API, base string, after promfleet.Options) error {
	now := time.Now()
	start, end, err := parseCompareRange(o.CompareRange, now)
	if err != nil {
		return usageError{err}
	}
	before := after
	after.End = now
	before.End, before.Range = end, end.Sub(start)
	// One step for both ranges, so that their windows are alike.
	step := o.Step
	if step == 0 {
		step = max(min(before.Range, after.Range)/10, 15*time.Second)
	}
	if step > before.Range || step > after.Range {
		return usageError{fmt.Errorf("--step %v is longer than a range compared (BEFORE %v, AFTER %v)", step, before.Range, after.Range)}
	}
	before.Step, after.Step = step, step
	c, err := promfleet.CollectCompare(ctx, api, before, after)
	if err != nil {
		return promError(base, err)
	}
	copts := compare.DefaultOptions()
	jobs, notes := promfleet.Comparisons(c, copts)
	doc := &report.CompareJobsDocument{Schema: report.Schema, Kind: report.KindComparison, Generator: versionString(), Source: "prometheus",
		Window: report.CompareWindows{URL: base, Job: c.After.Opts.Job, Step: step.String(),
			Before: report.TimeRange{Start: start.UTC(), End: end.UTC()}, After: report.TimeRange{Start: now.Add(-after.Range).UTC(), End: now.UTC()}},
		Alpha: copts.Alpha, Jobs: jobs, Notes: slices.Concat(c.Before.Notes, c.After.Notes, notes)}
	if doc.Jobs == nil {
		doc.Jobs = []compare.Job{}
	}
	if doc.Notes == nil {
		doc.Notes = []string{}
	}
	if len(doc.Jobs) == 0 {
		doc.Notes = append(doc.Notes, fmt.Sprintf("no job matching %q exported go_gc_duration_seconds in both ranges", c.After.Opts.Job))
	}
	guard := guardFor(&o.analyzeOptions)
	return writeReport(s.Out, guard, o.Output, false, func(w io.Writer, _ *report.Files) error {
		return report.RenderCompareJobs(w, doc, o.format, report.Options{Color: o.Color == "always"})
	})
}
