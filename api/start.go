package api

import (
	"errors"
	"fmt"
	"net/http"

	"github.com/go-chi/chi/v5"
	"github.com/orchestrator/orchestrator/reconciler"
)

// startRoutes is the original's POST /start/container.
func (s *Server) startRoutes() chi.Router {
	r := chi.NewRouter()
	r.Post("/container", s.handle(s.startContainer))
	return r
}

// startContainer writes the spec (a new file, or the fields that changed in
// the file that holds the image) and waits, bounded, for the reconciler to
// have a running container of the image.
func (s *Server) startContainer(w http.ResponseWriter, r *http.Request) error {
	sp, err := parseSpec(r, s.dir.Options)
	if err != nil {
		return err
	}
	since := s.rec.Seq()
	res, err := s.dir.Put(sp, ifMatch(r))
	if err != nil {
		return err
	}
	setETag(w, res.Revision)
	s.log.Info("spec written", "image", sp.Image, "result", res.Result, "source", res.Source.String(), "via", "POST /start/container")
	hash := sp.Hash()
	p, err := s.await(r, sp.Image, since, func(p progress) bool { return running(p.containers, hash) != nil })
	if err != nil && !errors.Is(err, errWaitTimeout) {
		return err
	}
	c, action := created(p)
	if c == nil {
		c = running(p.containers, hash)
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
			why = fmt.Sprintf("no container of %s is running after %s", sp.Image, s.opts.WaitTimeout)
		}
		return errorf(http.StatusInternalServerError, "%s", why)
	}
	body := map[string]any{"ok": true, "action": action, "image": sp.Image}
	sum := summarize(*c)
	body["container_id"], body["name"], body["status"], body["ports"] = sum.ContainerID, sum.Name, sum.Status, sum.Ports
	writeJSON(w, http.StatusOK, body)
	return nil
}

// created is the container a pass created for the call, if one did.
func created(p progress) (*reconciler.Container, string) {
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

// running is a running container of the spec as it is now (its hash): an
// outdated one is about to be replaced and is no answer.
func running(cs []reconciler.Container, hash string) *reconciler.Container {
	for i := range cs {
		if cs[i].State == "running" && !cs[i].Held && cs[i].SpecHash == hash {
			return &cs[i]
		}
	}
	return nil
}
