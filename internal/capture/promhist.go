package capture

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"maps"
	"math"
	"mime"
	"slices"
	"strconv"
	"strings"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
)

// Histograms are cumulative Prometheus histograms read from /metrics,
// summed over label sets, keyed by metric name (without _bucket).
type Histograms map[string]*Histogram

// Histogram is one cumulative histogram: counts of observations at or
// below each upper bound.
type Histogram struct {
	Bounds []float64 // ascending, +Inf last
	Counts []float64 // cumulative
	// Native says the buckets come from a native (sparse, exponential)
	// histogram, which lists only the buckets that have observations, so
	// two readings may list different bounds.
	Native bool
}

// Gauges are single-valued series by name (the first label set seen),
// including summary quantiles as name{quantile="q"} and the _count and
// _sum of summaries and histograms.
type Gauges map[string]float64

// MetricsAccept is the Accept header gcwatch sends for /metrics: the
// protobuf format first (the only one that carries native histograms),
// then the text format, then OpenMetrics.
const MetricsAccept = `application/vnd.google.protobuf;proto=io.prometheus.client.MetricFamily;encoding=delimited;q=0.7,text/plain;version=0.0.4;q=0.5,application/openmetrics-text;version=1.0.0;q=0.3,*/*;q=0.1`

// maxBadLines is how many malformed lines of a text exposition are
// dropped before the rest is given up.
const maxBadLines = 16

// ReadMetrics reads a /metrics answer with the Prometheus client
// library's decoders (prometheus/common/expfmt): the protobuf format when
// contentType says so, else the text format, which also reads OpenMetrics
// 1.0 once its exemplars, "# EOF" and type names the text format lacks are
// taken out. A malformed line of text is dropped and the rest read again
// (up to a few); the error says what was dropped or where reading stopped,
// and what was read is returned with it.
func ReadMetrics(r io.Reader, contentType string) (Histograms, Gauges, error) {
	fams, err := decodeMetrics(r, contentType)
	hs, gs := Histograms{}, Gauges{}
	byLe := map[string]map[float64]float64{}      // classic: cumulative counts
	perBucket := map[string]map[float64]float64{} // native: each bucket's own count
	names := make([]string, 0, len(fams))
	for name := range fams {
		names = append(names, name)
	}
	slices.Sort(names) // the first label set of a gauge is the input's, not a map's
	for _, name := range names {
		f := fams[name]
		for _, m := range f.GetMetric() {
			switch f.GetType() {
			case dto.MetricType_HISTOGRAM, dto.MetricType_GAUGE_HISTOGRAM:
				h := m.GetHistogram()
				if isNative(h) {
					if perBucket[name] == nil {
						perBucket[name] = map[float64]float64{}
					}
					addNative(perBucket[name], h)
				} else {
					if byLe[name] == nil {
						byLe[name] = map[float64]float64{}
					}
					inf := false
					for _, b := range h.GetBucket() {
						byLe[name][b.GetUpperBound()] += bucketCount(b)
						inf = inf || math.IsInf(b.GetUpperBound(), 1)
					}
					// The protobuf format leaves the +Inf bucket out: it
					// is the count.
					if !inf && hasCount(h) {
						byLe[name][math.Inf(1)] += histCount(h)
					}
				}
				if hasCount(h) {
					first(gs, name+"_count", histCount(h))
				}
				if h.SampleSum != nil {
					first(gs, name+"_sum", h.GetSampleSum())
				}
			case dto.MetricType_SUMMARY:
				s := m.GetSummary()
				for _, q := range s.GetQuantile() {
					first(gs, name+`{quantile="`+strconv.FormatFloat(q.GetQuantile(), 'g', -1, 64)+`"}`, q.GetValue())
				}
				if s.SampleCount != nil {
					first(gs, name+"_count", float64(s.GetSampleCount()))
				}
				if s.SampleSum != nil {
					first(gs, name+"_sum", s.GetSampleSum())
				}
			default:
				// Without their TYPE line, a summary's quantiles and a
				// histogram's buckets are untyped samples with a quantile
				// or le label.
				key := name
				for _, l := range m.GetLabel() {
					switch l.GetName() {
					case "quantile":
						key = name + `{quantile="` + l.GetValue() + `"}`
					case "le":
						if base, ok := strings.CutSuffix(name, "_bucket"); ok && m.Untyped != nil {
							if bound, err := strconv.ParseFloat(l.GetValue(), 64); err == nil {
								if byLe[base] == nil {
									byLe[base] = map[float64]float64{}
								}
								byLe[base][bound] += m.GetUntyped().GetValue()
								key = ""
							}
						}
					}
				}
				switch {
				case key == "":
				case m.Counter != nil:
					first(gs, key, m.GetCounter().GetValue())
				case m.Gauge != nil:
					first(gs, key, m.GetGauge().GetValue())
				default:
					first(gs, key, m.GetUntyped().GetValue())
				}
			}
		}
	}
	for name, m := range byLe {
		h := &Histogram{Bounds: slices.Sorted(maps.Keys(m))}
		for _, b := range h.Bounds {
			h.Counts = append(h.Counts, m[b])
		}
		hs[name] = h
	}
	for name, m := range perBucket {
		if _, classic := hs[name]; classic {
			continue // label sets with classic buckets set the bounds
		}
		h := &Histogram{Bounds: slices.Sorted(maps.Keys(m)), Native: true}
		total := 0.0
		for _, b := range h.Bounds {
			total += m[b]
			h.Counts = append(h.Counts, total)
		}
		hs[name] = h
	}
	return hs, gs, err
}

