package main

import (
	"math"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
)

// floats compares estimates computed in floating point, NaN equal to NaN.
var floats = cmp.Options{cmpopts.EquateNaNs(), cmpopts.EquateApprox(0, 1e-12)}

// exposition is /metrics as client_golang writes it: a histogram with
// labels (two series), one without, and a gauge.
const exposition = `# HELP orchestrator_reconcile_phase_seconds Time of each phase.
# TYPE orchestrator_reconcile_phase_seconds histogram
orchestrator_reconcile_phase_seconds_bucket{phase="list",le="0.001"} 1
orchestrator_reconcile_phase_seconds_bucket{phase="list",le="0.002"} 3
orchestrator_reconcile_phase_seconds_bucket{phase="list",le="+Inf"} 4
orchestrator_reconcile_phase_seconds_sum{phase="list"} 0.0105
orchestrator_reconcile_phase_seconds_count{phase="list"} 4
orchestrator_reconcile_phase_seconds_bucket{phase="plan",le="0.001"} 4
orchestrator_reconcile_phase_seconds_bucket{phase="plan",le="0.002"} 4
orchestrator_reconcile_phase_seconds_bucket{phase="plan",le="+Inf"} 4
orchestrator_reconcile_phase_seconds_sum{phase="plan"} 0.0004
orchestrator_reconcile_phase_seconds_count{phase="plan"} 4
# HELP orchestrator_watcher_debounce_seconds Time from a batch's first file change to the watcher's signal.
# TYPE orchestrator_watcher_debounce_seconds histogram
orchestrator_watcher_debounce_seconds_bucket{le="0.05"} 0
orchestrator_watcher_debounce_seconds_bucket{le="0.0625"} 2
orchestrator_watcher_debounce_seconds_bucket{le="+Inf"} 2
orchestrator_watcher_debounce_seconds_sum 0.1004
orchestrator_watcher_debounce_seconds_count 2
# HELP orchestrator_specs Specs by health after the last pass.
# TYPE orchestrator_specs gauge
orchestrator_specs{health="healthy"} 3
`

func TestMetricSetHistogram(t *testing.T) {
	m, err := parseMetrics(strings.NewReader(exposition))
	if err != nil {
		t.Fatal(err)
	}
	inf := math.Inf(1)
	for _, c := range []struct {
		name    string
		labels  []string
		want    histogram
		wantErr bool
	}{
		{"orchestrator_reconcile_phase_seconds", []string{"phase", "list"},
			histogram{Upper: []float64{0.001, 0.002, inf}, Cum: []float64{1, 3, 4}, Sum: 0.0105}, false},
		{"orchestrator_reconcile_phase_seconds", []string{"phase", "plan"},
			histogram{Upper: []float64{0.001, 0.002, inf}, Cum: []float64{4, 4, 4}, Sum: 0.0004}, false},
		{"orchestrator_watcher_debounce_seconds", nil,
			histogram{Upper: []float64{0.05, 0.0625, inf}, Cum: []float64{0, 2, 2}, Sum: 0.1004}, false},
		// No series yet (no pass has read the directory), or no family at all.
		{"orchestrator_reconcile_phase_seconds", []string{"phase", "load"}, histogram{}, false},
		{"orchestrator_absent_seconds", nil, histogram{}, false},
		{"orchestrator_specs", nil, histogram{}, true},
	} {
		got, err := m.histogram(c.name, c.labels...)
		if (err != nil) != c.wantErr {
			t.Errorf("%s%v: err %v, want error %v", c.name, c.labels, err, c.wantErr)
		}
		if diff := cmp.Diff(c.want, got, floats); diff != "" {
			t.Errorf("%s%v (-want +got):\n%s", c.name, c.labels, diff)
		}
	}
}

func TestParseMetricsError(t *testing.T) {
	if _, err := parseMetrics(strings.NewReader("orchestrator_specs{health=\"healthy\" 3\n")); err == nil {
		t.Error("unterminated labels: want an error")
	}
}

