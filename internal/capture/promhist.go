package capture

import (
	"bufio"
	"io"
	"math"
	"slices"
	"strconv"
	"strings"
)

// Histograms are cumulative Prometheus histograms read from /metrics,
// summed over label sets, keyed by metric name (without _bucket).
type Histograms map[string]*Histogram

// Histogram is one cumulative histogram: counts of observations at or
// below each upper bound.
type Histogram struct {
	Bounds []float64 // ascending, +Inf last
	Counts []float64 // cumulative
}

// Gauges are single-valued series by name (the first label set seen),
// including summary quantiles as name{quantile="q"}.
type Gauges map[string]float64

// ReadMetrics reads the Prometheus text format.
func ReadMetrics(r io.Reader) (Histograms, Gauges) {
	hs := Histograms{}
	gs := Gauges{}
	byLe := map[string]map[float64]float64{}
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if line == "" || line[0] == '#' {
			continue
		}
		name, labels, value, ok := splitSample(line)
		if !ok {
			continue
		}
		if base, isBucket := strings.CutSuffix(name, "_bucket"); isBucket {
			le, ok := label(labels, "le")
			if !ok {
				continue
			}
			bound, err := strconv.ParseFloat(le, 64)
			if err != nil {
				continue
			}
			if byLe[base] == nil {
				byLe[base] = map[float64]float64{}
			}
			byLe[base][bound] += value
			continue
		}
		key := name
		if q, ok := label(labels, "quantile"); ok {
			key = name + `{quantile="` + q + `"}`
		}
		if _, seen := gs[key]; !seen {
			gs[key] = value
		}
	}
	for name, m := range byLe {
		h := &Histogram{}
		for b := range m {
			h.Bounds = append(h.Bounds, b)
		}
		slices.Sort(h.Bounds)
		for _, b := range h.Bounds {
			h.Counts = append(h.Counts, m[b])
		}
		hs[name] = h
	}
	return hs, gs
}

func splitSample(line string) (name, labels string, value float64, ok bool) {
	rest := line
	if i := strings.IndexByte(line, '{'); i >= 0 && i < strings.IndexByte(line+" ", ' ') {
		end := strings.LastIndexByte(line, '}')
		if end < i {
			return "", "", 0, false
		}
		name, labels, rest = line[:i], line[i+1:end], strings.TrimSpace(line[end+1:])
	} else {
		name, rest, _ = strings.Cut(line, " ")
	}
	valStr, _, _ := strings.Cut(strings.TrimSpace(rest), " ")
	v, err := strconv.ParseFloat(valStr, 64)
	if err != nil {
		return "", "", 0, false
	}
	return name, labels, v, true
}

func label(labels, key string) (string, bool) {
	for _, part := range strings.Split(labels, ",") {
		k, v, ok := strings.Cut(strings.TrimSpace(part), "=")
		if ok && k == key {
			return strings.Trim(v, `"`), true
		}
	}
	return "", false
}

// Since returns the observations made between prev and h (same bounds);
// nil when the bounds differ or the counter was reset.
func (h *Histogram) Since(prev *Histogram) *Histogram {
	if prev == nil {
		return h
	}
	if !slices.Equal(h.Bounds, prev.Bounds) {
		return nil
	}
	d := &Histogram{Bounds: h.Bounds, Counts: make([]float64, len(h.Counts))}
	for i := range h.Counts {
		d.Counts[i] = h.Counts[i] - prev.Counts[i]
		if d.Counts[i] < 0 {
			return nil // reset: the process restarted
		}
	}
	return d
}

// Total is the number of observations.
func (h *Histogram) Total() float64 {
	if len(h.Counts) == 0 {
		return 0
	}
	return h.Counts[len(h.Counts)-1]
}

// Quantile is an upper bound of the q-quantile: the upper bound of the
// bucket it falls in (+Inf when in the last). NaN without observations.
func (h *Histogram) Quantile(q float64) float64 {
	total := h.Total()
	if total <= 0 {
		return math.NaN()
	}
	for i, c := range h.Counts {
		if c >= q*total {
			return h.Bounds[i]
		}
	}
	return math.Inf(1)
}

// Above is how many observations may have been larger than x: those in
// buckets whose upper bound is above x, so the bucket that straddles x
// counts whole (a trigger should rather fire once too often than miss).
func (h *Histogram) Above(x float64) float64 {
	below := 0.0
	for i, b := range h.Bounds {
		if b > x {
			break
		}
		below = h.Counts[i]
	}
	return h.Total() - below
}
