package api

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/go-chi/chi/v5"

	"github.com/orchestrator/orchestrator/api/wire"
	"github.com/orchestrator/orchestrator/reconciler/stats"
	"github.com/orchestrator/orchestrator/spec"
)

// imageAction is one route below /images/{image}. An image reference may
// hold "/" (ghcr.io/org/app:1.2), which no router pattern can take as one
// parameter, so these are matched here, from the end of the path.
type imageAction struct {
	method, suffix string
	serve          func(s *Server, w http.ResponseWriter, r *http.Request, image string) error
}

// imageActions lists the routes below /images/{image}; the OpenAPI
// completeness test reads it too.
var imageActions = []imageAction{
	{http.MethodGet, "", (*Server).getImage},
	{http.MethodPut, "", (*Server).putImage},
	{http.MethodDelete, "", (*Server).deleteImage},
	{http.MethodPost, "scale", (*Server).scale},
	{http.MethodPost, "reconcile", (*Server).reconcile},
	{http.MethodGet, "containers", (*Server).imageContainers},
	{http.MethodGet, "health", (*Server).imageHealth},
}

func (s *Server) imageRoutes() chi.Router {
	r := chi.NewRouter()
	r.Get("/", s.handle(s.listImages))
	r.HandleFunc("/*", s.handle(s.dispatchImage))
	return r
}

// dispatchImage splits /images/<image>[/<action>]. The image may be plain
// or URL-encoded (%2F for "/"); an encoded "/" never ends the image.
func (s *Server) dispatchImage(w http.ResponseWriter, r *http.Request) error {
	raw := chi.URLParam(r, "*")
	if raw == "" { // /images itself, with a method other than GET
		return methodNotAllowed(http.MethodGet)
	}
	suffix := ""
	if i := strings.LastIndexByte(raw, '/'); i > 0 {
		for _, a := range imageActions {
			if a.suffix != "" && raw[i+1:] == a.suffix {
				raw, suffix = raw[:i], a.suffix
				break
			}
		}
	}
	image, err := url.PathUnescape(raw)
	if err != nil || image == "" || strings.HasSuffix(raw, "/") || strings.HasPrefix(raw, "/") {
		return errNotFound
	}
	route := "/images/{image}"
	if suffix != "" {
		route += "/" + suffix
	}
	setRoute(r, route)
	var allow []string
	for _, a := range imageActions {
		if a.suffix != suffix {
			continue
		}
		if a.method == r.Method {
			// Every route refuses a name no spec can have, reads as writes.
			if err := checkPathImage(image); err != nil {
				return err
			}
			return a.serve(s, w, r, image)
		}
		allow = append(allow, a.method)
	}
	return methodNotAllowed(allow...)
}

// listImages is the desired state, read from the files now: a file edited
// by hand shows at once. A spec whose file is broken is listed at the last
// good version still in force, marked stale (listed.go).
func (s *Server) listImages(w http.ResponseWriter, r *http.Request) error {
	snap, err := s.dir.Load()
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, wire.ImageList{Images: s.listed(snap)})
	return nil
}

// entry is the valid spec of image, or a 404 that says why there is none.
func (s *Server) entry(image string) (spec.Entry, error) {
	snap, err := s.dir.Load()
	if err != nil {
		return spec.Entry{}, err
	}
	if e, ok := snap.Get(image); ok {
		return e, nil
	}
	if srcs := snap.Found[image]; len(srcs) > 0 {
		return spec.Entry{}, errorf(http.StatusConflict, wire.CodeBrokenFile, "%s: the spec of %s at %s has errors", spec.ErrBrokenFile, image, srcs[0])
	}
	return spec.Entry{}, errorf(http.StatusNotFound, wire.CodeNotFound, "no spec for image '%s'", image)
}

