package autoscale

import (
	"fmt"
	"math"
	"slices"
	"strings"
	"time"

	"github.com/orchestrator/orchestrator/reconciler/stats"
	"github.com/orchestrator/orchestrator/spec"
)

// The autoscaler's calculation (docs/design.md §9): the HPA's replica count from
// the usage, then its scale-down stabilization, its scale-up rate limit and
// the spec's bounds.

// Recommend computes the replica count for s, which has current replicas
// and the given usage, at now, and remembers it (history and scale-up
// period) as the spec's recommendation. A spec that is not autoscaled gets
// max(min,1) and nothing is remembered.
func (a *Autoscaler) Recommend(s spec.Spec, current int, usage []stats.Usage, now time.Time) Recommendation {
	lo, hi := baseReplicas(s), s.MaxReplicas
	if !s.Autoscaled() {
		a.forget(s.Image)
		return Recommendation{Replicas: lo, Reason: "autoscaling is off"}
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	st := a.state[s.Image]
	if st == nil {
		st = &scaleState{load: current}
		a.state[s.Image] = st
	}
	window := s.ScaleDownStabilization()
	st.history = slices.DeleteFunc(st.history, func(h timedReplicas) bool { return !h.at.After(now.Add(-window)) })
	m := measure(usage, now)
	if m.ready == 0 { // no data: the load's count stays as it was
		what := "no cpu metrics yet"
		if m.pending > 0 {
			what = fmt.Sprintf("no cpu metrics yet (%s)", withoutData(m.pending))
		}
		n := min(max(st.load, lo), hi)
		rec := Recommendation{Replicas: n, Reason: reasonOf(what, n, true, nil, n)}
		st.rec = rec
		return rec
	}
	util := m.sum / float64(m.ready) * 100
	rec := Recommendation{UtilizationPercent: &util}
	n, what, kept := rawReplicas(current, m, cpuTarget(s))
	raw := n
	var steps []string
	st.history = append(st.history, timedReplicas{now, n})

	switch {
	case n < current: // scale-down: the highest recommendation of the window
		highest := n
		for _, h := range st.history {
			highest = max(highest, h.replicas)
		}
		if held := min(highest, current); held != n {
			n = held
			steps = append(steps, fmt.Sprintf("held at %d by the %s scale-down stabilization", n, window))
		}
	case n > current: // scale-up: at most max(4, 2 × the count at the period's start)
		base := current
		if !st.upAt.IsZero() && now.Sub(st.upAt) < UpPeriod {
			base = st.upFrom
		}
		if limit := max(4, 2*base, current); n > limit {
			n = limit
			steps = append(steps, fmt.Sprintf("limited to %d (at most max(4, 2×%d) per %s)", n, base, UpPeriod))
		}
	}
	if n > hi {
		steps = append(steps, bounded(n, lo, hi))
		n = hi
	}
	st.load = n
	if n < lo {
		steps = append(steps, bounded(n, lo, hi))
		n = lo
	}
	if n > current && (st.upAt.IsZero() || now.Sub(st.upAt) >= UpPeriod) {
		st.upAt, st.upFrom = now, current // a new scale-up period begins
	}
	rec.Replicas, rec.Reason = n, reasonOf(what, raw, kept, steps, n)
	st.rec = rec
	return rec
}

// reasonOf says why the count is n: what the load asks (raw, or kept), then
// each rule that moved it, and the count the reconciler uses last, so that
// the arrow always names the result: "cpu 0% of target asks for 0; raised
// to min_replicas 2 → 2".
func reasonOf(what string, raw int, kept bool, steps []string, n int) string {
	switch {
	case len(steps) == 0 && kept:
		return fmt.Sprintf("%s → keeps %d", what, n)
	case len(steps) == 0:
		return fmt.Sprintf("%s → %d", what, n)
	case kept:
		return fmt.Sprintf("%s, keeps %d; %s → %d", what, raw, strings.Join(steps, "; "), n)
	}
	return fmt.Sprintf("%s asks for %d; %s → %d", what, raw, strings.Join(steps, "; "), n)
}

// bounded names the bound of the spec that n crosses.
func bounded(n, lo, hi int) string {
	if n > hi {
		return fmt.Sprintf("clamped to max_replicas %d", hi)
	}
	return fmt.Sprintf("raised to min_replicas %d", lo) // min 0 counts as 1
}

// cpuTarget is s's CPU target as a fraction of the limit.
func cpuTarget(s spec.Spec) float64 { return float64(s.TargetCPUPercent()) / 100 }

// measured is what one evaluation sees of a spec's running containers.
type measured struct {
	ready   int     // ready, with a metric, past the initial period
	sum     float64 // their CPU, as fractions of the limit
	pending int     // running, but not ready, without a metric, or new
}

// measure sorts the running containers: those with trustworthy data, and
// those without (missing metric, not ready, or started less than
// WarmUp ago). Containers that do not run are left out.
func measure(usage []stats.Usage, now time.Time) measured {
	var m measured
	for _, u := range usage {
		if u.State != "running" {
			continue
		}
		if !u.Ready || u.CPU == nil || now.Sub(u.Started) < WarmUp {
			m.pending++
			continue
		}
		m.ready++
		m.sum += *u.CPU
	}
	return m
}

// rawReplicas is the HPA's replica calculation: desired = ceil(ready ×
// util / target), the current count within the tolerance. Containers
// without data count as at the target for a scale-down (they never push
// one) and as 0 % for a scale-up; when they would turn the direction, or
// bring the ratio within the tolerance, the current count is kept. It
// returns the count, what the load is, and whether the count is kept.
func rawReplicas(current int, m measured, target float64) (int, string, bool) {
	ratio := m.sum / float64(m.ready) / target
	what := fmt.Sprintf("cpu %.0f%% of target", ratio*100)
	if math.Abs(ratio-1) <= Tolerance {
		return current, fmt.Sprintf("%s, within the %.0f%% tolerance", what, Tolerance*100), true
	}
	n, all := 0, m.ready
	if m.pending == 0 {
		n = ceil(ratio * float64(m.ready))
	} else {
		fill := 0.0 // a scale-up: the containers without data count as idle
		if ratio < 1 {
			fill = target // a scale-down: as at the target
		}
		all += m.pending
		adjusted := (m.sum + fill*float64(m.pending)) / float64(all) / target
		if math.Abs(adjusted-1) <= Tolerance || (adjusted < 1) != (ratio < 1) {
			return current, fmt.Sprintf("%s, but %s", what, withoutData(m.pending)), true
		}
		n = ceil(adjusted * float64(all))
		what = fmt.Sprintf("%s (%.0f%% counting %s)", what, adjusted*100, withoutData(m.pending))
	}
	if ratio < 1 && n > current || ratio > 1 && n < current {
		return current, what + ", not a scale against the load", true
	}
	return n, what, false
}

// withoutData says how many containers have no trustworthy CPU yet.
func withoutData(n int) string {
	if n == 1 {
		return "1 container without data"
	}
	return fmt.Sprintf("%d containers without data", n)
}

// ceil rounds up, forgiving float error (2.0000000001 is 2).
func ceil(x float64) int { return int(math.Ceil(x - 1e-9)) }
