package main

import (
	"context"
	"fmt"
	"math"
	"time"
)

// phases are the parts of a pass before its actions, as serve labels them
// in metricPhase.
var phases = []string{"load", "list", "plan"}

// splitScrape is what the reaction split reads of one scrape of /metrics:
// the watcher's debounce, and each phase of the passes that took actions.
type splitScrape struct {
	debounce histogram
	phase    map[string]histogram // by phases
}

// split picks the split's histograms out of a scrape.
func (m metricSet) split() (splitScrape, error) {
	s := splitScrape{phase: map[string]histogram{}}
	var err error
	if s.debounce, err = m.histogram(metricDebounce); err != nil {
		return splitScrape{}, err
	}
	for _, p := range phases {
		if s.phase[p], err = m.histogram(metricPhase, "phase", p); err != nil {
			return splitScrape{}, err
		}
	}
	return s, nil
}

// sub is what was observed since before.
func (s splitScrape) sub(before splitScrape) (splitScrape, error) {
	d := splitScrape{phase: map[string]histogram{}}
	var err error
	if d.debounce, err = s.debounce.sub(before.debounce); err != nil {
		return splitScrape{}, fmt.Errorf("%s: %w", metricDebounce, err)
	}
	for _, p := range phases {
		if d.phase[p], err = s.phase[p].sub(before.phase[p]); err != nil {
			return splitScrape{}, fmt.Errorf("%s{phase=%q}: %w", metricPhase, p, err)
		}
	}
	return d, nil
}

// scrapeSplit scrapes serve's /metrics for the split.
func (b *bench) scrapeSplit(ctx context.Context) (splitScrape, error) {
	m, err := b.scrapeMetrics(ctx)
	if err != nil {
		return splitScrape{}, err
	}
	return m.split()
}

// waitSplit returns what serve observed since before, once it holds edits
// signals and edits acting passes: serve observes a pass's phases when the
// pass ends, which may be after the engine event the benchmark waited for.
func (b *bench) waitSplit(ctx context.Context, before splitScrape, edits int) (splitScrape, error) {
	deadline := time.After(5 * time.Second)
	for {
		after, err := b.scrapeSplit(ctx)
		if err != nil {
			return splitScrape{}, err
		}
		d, err := after.sub(before)
		if err != nil {
			return splitScrape{}, err
		}
		sig, acted := int(d.debounce.count()), int(d.phase["list"].count())
		if sig >= edits && acted >= edits {
			return d, nil
		}
		select {
		case <-ctx.Done():
			return splitScrape{}, ctx.Err()
		case <-deadline:
			return splitScrape{}, fmt.Errorf("/metrics holds %d watcher signals and %d passes with actions for %d edits, within 5 s (log %s)", sig, acted, edits, b.logPath)
		case <-time.After(50 * time.Millisecond): // poll interval
		}
	}
}

// addSplit adds the rows of the reaction's parts from d, what serve
// observed during the edits: p50 and p99 of each part estimated from the
// buckets as histogram_quantile does, the min and max columns being the
// bounds of the bucket the estimate lies in (the true quantile is between
// them); and, since means add up where quantiles do not, the mean of what
// the parts leave of the benchmark's own total.
func (b *bench) addSplit(scen string, d splitScrape, totals []time.Duration) {
	parts := []struct {
		name, metric string
		h            histogram
		note         string
	}{
		{"debounce: first change → watcher's signal", metricDebounce, d.debounce, "by design ~10 ms after a rename into place, as the edits here are (50 ms of quiet after a plain write, 500 ms at most)"},
		{"load: the pass reads the directory", metricPhase + `{phase="load"}`, d.phase["load"], ""},
		{"list: the pass's container list", metricPhase + `{phase="list"}`, d.phase["list"], ""},
		{"plan", metricPhase + `{phase="plan"}`, d.phase["plan"], "then the actions begin"},
	}
	for _, p := range parts {
		src := fmt.Sprintf("/metrics %s, %.0f observations; min/max: the estimate's bucket", p.metric, p.h.count())
		for _, q := range []float64{0.5, 0.99} {
			est, lo, hi := p.h.quantile(q)
			note := src
			if q == 0.5 {
				note = fmt.Sprintf("%s; mean %.2f ms", src, p.h.mean()*1000)
				if p.note != "" {
					note = p.note + "; " + note
				}
			}
			b.add(Row{Scenario: scen, Metric: fmt.Sprintf("%s, p%.0f", p.name, q*100), Unit: "ms",
				Summary: Summary{Min: lo * 1000, Median: est * 1000, Max: hi * 1000}, Note: note})
		}
	}
	after := afterSignal(d, totals)
	afterNote := "the acting pass (load, list, plan) and its first action's call to the engine; the bench's totals less the debounce histogram's sum"
	if math.IsNaN(after) {
		afterNote = fmt.Sprintf("not computed: %.0f watcher signals for %d edits", d.debounce.count(), len(totals))
	}
	b.add(Row{Scenario: scen, Metric: "after the signal: total − debounce, mean", Unit: "ms", Summary: Summary{Min: after, Median: after, Max: after},
		Note: afterNote})
	rest, note := restMean(d, totals)
	b.add(Row{Scenario: scen, Metric: "rest: total − the parts above, mean", Unit: "ms", Summary: Summary{Min: rest, Median: rest, Max: rest},
		Note: note})
}

// afterSignal is the mean total (ms) less the debounce's mean: the wait
// for the acting pass, the pass, and its actions' start to the engine's
// event. It needs only one watcher signal per edit, not the phases; NaN
// otherwise.
func afterSignal(d splitScrape, totals []time.Duration) float64 {
	n := float64(len(totals))
	if n == 0 || d.debounce.count() != n {
		return math.NaN()
	}
	var sum time.Duration
	for _, t := range totals {
		sum += t
	}
	return float64(sum)/float64(time.Millisecond)/n - d.debounce.mean()*1000
}

// restMean is the mean total (ms) less the means of the parts: the wait
// from the signal to the start of the acting pass (a pass still running),
// and from the actions' start to the engine's event (the create or kill
// call, through the proxy). It holds only when every edit made one
// observation of each part; otherwise NaN, and the note says why.
func restMean(d splitScrape, totals []time.Duration) (float64, string) {
	n := float64(len(totals))
	counts := []float64{d.debounce.count()}
	for _, p := range phases {
		counts = append(counts, d.phase[p].count())
	}
	for _, c := range counts {
		if c != n {
			note := fmt.Sprintf("not computed: %v observations (debounce, %v) for %.0f edits", counts, phases, n)
			if d.debounce.count() == n && d.phase["load"].count() == 0 && d.phase["list"].count() > 0 {
				// The acting pass dispatches its actions and reports none;
				// the pass that reports them was woken by their end.
				note += "; no pass with actions read the directory: serve observes the phases of the pass that reports actions, and with actions run in the background that is the pass after the acting one (it reads no directory), so the phase rows above are of that pass"
			}
			return math.NaN(), note
		}
	}
	rest := afterSignal(d, totals)
	for _, p := range phases {
		rest -= d.phase[p].mean() * 1000
	}
	return rest, "signal → the acting pass begins, and its actions' start → the engine event (the create or kill call through the proxy); from the sums of the histograms"
}