// getImage is the spec and its status. A stale spec (its file is broken)
// has no ETag: the file holds no version of it that a write could match.
func (s *Server) getImage(w http.ResponseWriter, r *http.Request, image string) error {
	img, err := s.shown(image)
	if err != nil {
		return err
	}
	out := wire.ImageDetail{Image: img} // no status before the first pass over the spec
	if st, ok := s.status(image); ok {
		ws := s.withGitRevision(statusOf(st))
		out.Status = &ws
	}
	if !img.Stale {
		setETag(w, img.Revision)
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}

// putImage writes a whole spec, as `orchestrator apply` does: only the
// changed fields of the file that holds the image are edited. It does not
// wait for containers (POST /start/container does). With ?dry_run=true it
// writes nothing and returns the file before and after, for `diff`.
func (s *Server) putImage(w http.ResponseWriter, r *http.Request, image string) error {
	sp, err := parseSpec(r, s.dir.Options)
	if err != nil {
		return err
	}
	if sp.Image != image {
		return invalid([]any{"body", "image"}, "value_error", "%q does not match the image of the path, %q", sp.Image, image)
	}
	dry := false
	if v := r.URL.Query().Get("dry_run"); v != "" {
		b, ok := parseBool(v)
		if !ok {
			return invalid([]any{"query", "dry_run"}, "bool_parsing", "Input should be a valid boolean, unable to interpret input")
		}
		dry = b
	}
	if dry {
		ch, err := s.dir.Preview(sp)
		if err != nil {
			return err
		}
		writeJSON(w, http.StatusOK, wire.Preview{
			Image: image, Result: ch.Result, File: ch.Source.File, Before: string(ch.Before), After: string(ch.After), DryRun: true,
		})
		return nil
	}
	res, err := s.dir.PutContext(noted(r, "apply %s (PUT /images/%s)", image, image), sp, ifMatch(r))
	if err != nil {
		return err
	}
	if res.Result != spec.Unchanged {
		s.log.Info("spec written", "image", image, "result", res.Result, "source", res.Source.String(), "via", "PUT /images/{image}")
		s.rec.Trigger()
	}
	setETag(w, res.Revision)
	writeJSON(w, http.StatusOK, wire.Written{Image: image, Result: res.Result, Revision: res.Revision, Source: res.Source.String(),
		Warnings: s.imageWarnings(r.Context(), image)})
	return nil
}

func (s *Server) deleteImage(w http.ResponseWriter, r *http.Request, image string) error {
	src, err := s.dir.DeleteContext(noted(r, "delete %s (DELETE /images/%s)", image, image), image, ifMatch(r))
	if errors.Is(err, spec.ErrNotFound) {
		return errorf(http.StatusNotFound, wire.CodeNotFound, "no spec for image '%s'", image)
	}
	if err != nil {
		return err
	}
	s.log.Info("spec deleted", "image", image, "source", src.String(), "via", "DELETE /images/{image}")
	s.rec.Trigger()
	writeJSON(w, http.StatusOK, wire.ImageDeleted{Deleted: true, Image: image, Source: src.String()})
	return nil
}

// scaleTries bounds how often a scale reads the spec again because another
// write landed between its read and its write.
const scaleTries = 50

// scale edits min_replicas and max_replicas in the file that holds the image
// (or writes a new spec with no limits) and waits for the reconciler. The
// replicas are set on the spec as read, and written only over that same
// revision: a write that lands in between (a PUT, a file edit) makes the
// scale read again, instead of being reverted by it.
func (s *Server) scale(w http.ResponseWriter, r *http.Request, image string) error {
	req, err := parseScale(r)
	if err != nil {
		return err
	}
	since := s.rec.Seq()
	client := ifMatch(r)
	var sp spec.Spec
	var res spec.PutResult
	for try := 1; ; try++ {
		sp = spec.New(image)
		cond := client
		if e, err := s.entry(image); err == nil {
			if client != "" && client != "*" && client != e.Revision {
				return fmt.Errorf("%w: %q is at revision %s", spec.ErrPrecondition, image, e.Revision)
			}
			sp, cond = e.Spec, e.Revision
		} else if !isNotFound(err) {
			return err
		}
		sp.MinReplicas, sp.MaxReplicas = req.MinReplicas, req.MaxReplicas
		res, err = s.dir.PutContext(noted(r, "scale %s to min %d max %d (POST /images/%s/scale)", image, sp.MinReplicas, sp.MaxReplicas, image), sp, cond)
		// A revision of our own read that no longer matches: read again. The
		// client's own (a revision, or "*" of a spec that is gone) is its 412.
		if errors.Is(err, spec.ErrPrecondition) && cond != client && (client == "" || client == "*") && try < scaleTries {
			continue
		}
		if err != nil {
			return err
		}
		break
	}
	setETag(w, res.Revision)
	s.log.Info("spec written", "image", image, "result", res.Result, "source", res.Source.String(), "via", "POST /images/{image}/scale")
	p, err := s.await(r, image, since, func(p progress) bool { return p.status.Synced })
	if err != nil || p.failed() || p.passErr != nil {
		return errorf(http.StatusInternalServerError, p.code(err), "scale-failed")
	}
	return s.writePass(w, sp, p)
}

// reconcile runs one pass now and answers with what it did for the image.
func (s *Server) reconcile(w http.ResponseWriter, r *http.Request, image string) error {
	e, err := s.entry(image)
	if err != nil {
		return err
	}
	p, err := s.await(r, image, s.rec.Seq(), func(progress) bool { return true })
	// A spec that is failing (backing off, its file broken) did nothing in
	// this pass, and is no success either.
	if err != nil || p.failed() || p.passErr != nil || p.status.LastError != "" {
		return errorf(http.StatusInternalServerError, p.code(err), "reconcile-failed")
	}
	return s.writePass(w, e.Spec, p)
}

func (s *Server) writePass(w http.ResponseWriter, sp spec.Spec, p progress) error {
	writeJSON(w, http.StatusOK, wire.Reconciled{
		OK: true, Image: sp.Image, Desired: wire.Replicas{MinReplicas: sp.MinReplicas, MaxReplicas: sp.MaxReplicas},
		Actions: actionsOf(p.done), Current: containersOf(p.containers),
	})
	return nil
}

func (s *Server) imageContainers(w http.ResponseWriter, r *http.Request, image string) error {
	cs, err := s.containersOf(r.Context(), image)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, wire.ImageContainers{Image: image, Containers: containersOf(cs)})
	return nil
}

