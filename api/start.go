package api

import (
	"errors"
	"fmt"
	"net/http"

	"github.com/go-chi/chi/v5"

	"github.com/orchestrator/orchestrator/api/wire"
	"github.com/orchestrator/orchestrator/reconciler"
	"github.com/orchestrator/orchestrator/reconciler/engine"
	"github.com/orchestrator/orchestrator/spec"
)

// startRoutes is the original's POST /start/container.
func (s *Server) startRoutes() chi.Router {
	r := chi.NewRouter()
	r.Post("/container", s.handle(s.startContainer))
	return r
}

// startContainer writes the spec (a new file, or the fields that changed in
// the file that holds the image) and waits, bounded, for the reconciler to
// have a container of the image in the state the spec asks for: running,
// or, for a stopped spec, created and not running (docs/design.md §4).
func (s *Server) startContainer(w http.ResponseWriter, r *http.Request) error {
	sp, err := parseSpec(r, s.dir.Options)
	if err != nil {
		return err
	}
	since := s.rec.Seq()
	res, err := s.dir.PutContext(noted(r, "start %s (POST /start/container)", sp.Image), sp, ifMatch(r))
	if err != nil {
		return err
	}
	setETag(w, res.Revision)
	s.log.Info("spec written", "image", sp.Image, "result", res.Result, "source", res.Source.String(), "via", "POST /start/container")
	wanted := wantedContainer(sp)
	p, err := s.await(r, sp.Image, since, func(p progress) bool { return wanted(p.containers) != nil })
	if err != nil && !errors.Is(err, errWaitTimeout) {
		return err
	}
	c, action := created(p)
	if c == nil {
		c = wanted(p.containers)
	}
	if c == nil {
		why := p.status.LastError
		switch {
		case why != "":
		case p.failed():
			why = p.done[len(p.done)-1].Err.Error()
		case p.passErr != nil:
			why = p.passErr.Error()
		default:
			why = fmt.Sprintf("no container of %s is %s after %s", sp.Image, sp.Resources.Status, s.opts.WaitTimeout)
		}
		return errorf(http.StatusInternalServerError, p.code(err), "%s", why)
	}
	writeJSON(w, http.StatusOK, wire.Started{OK: true, Action: action, Image: sp.Image,
		ContainerID: c.ID, Name: c.Name, Status: c.State, Ports: portsOf(c.Ports)})
	return nil
}

// created is the container a pass created for the call, if one did.
func created(p progress) (*engine.Container, string) {
	for _, d := range p.done {
		if d.Kind != reconciler.KindCreate || !d.OK {
			continue
		}
		for i := range p.containers {
			if p.containers[i].ID == d.ID {
				return &p.containers[i], "created"
			}
		}
	}
	return nil, "kept-existing"
}

// wantedContainer finds, among a list, a container of the spec as it is now
// (its hash: an outdated one is about to be replaced and is no answer) in
// the state the spec asks for: running, or for a stopped spec existing and
// not running. The wait of the start call ends on nothing else, so it can
// never wait for a state the spec does not ask for.
func wantedContainer(sp spec.Spec) func([]engine.Container) *engine.Container {
	hash, stopped := sp.Hash(), sp.Resources.Status == spec.StatusStopped
	return func(cs []engine.Container) *engine.Container {
		for i, c := range cs {
			if c.SpecHash != hash {
				continue
			}
			// A held container exists (the plan of a stopped spec counts
			// it, docs/design.md §4), but runs for nobody.
			if stopped && (c.Held || c.State == "created" || c.State == "exited") || !stopped && !c.Held && c.State == "running" {
				return &cs[i]
			}
		}
		return nil
	}
}
