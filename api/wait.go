package api

import (
	"context"
	"errors"
	"net/http"
	"sort"

	"github.com/orchestrator/orchestrator/reconciler"
)

// summary is the original's container summary.
type summary struct {
	ContainerID string                              `json:"container_id"`
	Image       string                              `json:"image"` // beyond the original: the spec it belongs to
	Name        string                              `json:"name"`
	Status      string                              `json:"status"`
	Ports       map[string][]reconciler.PortBinding `json:"ports"`
}

func summarize(c reconciler.Container) summary {
	ports := c.Ports
	if ports == nil {
		ports = map[string][]reconciler.PortBinding{}
	}
	return summary{ContainerID: c.ID, Image: c.Image, Name: c.Name, Status: c.State, Ports: ports}
}

// action is one element of the original's "actions" list.
type action struct {
	Action      string `json:"action"`
	ContainerID string `json:"container_id"`
	Name        string `json:"name"`
	OK          bool   `json:"ok"`
	Error       string `json:"error,omitempty"`
}

func actionsOf(done []reconciler.Done) []action {
	out := make([]action, 0, len(done))
	for _, d := range done {
		a := action{Action: string(d.Kind), ContainerID: d.ID, Name: d.Name, OK: d.OK}
		if d.Err != nil {
			a.Error = d.Err.Error()
		}
		out = append(out, a)
	}
	return out
}

// cachedLister is an engine that can answer a list from memory while
// nothing has changed (reconciler.Observed).
type cachedLister interface {
	Cached(ctx context.Context) ([]reconciler.Container, error)
}

// containersOf lists the managed containers of image ("" for all), by name.
func (s *Server) containersOf(ctx context.Context, image string) ([]reconciler.Container, error) {
	list := s.engine.List
	if c, ok := s.engine.(cachedLister); ok {
		list = c.Cached
	}
	cs, err := list(ctx)
	if err != nil {
		return nil, err
	}
	var out []reconciler.Container
	for _, c := range cs {
		if image == "" || c.Image == image {
			out = append(out, c)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out, nil
}

func summaries(cs []reconciler.Container) []summary {
	out := make([]summary, 0, len(cs))
	for _, c := range cs {
		out = append(out, summarize(c))
	}
	return out
}

// status is the reconciler's status of image, if it has one.
func (s *Server) status(image string) (reconciler.Status, bool) {
	for _, st := range s.rec.Statuses() {
		if st.Image == image {
			return st, true
		}
	}
	return reconciler.Status{}, false
}

// errWaitTimeout: the passes did not get the image where the call wanted
// it within the wait timeout.
var errWaitTimeout = errors.New("wait timeout")

// progress is what the passes after a write did for one image.
type progress struct {
	done       []reconciler.Done
	containers []reconciler.Container
	status     reconciler.Status
	passErr    error
}

func (p progress) failed() bool {
	for _, d := range p.done {
		if !d.OK {
			return true
		}
	}
	return false
}

// await runs reconcile passes until enough says the image got where the
// call wanted it, or the wait timeout passes. since is the pass count noted
// before the write: every action of a pass begun after it counts, also one
// that began between the write and the first wait.
func (s *Server) await(r *http.Request, image string, since uint64, enough func(progress) bool) (progress, error) {
	ctx, cancel := context.WithTimeout(r.Context(), s.opts.WaitTimeout)
	defer cancel()
	var p progress
	for {
		res, err := s.rec.WaitPass(ctx)
		if err != nil {
			return p, errWaitTimeout
		}
		for _, pass := range s.rec.PassesSince(since) {
			for _, d := range pass.Done {
				if d.Image == image {
					p.done = append(p.done, d)
				}
			}
			since = pass.Seq
		}
		p.passErr = res.Err
		if p.containers, err = s.containersOf(ctx, image); err != nil {
			return p, err
		}
		p.status, _ = s.status(image)
		if enough(p) || p.failed() || res.Err != nil {
			return p, nil
		}
	}
}