func first(gs Gauges, key string, v float64) {
	if _, seen := gs[key]; !seen {
		gs[key] = v
	}
}

func bucketCount(b *dto.Bucket) float64 {
	if b.CumulativeCountFloat != nil {
		return b.GetCumulativeCountFloat()
	}
	return float64(b.GetCumulativeCount())
}

func hasCount(h *dto.Histogram) bool { return h.SampleCount != nil || h.SampleCountFloat != nil }

func histCount(h *dto.Histogram) float64 {
	if h.SampleCountFloat != nil {
		return h.GetSampleCountFloat()
	}
	return float64(h.GetSampleCount())
}

// isNative says whether a histogram is native: it has a schema's spans or
// a zero bucket, and no classic buckets.
func isNative(h *dto.Histogram) bool {
	return len(h.GetBucket()) == 0 &&
		(len(h.GetPositiveSpan()) > 0 || len(h.GetNegativeSpan()) > 0 || h.ZeroThreshold != nil || h.ZeroCount != nil || h.ZeroCountFloat != nil)
}

// addNative adds a native histogram's observations, bucket by bucket
// (not cumulated), to counts by upper bound. Its buckets are exponential:
// with base 2^(2^−schema), bucket i holds the observations in
// (base^(i−1), base^i]; the zero bucket those within the zero threshold.
// Observations below zero (the negative buckets) are counted in the zero
// bucket: the quantities gcwatch reads (durations) have none.
func addNative(counts map[float64]float64, h *dto.Histogram) {
	zero := float64(h.GetZeroCount()) + h.GetZeroCountFloat() + sum(h.GetNegativeDelta(), h.GetNegativeCount())
	counts[h.GetZeroThreshold()] += zero
	floats, deltas := h.GetPositiveCount(), h.GetPositiveDelta()
	k, running, idx := 0, int64(0), int64(0)
	for _, sp := range h.GetPositiveSpan() {
		idx += int64(sp.GetOffset()) // the first offset is the first index; later ones are gaps
		for range sp.GetLength() {
			var c float64
			switch {
			case k < len(floats):
				c = floats[k]
			case k < len(deltas):
				running += deltas[k]
				c = float64(running)
			}
			k++
			counts[nativeBound(h.GetSchema(), idx)] += c
			idx++
		}
	}
	counts[math.Inf(1)] += 0
}

