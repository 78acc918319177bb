package cli

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"sigs.k8s.io/yaml"

	"github.com/gcwatch/gcwatch/internal/fleet"
	"github.com/gcwatch/gcwatch/internal/limits"
	"github.com/gcwatch/gcwatch/internal/outfile"
	"github.com/gcwatch/gcwatch/internal/report"
	"github.com/gcwatch/gcwatch/internal/report/plot"
)

// fleetOptions are the options of gcwatch report.
type fleetOptions struct {
	analyzeOptions
	Manifest string
	Dirs     []string

	// Reading the fleet from monitoring instead (report_prom.go).
	Prometheus string
	Range      time.Duration
	Step       time.Duration
	Job        string
	// CompareRange, with --prometheus, is the BEFORE range of a
	// comparison ("START..END"); --range ending now is AFTER.
	CompareRange string
}

// serviceSpec is one service in a fleet manifest.
type serviceSpec struct {
	Name      string          `json:"name"`
	Captures  string          `json:"captures"`
	MemBudget json.RawMessage `json:"mem_budget"`
	SLO       string          `json:"slo"`
	GOGC      json.RawMessage `json:"gogc"`
	MemLimit  json.RawMessage `json:"memlimit"`
}

type fleetManifest struct {
	Services []serviceSpec `json:"services"`
}

func newReportCmd(s *streams) *cobra.Command {
	opts := &fleetOptions{analyzeOptions: *newAnalyzeOptions()}
	cmd := &cobra.Command{
		Use:   "report [flags] (--manifest FILE | CAPTURE-DIR...)",
		Short: "Rank many services by what removing the GC would gain them: the migration-candidate report",
		Long: `Analyse each service's captures and rank the services: migration candidates first,
then by the GC-attributable share of their tail latency, GC CPU and memory
overhead; services where GC is not the cause last. Services with too little
data are listed as such and not ranked.

Services come from capture folders (each folder one service, named after it) or
from a manifest (YAML or JSON):

  services:
    - name: checkout
      captures: captures/checkout     # a capture folder
      mem_budget: 2GiB                # the container limit
      slo: p99=50ms                   # optional
      gogc: 100                       # optional: the settings it runs with
      memlimit: off                   # optional

Flags such as --mem-budget and --slo apply to services that do not say.

With --prometheus URL the fleet comes from monitoring instead: every job
(matching --job) that exports Go's GC metrics, read over --range through the
Prometheus HTTP API (Thanos, Mimir and VictoriaMetrics answer the same standard
PromQL). Metrics cannot attribute the tail, so each job is flagged worth a trace
capture or not, with what its metrics can and cannot tell. --prometheus is a
report of its own: it does not mix with --manifest or capture folders.

With --prometheus and --compare-range START..END, each job's last --range (AFTER)
is compared with that earlier range (BEFORE), e.g. after and before a deploy: one
row per figure the metrics hold, BEFORE → AFTER with the change, tested with a
Mann–Whitney U test over the --step windows of each range ('~' inside the noise),
with what the metrics can and cannot tell. The document is gcwatch compare's
(schema gcwatch/v2, kind comparison), one comparison per job.`,
		Example: `  gcwatch report --manifest fleet.yaml --format html -o fleet.html
  gcwatch report --mem-budget 1GiB captures/*
  gcwatch report --prometheus http://prometheus:9090 --range 6h --job 'checkout|search'
  gcwatch report --prometheus prometheus:9090 --range 2h --compare-range -26h..-24h --job checkout`,
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.Dirs = args
			if opts.Prometheus != "" {
				if opts.Manifest != "" || len(args) > 0 {
					return usagef("--prometheus reads the fleet from monitoring: give it alone, without --manifest or capture folders")
				}
				opts.Inputs = nil
				if err := opts.validate(); err != nil {
					return err
				}
				return runPromFleet(s, opts)
			}
			if opts.CompareRange != "" {
				return usagef("--compare-range compares two ranges of monitoring: it needs --prometheus")
			}
			if (opts.Manifest == "") == (len(args) == 0) {
				return usagef("give either --manifest FILE or capture folders")
			}
			// Validated per service; here they are what -o must not replace.
			opts.Inputs = args
			if opts.Manifest != "" {
				opts.Inputs = []string{opts.Manifest}
			}
			if err := opts.validate(); err != nil {
				return err
			}
			return runFleet(s, opts)
		},
	}
	f := cmd.Flags()
	f.StringVar(&opts.Manifest, "manifest", "", "the services, their captures and budgets (`FILE`, YAML or JSON)")
	f.StringVarP(&opts.Output, "output", "o", "", "write the report to `FILE` instead of standard output")
	f.StringVar(&opts.Prometheus, "prometheus", "", "read the fleet from the Prometheus HTTP API at `URL` instead of captures")
	f.DurationVar(&opts.Range, "range", time.Hour, "with --prometheus: how far back from now to read")
	f.DurationVar(&opts.Step, "step", 0, "with --prometheus: the window for the worst GC CPU (0: a tenth of --range, at least 15s)")
	f.StringVar(&opts.Job, "job", ".+", "with --prometheus: the jobs to read, a `REGEX` matched against the whole job label")
	f.StringVar(&opts.CompareRange, "compare-range", "", "with --prometheus: compare each job's last --range with this earlier `START..END` (RFC 3339 times, or durations before now such as -26h..-25h), as gcwatch compare does")
	opts.bindFlags(f)
	return cmd
}

