package report

import "github.com/gcwatch/gcwatch/internal/fleet"

// FleetScatter is what the fleet plot shows: every service that has both
// numbers, placed by its memory overhead (x) against its GC cost (y), and
// the services left out with why. It lives here, not in the plot package,
// so that the HTML and Markdown reports list the left-out services by the
// same rule the plot applies.
type FleetScatter struct {
	// Title says what is plotted against what; XLabel and YLabel name the
	// axes honestly for the document's source.
	Title, XLabel, YLabel string
	// Points are the placed services, in the document's order (ranked).
	Points []FleetPoint
	// LeftOut are the services not placed, in the document's order.
	LeftOut []FleetLeftOut
	// Reference is the decision record's outcome on the same axes, nil
	// when the axes cannot show it (monitoring gives no share of the tail)
	// or no service carries it.
	Reference *FleetPoint
}

// FleetPoint is one service's place. X and Y are fractions (0.25 is
// 25 %), as in the JSON report.
type FleetPoint struct {
	Name    string
	Verdict string
	X, Y    float64
}

// FleetLeftOut is a service the plot does not place, and why.
type FleetLeftOut struct {
	Name, Why string
}

// FleetPlacement decides where each service of doc goes on the fleet plot.
// For captures, y is the GC share of the tail; a report read from
// monitoring has no such number, so y is the GC CPU the metrics give.
// Either way x is MemoryOverhead, as the JSON defines it. A service with
// too little data is never placed: it would be a guess.
func FleetPlacement(doc *fleet.Document) FleetScatter {
	sc := FleetScatter{
		Title:  "Fleet: GC share of tail against memory overhead",
		XLabel: "memory overhead: peak heap above the live heap (% of peak)",
		YLabel: "GC share of the slowest 1% of requests' time (%)",
	}
	fromMetrics := doc.Source == fleet.SourcePrometheus
	if fromMetrics {
		sc.Title = "Fleet: GC CPU against memory overhead, from metrics"
		sc.XLabel = "memory overhead: heap in use above the live heap, at their maxima (%)"
		sc.YLabel = "GC CPU (% of CPU capacity; metrics cannot give the share of the tail)"
	}
	for _, s := range doc.Services {
		y, why := s.GCShareOfTail, "no request latency, so no GC share of the tail"
		noOverhead := "no live heap measured, so no memory overhead"
		if fromMetrics {
			y, why = nil, "no GC CPU in its metrics"
			noOverhead = "no heap in use or live heap in its metrics"
			if s.Metrics != nil {
				y = s.Metrics.GCCPUFraction
			}
		}
		switch {
		case s.Data == "insufficient":
			why = "too little data"
		case y == nil:
		case s.MemoryOverhead == nil:
			why = noOverhead
		default:
			sc.Points = append(sc.Points, FleetPoint{Name: s.Name, Verdict: s.VerdictID(), X: *s.MemoryOverhead, Y: *y})
			continue
		}
		sc.LeftOut = append(sc.LeftOut, FleetLeftOut{Name: s.Name, Why: why})
	}
	if !fromMetrics {
		sc.Reference = adrReference(doc.Services)
	}
	return sc
}

// adrReference places the decision record's migrated services: their
// memory fell by the whole overhead a heap without GC headroom saves
// (−50 % is an overhead of 50 %), their p99 by what the GC added to the
// tail (−25 % is a share of 25 %). The figures come from the report, not
// from constants here.
func adrReference(services []fleet.Service) *FleetPoint {
	for _, s := range services {
		if m := s.WithoutGC; m != nil && (m.ADRMemoryChange != 0 || m.ADRP99Change != 0) {
			return &FleetPoint{Name: "decision record", X: -m.ADRMemoryChange, Y: -m.ADRP99Change}
		}
	}
	return nil
}
