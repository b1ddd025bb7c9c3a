package api

import (
	"context"
	"errors"
	"net/http"
	"sort"

	"github.com/orchestrator/orchestrator/api/wire"
	"github.com/orchestrator/orchestrator/reconciler"
	"github.com/orchestrator/orchestrator/reconciler/engine"
)

// currentLister is an engine that can answer a list from memory while
// nothing has changed (engine.Observed).
type currentLister interface {
	Current(ctx context.Context) ([]engine.Container, error)
}

// containersOf lists the managed containers of image ("" for all), by name.
func (s *Server) containersOf(ctx context.Context, image string) ([]engine.Container, error) {
	list := s.engine.List
	if c, ok := s.engine.(currentLister); ok {
		list = c.Current
	}
	cs, err := list(ctx)
	if err != nil {
		return nil, err
	}
	var out []engine.Container
	for _, c := range cs {
		if image == "" || c.Image == image {
			out = append(out, c)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out, nil
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
	containers []engine.Container
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

// code is why the passes did not get the image where a call wanted it: the
// first failed action's kind, the pass's, a failure of the wait itself, or
// simply that it did not converge in time.
func (p progress) code(waitErr error) wire.Code {
	for _, d := range p.done {
		if !d.OK {
			return codeOf(d.Err)
		}
	}
	switch {
	case p.passErr != nil:
		return classify(p.passErr).code
	case p.status.Cause != nil:
		return classify(p.status.Cause).code
	case waitErr != nil && !errors.Is(waitErr, errWaitTimeout):
		return classify(waitErr).code
	}
	return wire.CodeNotConverged
}

// await runs reconcile passes until enough says the image got where the
// call wanted it, or the wait timeout passes. since is the pass count noted
// before the write: every action of a pass begun after it counts, also one
// that began between the write and the first wait.
func (s *Server) await(r *http.Request, image string, since uint64, enough func(progress) bool) (progress, error) {
	ctx, cancel := context.WithTimeout(r.Context(), s.opts.WaitTimeout)
	defer cancel()
	var p progress
	var res reconciler.PassResult
	busy := false
	for {
		var err error
		if busy { // its actions' end wakes the loop: no pass needs asking for
			res, err = s.rec.NextPass(ctx, res.Seq)
		} else {
			res, err = s.rec.WaitPass(ctx)
		}
		if err != nil {
			return p, errWaitTimeout
		}
		// Asked before the history: once no action of the image is in
		// flight, every one of them is in a pass that PassesSince returns.
		busy = s.rec.InFlight(image)
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
		if busy && res.Err == nil {
			continue
		}
		if enough(p) || p.failed() || res.Err != nil {
			return p, nil
		}
	}
}