func sum(deltas []int64, counts []float64) float64 {
	if len(counts) > 0 {
		s := 0.0
		for _, c := range counts {
			s += c
		}
		return s
	}
	s, running := 0.0, int64(0)
	for _, d := range deltas {
		running += d
		s += float64(running)
	}
	return s
}

// nativeBound is the upper bound of bucket idx of a native histogram of
// the schema: 2^(idx·2^−schema).
func nativeBound(schema int32, idx int64) float64 {
	return math.Exp2(float64(idx) * math.Exp2(-float64(schema)))
}

// decodeMetrics decodes every metric family of a /metrics answer.
func decodeMetrics(r io.Reader, contentType string) (map[string]*dto.MetricFamily, error) {
	mediatype, params, _ := mime.ParseMediaType(contentType)
	switch mediatype {
	case expfmt.ProtoType:
		fams := map[string]*dto.MetricFamily{}
		dec := expfmt.NewDecoder(r, expfmt.NewFormat(expfmt.TypeProtoDelim))
		for {
			var f dto.MetricFamily
			err := dec.Decode(&f)
			if errors.Is(err, io.EOF) {
				return fams, nil
			}
			if err != nil {
				return fams, fmt.Errorf("protobuf metrics: %w", err)
			}
			if g, ok := fams[f.GetName()]; ok {
				g.Metric = append(g.Metric, f.Metric...)
			} else {
				fams[f.GetName()] = &f
			}
		}
	case expfmt.OpenMetricsType:
		if params["version"] == expfmt.OpenMetricsVersion_2_0_0 {
			return nil, fmt.Errorf("OpenMetrics %s is not read; ask for text/plain or OpenMetrics 1.0", params["version"])
		}
	}
	b, err := io.ReadAll(r)
	if err != nil {
		return nil, err
	}
	return parseText(fromOpenMetrics(b))
}

// parseText parses the text format, dropping a malformed line and trying
// again, up to maxBadLines times.
func parseText(b []byte) (map[string]*dto.MetricFamily, error) {
	var dropped []string
	for {
		p := expfmt.NewTextParser(model.UTF8Validation)
		fams, err := p.TextToMetricFamilies(bytes.NewReader(b))
		var pe expfmt.ParseError
		if err == nil || !errors.As(err, &pe) || pe.Line < 1 || len(dropped) >= maxBadLines {
			if err != nil {
				return fams, fmt.Errorf("metrics text: %w", err)
			}
			if len(dropped) > 0 {
				return fams, fmt.Errorf("metrics text: %d malformed lines dropped; the first: %s", len(dropped), dropped[0])
			}
			return fams, nil
		}
		var line []byte
		b, line = dropLine(b, pe.Line)
		if line == nil {
			return fams, fmt.Errorf("metrics text: %w", err)
		}
		dropped = append(dropped, fmt.Sprintf("%s (%q)", pe.Msg, cut(line, 60)))
	}
}

// dropLine returns b without its n-th line (1-based), and that line; nil
// when b has fewer lines.
func dropLine(b []byte, n int) ([]byte, []byte) {
	start := 0
	for i := 1; i < n; i++ {
		j := bytes.IndexByte(b[start:], '\n')
		if j < 0 {
			return b, nil
		}
		start += j + 1
	}
	end := len(b)
	if j := bytes.IndexByte(b[start:], '\n'); j >= 0 {
		end = start + j + 1
	}
	line := bytes.TrimRight(b[start:end], "\r\n")
	out := make([]byte, 0, len(b)-(end-start)+1)
	out = append(out, b[:start]...)
	out = append(out, b[end:]...)
	return out, line
}

func cut(b []byte, n int) string {
	if len(b) > n {
		return string(b[:n]) + "…"
	}
	return string(b)
}

// omTypes are OpenMetrics 1.0 types the text format does not name, as the
// text parser can read their samples.
var omTypes = map[string]string{"info": "gauge", "stateset": "gauge", "unknown": "untyped"}

