package cli

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/url"
	"regexp"
	"strings"
	"time"

	"github.com/prometheus/client_golang/api"
	v1 "github.com/prometheus/client_golang/api/prometheus/v1"

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
	res, err := promfleet.Collect(ctx, v1.NewAPI(client), po)
	if err != nil {
		var netErr *net.OpError
		if errors.As(err, &netErr) {
			return fmt.Errorf("cannot reach Prometheus at %s: %w", base, netErr)
		}
		return fmt.Errorf("prometheus at %s: %w", base, err)
	}
	doc := promfleet.Document(res, base, report.Schema, versionString())
	return writeFleet(s, guardFor(&o.analyzeOptions), o.Output, o.format, doc)
}