func TestHistogramSub(t *testing.T) {
	inf := math.Inf(1)
	after := histogram{Upper: []float64{1, 2, inf}, Cum: []float64{3, 7, 8}, Sum: 12}
	for _, c := range []struct {
		name    string
		before  histogram
		want    histogram
		wantErr bool
	}{
		{"no series before", histogram{}, after, false},
		{"observations since", histogram{Upper: []float64{1, 2, inf}, Cum: []float64{1, 2, 2}, Sum: 2},
			histogram{Upper: []float64{1, 2, inf}, Cum: []float64{2, 5, 6}, Sum: 10}, false},
		{"none since", after, histogram{Upper: []float64{1, 2, inf}, Cum: []float64{0, 0, 0}}, false},
		{"other buckets", histogram{Upper: []float64{1, 4, inf}, Cum: []float64{0, 0, 0}}, histogram{}, true},
		{"counts went down", histogram{Upper: []float64{1, 2, inf}, Cum: []float64{4, 7, 8}, Sum: 12}, histogram{}, true},
	} {
		got, err := after.sub(c.before)
		if (err != nil) != c.wantErr {
			t.Errorf("%s: err %v, want error %v", c.name, err, c.wantErr)
		}
		if diff := cmp.Diff(c.want, got, floats); diff != "" {
			t.Errorf("%s (-want +got):\n%s", c.name, diff)
		}
	}
}

func TestHistogramQuantile(t *testing.T) {
	inf := math.Inf(1)
	nan := math.NaN()
	type est struct{ Est, Lo, Hi float64 }
	for _, c := range []struct {
		name string
		h    histogram
		q    float64
		want est
	}{
		{"all in one bucket: its middle", histogram{Upper: []float64{0.01, 0.02, inf}, Cum: []float64{0, 10, 10}}, 0.5, est{0.015, 0.01, 0.02}},
		{"first bucket starts at 0", histogram{Upper: []float64{1, 2, inf}, Cum: []float64{4, 4, 4}}, 0.5, est{0.5, 0, 1}},
		{"rank on a bound: the lower bucket", histogram{Upper: []float64{1, 2, inf}, Cum: []float64{5, 5, 10}}, 0.5, est{1, 0, 1}},
		{"p50 across buckets", histogram{Upper: []float64{1, 2, 4, inf}, Cum: []float64{2, 6, 10, 10}}, 0.5, est{1.75, 1, 2}},
		{"p99 across buckets", histogram{Upper: []float64{1, 2, 4, inf}, Cum: []float64{2, 6, 10, 10}}, 0.99, est{3.95, 2, 4}},
		{"in +Inf: the highest finite bound", histogram{Upper: []float64{1, 2, inf}, Cum: []float64{0, 1, 10}}, 0.99, est{2, 2, inf}},
		{"a bound at or below 0", histogram{Upper: []float64{0, 1, inf}, Cum: []float64{3, 4, 4}}, 0.5, est{0, math.Inf(-1), 0}},
		{"no observations", histogram{Upper: []float64{1, inf}, Cum: []float64{0, 0}}, 0.5, est{nan, nan, nan}},
		{"no buckets", histogram{}, 0.5, est{nan, nan, nan}},
		{"q above 1", histogram{Upper: []float64{1, inf}, Cum: []float64{1, 1}}, 1.5, est{inf, inf, inf}},
		{"q below 0", histogram{Upper: []float64{1, inf}, Cum: []float64{1, 1}}, -0.5, est{math.Inf(-1), math.Inf(-1), math.Inf(-1)}},
	} {
		var got est
		got.Est, got.Lo, got.Hi = c.h.quantile(c.q)
		if diff := cmp.Diff(c.want, got, floats); diff != "" {
			t.Errorf("%s: quantile(%v) (-want +got):\n%s", c.name, c.q, diff)
		}
	}
}

func TestHistogramMean(t *testing.T) {
	for _, c := range []struct {
		name string
		h    histogram
		want float64
	}{
		{"from the sum", histogram{Upper: []float64{1, math.Inf(1)}, Cum: []float64{3, 4}, Sum: 2}, 0.5},
		{"no observations", histogram{}, math.NaN()},
	} {
		if diff := cmp.Diff(c.want, c.h.mean(), floats); diff != "" {
			t.Errorf("%s (-want +got):\n%s", c.name, diff)
		}
	}
}
