package reconciler

import (
	"errors"
	"time"

	"github.com/orchestrator/orchestrator/reconciler/autoscale"
	"github.com/orchestrator/orchestrator/reconciler/engine"
	"github.com/orchestrator/orchestrator/spec"
)

// Health of a spec (docs/design.md §7).
const (
	Healthy     = "Healthy"
	Progressing = "Progressing"
	Degraded    = "Degraded"
	Missing     = "Missing"
	Stopped     = "Stopped"
)

// Status is what the reconciler knows of one spec after its last pass.
type Status struct {
	Image     string
	Synced    bool
	Health    string
	Desired   int
	Ready     int
	Running   int
	Revision  string
	Source    string
	LastError string
	// Cause is the error behind LastError when it is one of the pass's
	// (the spec's failing actions, or an unusable directory), for callers
	// that classify it with errors.Is; nil otherwise.
	Cause         error
	Message       string // why it is not converged yet
	LastReconcile time.Time
	// Autoscale is the autoscaler's view of an autoscaled spec: CPU
	// utilisation, recommendation and reason; absent otherwise.
	Autoscale *autoscale.Status
}

// specStatus computes a spec's status from what the pass saw and did.
// fileErr is the error of the spec's file when only its last good version
// is in force; actErr the failure of its actions (or its backoff). A stuck
// plan's reason is an error too (a paused rollout, docs/design.md §6). A
// container counts as ready when it runs, passes its health check, and has
// not just been restarted (a crash loop is not Healthy between crashes).
func specStatus(e spec.Entry, d Desired, cs []engine.Container, p *SpecPlan, fileErr, actErr string, now time.Time, minReady time.Duration) Status {
	st := Status{
		Image: e.Spec.Image, Desired: d.Target, Revision: e.Revision, Source: e.Source.String(),
		LastReconcile: now,
	}
	hash, any := d.hash(), 0
	for _, c := range cs {
		if c.Held {
			continue
		}
		any++
		if c.Active() {
			st.Running++
		}
		if c.SpecHash == hash && c.Ready() && (c.RestartCount == 0 || now.Sub(c.Started) >= minReady) {
			st.Ready++
		}
	}
	st.LastError = fileErr
	if actErr != "" {
		st.LastError = joinErr(st.LastError, actErr)
	}
	if p != nil {
		st.Message = p.Wait
		if p.Stuck {
			// A paused rollout is an error of the new version: which
			// container, and what its health probe said last.
			st.LastError = joinErr(st.LastError, p.StuckReason)
		}
	}
	pending := p != nil && (len(p.Actions) > 0 || p.Wait != "")
	stopped := e.Spec.Resources.Status == spec.StatusStopped
	switch {
	case actErr != "" && any == 0:
		st.Health = Missing
	case actErr != "" || (p != nil && p.Stuck):
		st.Health = Degraded
	case stopped && st.Running == 0:
		st.Health = Stopped
	case !pending && st.Ready >= d.Target && st.Running == d.Target:
		st.Health = Healthy
	default:
		st.Health = Progressing
	}
	if fileErr != "" && st.Health == Healthy {
		st.Health = Degraded // running fine, but on a spec the file no longer says
	}
	st.Synced = !pending && actErr == "" && fileErr == "" && st.Running == d.Target && st.Ready >= d.Target
	return st
}

func joinErr(a, b string) string {
	if a == "" {
		return b
	}
	return a + "; " + b
}

// updateStatus records every spec's status after a pass, and logs changes;
// autoscale is the autoscaler's status of the specs it scales. An image
// whose only document is broken has no spec in force, but its error still
// shows, at that document.
func (r *Reconciler) updateStatus(in Input, entries map[string]spec.Entry, plan map[string]*SpecPlan, fileErrs map[string]string,
	autoscale map[string]*autoscale.Status, loadErr error, now time.Time) {
	byImage := map[string][]engine.Container{}
	for _, c := range in.Containers {
		byImage[c.Image] = append(byImage[c.Image], c)
	}
	status := map[string]Status{}
	for image, e := range entries {
		actErr, cause := "", error(nil)
		if err := r.backoff.lastError(image); err != nil {
			actErr, cause = err.Error(), err
		}
		fe := fileErrs[image]
		if loadErr != nil {
			fe = joinErr(fe, loadErr.Error())
			cause = errors.Join(cause, loadErr)
		}
		st := specStatus(e, in.Desired[image], byImage[image], plan[image], fe, actErr, now, r.opts.MinReady)
		st.Cause = cause
		st.Autoscale = autoscale[image] // the one the pass aimed at
		if r.pull.pulling(image) {
			st.Message = joinErr(st.Message, "pulling image "+image)
		}
		status[image] = st
	}
	for image, fe := range fileErrs {
		if _, ok := status[image]; ok {
			continue
		}
		src := ""
		if r.snap != nil && len(r.snap.Found[image]) > 0 {
			src = r.snap.Found[image][0].String()
		}
		st := Status{Image: image, Health: Degraded, Source: src, LastError: fe, LastReconcile: now,
			Message: "no valid version of this spec is known: its containers are left as they are"}
		for _, c := range byImage[image] {
			if c.Active() {
				st.Running++
			}
		}
		status[image] = st
	}
	for image, st := range status {
		if prev, ok := r.status[image]; !ok || prev.Health != st.Health || prev.LastError != st.LastError || prev.Message != st.Message {
			r.log.Info("spec status", "image", image, "health", st.Health, "synced", st.Synced,
				"desired", st.Desired, "ready", st.Ready, "running", st.Running, "source", st.Source, "error", st.LastError, "message", st.Message)
		}
	}
	r.mu.Lock()
	r.status = status
	r.mu.Unlock()
}
