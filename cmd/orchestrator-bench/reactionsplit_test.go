package main

import (
	"math"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/orchestrator/orchestrator/api"
	"github.com/orchestrator/orchestrator/reconciler"
)

// scrapeOf parses what m serves at /metrics into the split's histograms.
func scrapeOf(t *testing.T, m *api.Metrics) splitScrape {
	t.Helper()
	rec := httptest.NewRecorder()
	m.Handler().ServeHTTP(rec, httptest.NewRequest("GET", "/metrics", nil))
	set, err := parseMetrics(rec.Body)
	if err != nil {
		t.Fatal(err)
	}
	s, err := set.split()
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// actingPass is a pass that took one action after the phases' times.
func actingPass(load, list, plan time.Duration) reconciler.PassResult {
	return reconciler.PassResult{Done: []reconciler.Done{{Action: reconciler.Action{Kind: reconciler.KindCreate}, OK: true}}, Dispatched: 1,
		Timings: reconciler.Timings{Load: load, List: list, Plan: plan}}
}

// TestSplitFromServeMetrics reads serve's own metrics (api.Metrics, as serve
// registers them), so that a renamed metric or label fails here, not in a
// run of make bench: only what happened between the scrapes counts, and
// the quantiles fall in the buckets of the observations.
func TestSplitFromServeMetrics(t *testing.T) {
	m := api.NewMetrics()
	before := scrapeOf(t, m) // no pass yet: the phase series do not exist
	for range 3 {
		m.Signalled(50 * time.Millisecond)
		m.PassDone(actingPass(2*time.Millisecond, 3*time.Millisecond, 100*time.Microsecond), 30*time.Millisecond, nil)
		m.PassDone(reconciler.PassResult{}, time.Millisecond, nil) // no actions: not observed
	}
	mid := scrapeOf(t, m)
	m.Signalled(60 * time.Millisecond)
	m.PassDone(actingPass(0, 4*time.Millisecond, 100*time.Microsecond), 30*time.Millisecond, nil) // no reload: no load
	after := scrapeOf(t, m)

	// Each part's observations are all one value, so its mean is that
	// value, and the p50's bucket must hold it.
	type part struct {
		Count, MeanMs float64
		InBucket      bool
	}
	summary := func(d splitScrape) map[string]part {
		hs := map[string]histogram{"debounce": d.debounce}
		for _, p := range phases {
			hs[p] = d.phase[p]
		}
		out := map[string]part{}
		for name, h := range hs {
			_, lo, hi := h.quantile(0.5)
			mean := h.mean()
			out[name] = part{Count: h.count(), MeanMs: mean * 1000, InBucket: lo < mean && mean <= hi}
		}
		return out
	}
	nan := math.NaN()
	for _, c := range []struct {
		name          string
		before, after splitScrape
		want          map[string]part
	}{
		{"three edits", before, mid, map[string]part{
			"debounce": {3, 50, true}, "load": {3, 2, true}, "list": {3, 3, true}, "plan": {3, 0.1, true}}},
		{"one more, without a reload", mid, after, map[string]part{
			"debounce": {1, 60, true}, "load": {0, nan, false}, "list": {1, 4, true}, "plan": {1, 0.1, true}}},
	} {
		d, err := c.after.sub(c.before)
		if err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		if diff := cmp.Diff(c.want, summary(d), cmpopts.EquateNaNs(), cmpopts.EquateApprox(1e-9, 0)); diff != "" {
			t.Errorf("%s (-want +got):\n%s", c.name, diff)
		}
	}
}

func TestRestMean(t *testing.T) {
	// obs is n observations summing to sum seconds.
	obs := func(n, sum float64) histogram {
		return histogram{Upper: []float64{1, math.Inf(1)}, Cum: []float64{n, n}, Sum: sum}
	}
	scrape := func(debounce, load, list, plan histogram) splitScrape {
		return splitScrape{debounce: debounce, phase: map[string]histogram{"load": load, "list": list, "plan": plan}}
	}
	totals := []time.Duration{70 * time.Millisecond, 80 * time.Millisecond}
	type result struct {
		Ms       float64
		Computed bool
	}
	for _, c := range []struct {
		name string
		d    splitScrape
		want result
	}{
		{"one of each per edit", scrape(obs(2, 0.1), obs(2, 0.004), obs(2, 0.006), obs(2, 0.001)), result{75 - 50 - 2 - 3 - 0.5, true}},
		{"a pass acted without an edit", scrape(obs(2, 0.1), obs(2, 0.004), obs(3, 0.006), obs(3, 0.001)), result{math.NaN(), false}},
		{"an edit's pass reused the directory", scrape(obs(2, 0.1), obs(1, 0.002), obs(2, 0.006), obs(2, 0.001)), result{math.NaN(), false}},
	} {
		ms, note := restMean(c.d, totals)
		got := result{ms, !strings.HasPrefix(note, "not computed")}
		if diff := cmp.Diff(c.want, got, cmpopts.EquateNaNs(), cmpopts.EquateApprox(0, 1e-9)); diff != "" {
			t.Errorf("%s (-want +got):\n%s\nnote: %s", c.name, diff, note)
		}
	}
	// The total less the debounce needs one signal per edit, whatever the
	// phases observed: serve's passes that report background actions read
	// no directory.
	for _, c := range []struct {
		name string
		d    splitScrape
		want float64
	}{
		{"phases of the reporting passes", scrape(obs(2, 0.02), obs(0, 0), obs(2, 0.006), obs(2, 0.001)), 75 - 10},
		{"a signal missing", scrape(obs(1, 0.01), obs(2, 0.004), obs(2, 0.006), obs(2, 0.001)), math.NaN()},
	} {
		if got := afterSignal(c.d, totals); !cmp.Equal(got, c.want, cmpopts.EquateNaNs(), cmpopts.EquateApprox(0, 1e-9)) {
			t.Errorf("afterSignal, %s = %v, want %v", c.name, got, c.want)
		}
	}
	_, note := restMean(scrape(obs(2, 0.02), obs(0, 0), obs(2, 0.006), obs(2, 0.001)), totals)
	if !strings.Contains(note, "the pass after the acting one") {
		t.Errorf("restMean's note without loads does not say why: %s", note)
	}
}