// readFleetManifest reads and checks a manifest; every problem names the
// file and the service.
func readFleetManifest(path string) ([]serviceSpec, error) {
	b, err := limits.ReadFile(path, limits.SideFile) // a manifest is a few KB
	if err != nil {
		return nil, fmt.Errorf("%s: cannot read the manifest: %v", path, systemReason(err))
	}
	var m fleetManifest
	if err := yaml.UnmarshalStrict(b, &m); err != nil {
		return nil, fmt.Errorf("%s: not a fleet manifest: %s", path, oneLine(err))
	}
	if len(m.Services) == 0 {
		return nil, fmt.Errorf("%s: no services (want a list under \"services\")", path)
	}
	seen := map[string]bool{}
	base := filepath.Dir(path)
	for i := range m.Services {
		sp := &m.Services[i]
		where := fmt.Sprintf("%s: service %d", path, i+1)
		if sp.Name == "" {
			return nil, fmt.Errorf("%s has no name", where)
		}
		where += " (" + sp.Name + ")"
		if seen[sp.Name] {
			return nil, fmt.Errorf("%s: the name is used twice", where)
		}
		seen[sp.Name] = true
		if sp.Captures == "" {
			return nil, fmt.Errorf("%s has no captures folder", where)
		}
		if !filepath.IsAbs(sp.Captures) {
			sp.Captures = filepath.Join(base, sp.Captures)
		}
		if st, err := os.Stat(sp.Captures); err != nil || !st.IsDir() {
			return nil, fmt.Errorf("%s: captures %s is not a folder", where, sp.Captures)
		}
	}
	return m.Services, nil
}

// oneLine is the text of a YAML decoder's error on one line: it lists
// several problems one per line ("unmarshal errors:\n  line 3: ...").
func oneLine(err error) string {
	lines := strings.Split(strings.TrimSpace(err.Error()), "\n")
	for i := range lines {
		lines[i] = strings.TrimSpace(lines[i])
	}
	return strings.Join(lines, " ")
}

func rawString(raw json.RawMessage) string {
	var s string
	if json.Unmarshal(raw, &s) == nil {
		return s
	}
	return strings.TrimSpace(string(bytes.Trim(raw, `"`)))
}

// settingString is a gogc or memlimit value as a flag would take it: YAML
// reads an unquoted off as false, which means off here.
func settingString(raw json.RawMessage) string {
	if strings.TrimSpace(string(raw)) == "false" {
		return "off"
	}
	return rawString(raw)
}

