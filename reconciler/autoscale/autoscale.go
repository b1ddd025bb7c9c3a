package autoscale

import (
	"context"
	"fmt"
	"log/slog"
	"maps"
	"math"
	"slices"
	"sync"
	"time"

	"github.com/orchestrator/orchestrator/reconciler/stats"
	"github.com/orchestrator/orchestrator/spec"
)

// The autoscaler's fixed rules (docs/design.md §9), the HPA's defaults.
const (
	// Tolerance: a usage ratio within 10 % of the target keeps the
	// current count.
	Tolerance = 0.1
	// UpPeriod: a scale-up goes at most to max(4, 2 × the count at
	// the start of the period) within one period.
	UpPeriod = 15 * time.Second
	// WarmUp: a container started less than this ago has no
	// trustworthy CPU yet (start-up work): it counts as one without a metric.
	WarmUp = 30 * time.Second
)

// Options configure an Autoscaler.
type Options struct {
	Interval time.Duration    // between evaluations in Run; default 2s (the sampler's)
	Now      func() time.Time // default time.Now
	Logger   *slog.Logger
}

// Recommendation is the autoscaler's answer for one spec.
type Recommendation struct {
	Replicas int    // clamped to [max(min,1), max]
	Reason   string // e.g. "cpu 182% of target → 4"
	// UtilizationPercent is the mean CPU of the ready containers with a
	// metric, in percent of the CPU limit (of one core without one); nil
	// without data.
	UtilizationPercent *float64
}

// Status is the autoscaler's part of a spec's status.
type Status struct {
	TargetCPUPercent   int
	UtilizationPercent *float64 // null without data
	Recommendation     int      // the target the reconciler uses
	Reason             string
}

// Autoscaler recommends a replica count per spec from the sampler's CPU
// usage, with the HPA's rules: tolerance, a bounded scale-up rate,
// scale-down stabilization, and no trust in containers without data. Its
// recommendations are runtime state: nothing is written to the spec files,
// and the reconciler clamps them again with the spec in force.
type Autoscaler struct {
	opts Options
	log  *slog.Logger

	mu    sync.Mutex
	state map[string]*scaleState // by image
}

// scaleState is what the autoscaler remembers of one image.
type scaleState struct {
	history []timedReplicas // raw recommendations, for the scale-down window
	upAt    time.Time       // start of the current scale-up period
	upFrom  int             // the count at upAt
	// load is the count the load asks for: the last recommendation before
	// it was raised to min, so that lowering min takes effect at once.
	load int
	rec  Recommendation // the last one made
}

type timedReplicas struct {
	at       time.Time
	replicas int
}

// New returns an autoscaler with no recommendations yet.
func New(opts Options) *Autoscaler {
	if opts.Interval <= 0 {
		opts.Interval = 2 * time.Second
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	log := opts.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Autoscaler{opts: opts, log: log, state: map[string]*scaleState{}}
}

// Run evaluates every Interval the specs in force (specs, the reconciler's
// Desired) against their usage (the sampler's Usage), and calls changed
// (the reconciler's Nudge) when a spec's target moved. It returns nil when
// ctx ends.
func (a *Autoscaler) Run(ctx context.Context, specs func() map[string]spec.Spec, usage func(image string) []stats.Usage, changed func()) error {
	tick := time.NewTicker(a.opts.Interval)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-tick.C:
		}
		if a.Evaluate(specs(), usage) && changed != nil {
			changed()
		}
	}
}

// Evaluate makes a recommendation for every autoscaled spec at the clock's
// now, logs each target that moves, forgets the images that are gone or no
// longer autoscaled, and reports whether any target moved.
func (a *Autoscaler) Evaluate(specs map[string]spec.Spec, usage func(image string) []stats.Usage) bool {
	now := a.opts.Now()
	moved := false
	for _, image := range slices.Sorted(maps.Keys(specs)) {
		s := specs[image]
		if !s.Autoscaled() {
			a.forget(image)
			continue
		}
		from := a.Replicas(s)
		rec := a.Recommend(s, from, usage(image), now)
		a.log.Debug("autoscale evaluated", "image", image, "replicas", rec.Replicas, "reason", rec.Reason)
		if rec.Replicas != from {
			moved = true
			attrs := []any{"image", image, "from", from, "to", rec.Replicas, "reason", rec.Reason}
			if u := rec.UtilizationPercent; u != nil {
				attrs = append(attrs, "utilization_percent", math.Round(*u*10)/10)
			}
			a.log.Info("autoscale", attrs...)
		}
	}
	a.mu.Lock()
	for image := range a.state {
		if _, ok := specs[image]; !ok {
			delete(a.state, image)
		}
	}
	a.mu.Unlock()
	return moved
}

func (a *Autoscaler) forget(image string) {
	a.mu.Lock()
	defer a.mu.Unlock()
	delete(a.state, image)
}

// baseReplicas is the target without the autoscaler: min, but at least 1.
func baseReplicas(s spec.Spec) int { return max(s.MinReplicas, 1) }

// Replicas is the running target of a running spec: the last
// recommendation clamped to the spec's [max(min,1), max] as it is now, so
// that a hand edit of min or max is honoured at once; max(min,1) when the
// spec is not autoscaled or has no recommendation yet. A nil Autoscaler
// recommends nothing.
func (a *Autoscaler) Replicas(s spec.Spec) int {
	if st := a.Status(s); st != nil {
		return st.Recommendation
	}
	return baseReplicas(s)
}

// Status is the autoscaler's status of s, nil when s is not autoscaled. Its
// Recommendation is what Replicas returns.
func (a *Autoscaler) Status(s spec.Spec) *Status {
	if a == nil || !s.Autoscaled() {
		return nil
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.status(s, a.state[s.Image])
}

// status is Status under a.mu.
func (a *Autoscaler) status(s spec.Spec, st *scaleState) *Status {
	lo := baseReplicas(s)
	out := &Status{TargetCPUPercent: s.TargetCPUPercent(), Recommendation: lo}
	if st == nil {
		out.Reason = fmt.Sprintf("not evaluated yet → %d", lo)
		return out
	}
	n := min(max(st.load, lo), s.MaxReplicas)
	out.Recommendation, out.Reason, out.UtilizationPercent = n, st.rec.Reason, st.rec.UtilizationPercent
	if n != st.rec.Replicas {
		out.Reason += fmt.Sprintf("; the spec now allows %d..%d → %d", lo, s.MaxReplicas, n)
	}
	return out
}

// PassTarget is a reconcile pass's view: Status, but a spec the autoscaler
// has no state for adopts the count running now (a restarted orchestrator keeps what it
// had scaled to; a new spec has none running and starts at min). The
// adopted count enters the scale-down window like a recommendation.
func (a *Autoscaler) PassTarget(s spec.Spec, running int, now time.Time) *Status {
	if a == nil || !s.Autoscaled() {
		return nil
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	st := a.state[s.Image]
	if st == nil {
		n := min(running, s.MaxReplicas)
		st = &scaleState{load: n, history: []timedReplicas{{now, n}}}
		rec := min(max(n, baseReplicas(s)), s.MaxReplicas)
		st.rec = Recommendation{Replicas: rec, Reason: fmt.Sprintf("adopted %d running → %d", running, rec)}
		a.state[s.Image] = st
	}
	return a.status(s, st)
}
