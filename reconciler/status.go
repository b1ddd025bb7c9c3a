package reconciler

import (
	"time"

	"github.com/orchestrator/orchestrator/spec"
)

// Health of a spec (DESIGN.md §7).
const (
	Healthy     = "Healthy"
	Progressing = "Progressing"
	Degraded    = "Degraded"
	Missing     = "Missing"
	Stopped     = "Stopped"
)

// Status is what the reconciler knows of one spec after its last pass.
type Status struct {
	Image         string    `json:"image"`
	Synced        bool      `json:"synced"`
	Health        string    `json:"health"`
	Desired       int       `json:"desired"`
	Ready         int       `json:"ready"`
	Running       int       `json:"running"`
	Revision      string    `json:"revision"`
	Source        string    `json:"source"`
	LastError     string    `json:"last_error,omitempty"`
	Message       string    `json:"message,omitempty"` // why it is not converged yet
	LastReconcile time.Time `json:"last_reconcile"`
}

// specStatus computes a spec's status from what the pass saw and did.
// fileErr is the error of the spec's file when only its last good version
// is in force; actErr the failure of its actions (or its backoff).
func specStatus(e spec.Entry, target int, cs []Container, p *SpecPlan, fileErr, actErr string, now time.Time) Status {
	st := Status{
		Image: e.Spec.Image, Desired: target, Revision: e.Revision, Source: e.Source.String(),
		LastReconcile: now,
	}
	hash, any := e.Spec.Hash(), 0
	for _, c := range cs {
		if c.Held {
			continue
		}
		any++
		if c.Active() {
			st.Running++
		}
		if c.SpecHash == hash && c.Ready() {
			st.Ready++
		}
	}
	st.LastError = fileErr
	if actErr != "" {
		st.LastError = joinErr(st.LastError, actErr)
	}
	if p != nil {
		st.Message = p.Wait
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
	case !pending && st.Ready >= target && st.Running == target:
		st.Health = Healthy
	default:
		st.Health = Progressing
	}
	if fileErr != "" && st.Health == Healthy {
		st.Health = Degraded // running fine, but on a spec the file no longer says
	}
	st.Synced = !pending && actErr == "" && fileErr == "" && st.Running == target && st.Ready >= target
	return st
}

func joinErr(a, b string) string {
	if a == "" {
		return b
	}
	return a + "; " + b
}
