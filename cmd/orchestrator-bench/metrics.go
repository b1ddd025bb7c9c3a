package main

import (
	"context"
	"fmt"
	"io"
	"math"
	"net/http"
	"slices"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
)

// Histograms of serve's /metrics (api/metrics.go) the reaction split reads.
const (
	metricDebounce = "orchestrator_watcher_debounce_seconds"
	metricPhase    = "orchestrator_reconcile_phase_seconds" // by phase: load, list, plan
)

// metricSet is one scrape of /metrics: the families by name.
type metricSet map[string]*dto.MetricFamily

// scrapeMetrics reads serve's /metrics, as Prometheus would: the facts the
// benchmark splits with are the ones serve exposes, not its log lines.
func (b *bench) scrapeMetrics(ctx context.Context) (metricSet, error) {
	u := b.srv.url() + "/metrics"
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return nil, fmt.Errorf("request: %w", err)
	}
	resp, err := b.hc.Do(req)
	if err != nil {
		return nil, fmt.Errorf("GET %s: %w", u, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("GET %s: %s", u, resp.Status)
	}
	m, err := parseMetrics(resp.Body)
	if err != nil {
		return nil, fmt.Errorf("GET %s: %w", u, err)
	}
	return m, nil
}

// parseMetrics parses the Prometheus text format.
func parseMetrics(r io.Reader) (metricSet, error) {
	p := expfmt.NewTextParser(model.UTF8Validation)
	fams, err := p.TextToMetricFamilies(r)
	if err != nil {
		return nil, fmt.Errorf("parse metrics: %w", err)
	}
	return fams, nil
}

// histogram is one series of a Prometheus histogram: the cumulative count
// at each bucket's upper bound, ascending, the last bound +Inf.
type histogram struct {
	Upper []float64
	Cum   []float64
	Sum   float64 // of the observations
}

// count is the number of observations.
func (h histogram) count() float64 {
	if len(h.Cum) == 0 {
		return 0
	}
	return h.Cum[len(h.Cum)-1]
}

// histogram returns the series of the family name whose labels include
// want (name, value pairs). A family or series not there yet is an empty
// histogram, not an error: a histogram with labels has no series until its
// first observation.
func (m metricSet) histogram(name string, want ...string) (histogram, error) {
	fam, ok := m[name]
	if !ok {
		return histogram{}, nil
	}
	if fam.GetType() != dto.MetricType_HISTOGRAM {
		return histogram{}, fmt.Errorf("%s is a %s, not a histogram", name, fam.GetType())
	}
	for _, s := range fam.GetMetric() {
		if !hasLabels(s, want) {
			continue
		}
		ph := s.GetHistogram()
		var h histogram
		for _, b := range ph.GetBucket() {
			h.Upper = append(h.Upper, b.GetUpperBound())
			h.Cum = append(h.Cum, float64(b.GetCumulativeCount())+b.GetCumulativeCountFloat())
		}
		// The text format writes the +Inf bucket; the protobuf one leaves it
		// implicit in the sample count.
		if n := len(h.Upper); n == 0 || !math.IsInf(h.Upper[n-1], 1) {
			h.Upper = append(h.Upper, math.Inf(1))
			h.Cum = append(h.Cum, float64(ph.GetSampleCount())+ph.GetSampleCountFloat())
		}
		h.Sum = ph.GetSampleSum()
		return h, nil
	}
	return histogram{}, nil
}

// hasLabels reports whether the series s has every name, value pair of want.
func hasLabels(s *dto.Metric, want []string) bool {
	for i := 0; i+1 < len(want); i += 2 {
		if !slices.ContainsFunc(s.GetLabel(), func(l *dto.LabelPair) bool {
			return l.GetName() == want[i] && l.GetValue() == want[i+1]
		}) {
			return false
		}
	}
	return true
}

// sub returns the observations made since before, an earlier scrape of the
// same series: what a scenario between the two scrapes caused.
func (h histogram) sub(before histogram) (histogram, error) {
	if len(before.Upper) == 0 {
		return h, nil
	}
	if !slices.Equal(h.Upper, before.Upper) {
		return histogram{}, fmt.Errorf("the buckets changed between the scrapes: %v, then %v", before.Upper, h.Upper)
	}
	d := histogram{Upper: h.Upper, Cum: make([]float64, len(h.Cum)), Sum: h.Sum - before.Sum}
	for i := range h.Cum {
		d.Cum[i] = h.Cum[i] - before.Cum[i]
		if d.Cum[i] < 0 { // serve restarted, or the scrapes were swapped
			return histogram{}, fmt.Errorf("bucket le=%g went down between the scrapes: %g, then %g", h.Upper[i], before.Cum[i], h.Cum[i])
		}
	}
	return d, nil
}

// quantile estimates the q-quantile (0–1) as Prometheus's
// histogram_quantile does: find the bucket that holds the q·count-th
// observation and interpolate linearly inside it, the first bucket starting
// at 0; a quantile in the +Inf bucket is the highest finite bound. lo and
// hi are the bounds of that bucket: the true quantile lies between them.
// NaN without observations, ±Inf for q outside 0–1, as there.
func (h histogram) quantile(q float64) (est, lo, hi float64) {
	n := len(h.Upper)
	switch {
	case n < 2 || h.count() == 0 || math.IsNaN(q):
		return math.NaN(), math.NaN(), math.NaN()
	case q < 0:
		return math.Inf(-1), math.Inf(-1), math.Inf(-1)
	case q > 1:
		return math.Inf(1), math.Inf(1), math.Inf(1)
	}
	rank := q * h.count()
	b, _ := slices.BinarySearch(h.Cum, rank) // the first bucket with Cum ≥ rank
	switch {
	case b >= n-1:
		return h.Upper[n-2], h.Upper[n-2], math.Inf(1)
	case b == 0 && h.Upper[0] <= 0:
		return h.Upper[0], math.Inf(-1), h.Upper[0]
	}
	start, inBucket := 0.0, h.Cum[b]
	if b > 0 {
		start = h.Upper[b-1]
		inBucket -= h.Cum[b-1]
		rank -= h.Cum[b-1]
	}
	return start + (h.Upper[b]-start)*(rank/inBucket), start, h.Upper[b]
}

// mean is the mean of the observations, exact (from the sum); NaN without
// any.
func (h histogram) mean() float64 {
	if h.count() == 0 {
		return math.NaN()
	}
	return h.Sum / h.count()
}