// coldHealthWait bounds how long a health request waits for the first
// sampling round of an image nobody had asked about.
const coldHealthWait = 5 * time.Second

// imageHealth answers from the sampler's cache: no engine call per request.
func (s *Server) imageHealth(w http.ResponseWriter, r *http.Request, image string) error {
	var health []stats.Health
	if s.health != nil {
		ctx, cancel := context.WithTimeout(r.Context(), coldHealthWait)
		defer cancel()
		health = s.health.Read(ctx, image)
	}
	writeJSON(w, http.StatusOK, wire.ImageHealth{Image: image, Health: healthOf(health)})
	return nil
}

func isNotFound(err error) bool { return classify(err).code == wire.CodeNotFound }

// checkPathImage is a 422 at ["path","image"] for an image in the path that
// the spec's image rule refuses (not a reference, or no safe file name).
func checkPathImage(image string) error {
	for _, e := range spec.Validate(spec.New(image), spec.Options{HostCPUs: 1}) {
		if len(e.Loc) > 0 && e.Loc[0] == "image" {
			return invalid([]any{"path", "image"}, "value_error", "%s", e.Msg)
		}
	}
	return nil
}

// imageWarnings says when image is not on the engine: the spec is written
// all the same (the file is the desired state), but it fails until the
// image can be pulled, and the writer should know now. An engine that
// cannot be asked says nothing.
func (s *Server) imageWarnings(ctx context.Context, image string) []string {
	if ok, err := s.engine.HasImage(ctx, image); err != nil || ok {
		return nil
	}
	return []string{wire.ImageMissing}
}
