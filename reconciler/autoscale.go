package reconciler

import (
	"time"

	"github.com/orchestrator/orchestrator/reconciler/autoscale"
)

// withLiveAutoscale is st with the autoscaler's status as it is now, not
// as of the last pass: the utilisation moves between passes. Its
// recommendation may be ahead of st.Desired until the pass it wakes has run.
// Called under r.mu.
func (r *Reconciler) withLiveAutoscale(st Status) Status {
	if st.Autoscale == nil {
		return st
	}
	if sp, ok := r.desired[st.Image]; ok {
		if as := r.opts.Autoscaler.Status(sp); as != nil {
			st.Autoscale = as
		}
	}
	return st
}

// autoscaleTargets sets the running target of the autoscaled specs of in to
// the autoscaler's recommendation, clamped to the spec in force, and returns
// the autoscaler's status of each, by image.
func (r *Reconciler) autoscaleTargets(in *Input, now time.Time) map[string]*autoscale.Status {
	autoscale := map[string]*autoscale.Status{}
	if r.opts.Autoscaler == nil {
		return autoscale
	}
	running := map[string]int{}
	for _, c := range in.Containers {
		if c.Active() && !c.Held {
			running[c.Image]++
		}
	}
	for image, d := range in.Desired {
		if as := r.opts.Autoscaler.PassTarget(d.Spec, running[image], now); as != nil {
			d.Target, autoscale[image] = as.Recommendation, as
			in.Desired[image] = d
		}
	}
	return autoscale
}