// fromOpenMetrics turns OpenMetrics 1.0 into the text format the
// library's parser reads: exemplars (" # {…} v [t]" after a sample's
// value) are cut off, "# EOF" and "# UNIT" lines dropped, and the types
// only OpenMetrics has renamed. Text that is not OpenMetrics comes back
// unchanged.
func fromOpenMetrics(b []byte) []byte {
	if !bytes.Contains(b, []byte("# EOF")) && !bytes.Contains(b, []byte(" # {")) && !bytes.Contains(b, []byte("# UNIT")) &&
		!bytes.Contains(b, []byte(" info")) && !bytes.Contains(b, []byte(" stateset")) && !bytes.Contains(b, []byte(" unknown")) {
		return b
	}
	var out bytes.Buffer
	out.Grow(len(b))
	sc := bufio.NewScanner(bytes.NewReader(b))
	sc.Buffer(make([]byte, 64<<10), len(b)+1)
	for sc.Scan() {
		line := sc.Bytes()
		trimmed := bytes.TrimSpace(line)
		switch {
		case bytes.Equal(trimmed, []byte("# EOF")), bytes.HasPrefix(trimmed, []byte("# UNIT ")):
			// Not text format; keep the line count for error messages.
			line = nil
		case bytes.HasPrefix(trimmed, []byte("# TYPE ")):
			f := strings.Fields(string(trimmed))
			if len(f) == 4 {
				if t, ok := omTypes[strings.ToLower(f[3])]; ok {
					line = []byte("# TYPE " + f[2] + " " + t)
				}
			}
		case len(trimmed) > 0 && trimmed[0] != '#':
			if i := exemplarAt(line); i >= 0 {
				line = line[:i]
			}
		}
		out.Write(line)
		out.WriteByte('\n')
	}
	return out.Bytes()
}

// exemplarAt is where a sample line's exemplar (" # {") begins, outside
// its labels' quoted values; -1 when it has none.
func exemplarAt(line []byte) int {
	inQuote, escaped, depth := false, false, 0
	for i, c := range line {
		switch {
		case escaped:
			escaped = false
		case inQuote && c == '\\':
			escaped = true
		case c == '"':
			inQuote = !inQuote
		case inQuote:
		case c == '{':
			depth++
		case c == '}':
			depth--
		case c == '#' && depth == 0 && i > 0 && line[i-1] == ' ':
			return i - 1
		}
	}
	return -1
}

// Since returns the observations made between prev and h; nil when the
// bounds differ (a classic histogram whose buckets changed) or the
// counter was reset. Native histograms list only the buckets that have
// observations, so their bounds are merged: a histogram's cumulative
// count at a bound it does not list is its count at the next lower one.
func (h *Histogram) Since(prev *Histogram) *Histogram {
	if prev == nil {
		return h
	}
	if !slices.Equal(h.Bounds, prev.Bounds) {
		if !h.Native || !prev.Native {
			return nil
		}
		bounds := slices.Sorted(slices.Values(append(slices.Clone(h.Bounds), prev.Bounds...)))
		bounds = slices.Compact(bounds)
		h, prev = h.at(bounds), prev.at(bounds)
	}
	d := &Histogram{Bounds: h.Bounds, Counts: make([]float64, len(h.Counts)), Native: h.Native}
	for i := range h.Counts {
		d.Counts[i] = h.Counts[i] - prev.Counts[i]
		if d.Counts[i] < 0 {
			return nil // reset: the process restarted
		}
	}
	return d
}

// at returns the histogram's cumulative counts at bounds, a superset of
// its own.
func (h *Histogram) at(bounds []float64) *Histogram {
	out := &Histogram{Bounds: bounds, Counts: make([]float64, len(bounds)), Native: h.Native}
	j, c := 0, 0.0
	for i, b := range bounds {
		for j < len(h.Bounds) && h.Bounds[j] <= b {
			c = h.Counts[j]
			j++
		}
		out.Counts[i] = c
	}
	return out
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