// serviceOptions are the analysis options for service i: the command's
// flags, overridden by what the manifest says of it. A bad value names
// the manifest and the service, as readFleetManifest's problems do.
func (o *fleetOptions) serviceOptions(i int, sp serviceSpec) (analyzeOptions, error) {
	so := o.analyzeOptions
	so.Inputs = []string{sp.Captures}
	so.Output = ""
	so.Progress = false
	where := fmt.Sprintf("%s: service %d (%s)", o.Manifest, i+1, sp.Name)
	if len(sp.MemBudget) > 0 {
		if err := so.MemBudget.Set(rawString(sp.MemBudget)); err != nil {
			return so, fmt.Errorf("%s: mem_budget: %w", where, err)
		}
	}
	if sp.SLO != "" {
		if err := so.SLO.Set(sp.SLO); err != nil {
			return so, fmt.Errorf("%s: slo: %w", where, err)
		}
	}
	if len(sp.GOGC) > 0 {
		if err := so.GOGC.Set(settingString(sp.GOGC)); err != nil {
			return so, fmt.Errorf("%s: gogc: %w", where, err)
		}
	}
	if len(sp.MemLimit) > 0 {
		if err := so.MemLimit.Set(settingString(sp.MemLimit)); err != nil {
			return so, fmt.Errorf("%s: memlimit: %w", where, err)
		}
	}
	return so, nil
}

func runFleet(s *streams, o *fleetOptions) error {
	var specs []serviceSpec
	if o.Manifest != "" {
		var err error
		if specs, err = readFleetManifest(o.Manifest); err != nil {
			return err
		}
	} else {
		for _, d := range o.Dirs {
			switch st, err := os.Stat(d); {
			case err != nil:
				return fmt.Errorf("%s: cannot read it: %v", d, systemReason(err))
			case !st.IsDir():
				return fmt.Errorf("%s is not a capture folder (give a fleet's folders, or a manifest with --manifest)", d)
			}
			specs = append(specs, serviceSpec{Name: filepath.Base(filepath.Clean(d)), Captures: d})
		}
	}
	// Check every service's options, and -o against every service's
	// captures, before analysing any, so that a bad manifest fails at once
	// and nothing is half-written.
	guard := guardFor(&o.analyzeOptions)
	for _, sp := range specs {
		guard.Add([]string{sp.Captures}, outfile.IsOutput)
	}
	if err := checkOutput(guard, o.Output, o.format == report.Markdown); err != nil {
		return err
	}
	opts := make([]analyzeOptions, len(specs))
	for i, sp := range specs {
		so, err := o.serviceOptions(i, sp)
		if err != nil {
			return usageError{err}
		}
		opts[i] = so
	}
	var services []fleet.Service
	var notes []string
	for i, sp := range specs {
		procs, _, _, err := analyzeInputs(&streams{In: s.In, Out: io.Discard, Err: io.Discard}, &opts[i])
		if err != nil {
			return fmt.Errorf("service %s: %w", sp.Name, err)
		}
		fp := make([]fleet.Process, len(procs))
		for j, p := range procs {
			fp[j] = fleet.Process{Result: p.Result, Outcome: p.Outcome}
		}
		svc, note, err := fleet.FromProcesses(sp.Name, sp.Captures, fp, opts[i].MemBudget.bytes)
		if err != nil {
			return fmt.Errorf("service %s: %w", sp.Name, err)
		}
		if note != "" {
			notes = append(notes, note)
		}
		services = append(services, svc)
	}
	fd := &fleet.Document{Schema: report.Schema, Kind: fleet.Kind, Generator: versionString(), Services: fleet.Rank(services), Notes: notes}
	if fd.Notes == nil {
		fd.Notes = []string{}
	}
	return writeFleet(s, guard, o.Output, o.format, fd)
}

// writeFleet writes a fleet report. HTML and Markdown carry the fleet
// plot; Markdown to a folder or FILE.md gets it as a PNG beside the
// report, as analyze's Markdown gets its plots (writeReport).
func writeFleet(s *streams, guard *outfile.Guard, out string, format report.Format, doc *fleet.Document) error {
	var ropts report.Options
	if format.ShowsFigures() {
		var err error
		if ropts.Figures, err = plot.ForFleet(doc); err != nil {
			return err
		}
	}
	return writeReport(s.Out, guard, out, format == report.Markdown, func(w io.Writer, files *report.Files) error {
		ropts.Files = files
		return report.RenderFleet(w, doc, format, ropts)
	})
}
