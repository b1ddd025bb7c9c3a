package api

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/go-chi/chi/v5"

	"github.com/orchestrator/orchestrator/api/wire"
	"github.com/orchestrator/orchestrator/reconciler/engine"
	"github.com/orchestrator/orchestrator/spec"
)

func (s *Server) containerRoutes() chi.Router {
	r := chi.NewRouter()
	r.Get("/", s.handle(s.listContainers))
	r.Patch("/{name_or_id}", s.handle(s.patchContainer))
	r.Delete("/{name_or_id}", s.handle(s.deleteContainer))
	r.Get("/{name_or_id}/logs", s.handle(s.containerLogs))
	return r
}

func (s *Server) listContainers(w http.ResponseWriter, r *http.Request) error {
	cs, err := s.containersOf(r.Context(), "")
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, wire.ContainerList{Containers: containersOf(cs)})
	return nil
}

// find is a managed container by id, name, or unique id prefix, as docker
// finds them. Anything else (another container on the host, too) is 404.
func (s *Server) find(ctx context.Context, x string) (engine.Container, error) {
	cs, err := s.containersOf(ctx, "")
	if err != nil {
		return engine.Container{}, err
	}
	var prefixed []engine.Container
	for _, c := range cs {
		if c.ID == x || c.Name == x || c.Name == strings.TrimPrefix(x, "/") {
			return c, nil
		}
		if len(x) >= 4 && strings.HasPrefix(c.ID, x) {
			prefixed = append(prefixed, c)
		}
	}
	switch len(prefixed) {
	case 1:
		return prefixed[0], nil
	case 0:
		return engine.Container{}, containerNotFound(x)
	}
	return engine.Container{}, errorf(http.StatusBadRequest, wire.CodeAmbiguous, "'%s' matches %d containers: give more of the id", x, len(prefixed))
}

// patchContainer holds a container stopped (the operator's: not counted,
// not started or removed by the reconciler, which creates a replacement) or
// releases it. The hold is its restart policy "no", kept on the container,
// so it survives an orchestrator restart.
func (s *Server) patchContainer(w http.ResponseWriter, r *http.Request) error {
	status, err := parsePatch(r)
	if err != nil {
		return err
	}
	x := pathParam(r, "name_or_id")
	c, err := s.find(r.Context(), x)
	if err != nil {
		return err
	}
	ctx := r.Context()
	event := "stop"
	if status == spec.StatusStopped {
		err = s.engine.SetHeld(ctx, c.ID, true)
		if err == nil {
			err = s.engine.Stop(ctx, c.ID, engine.OwnStopTimeout)
		}
	} else {
		// Started while still held, then released: released first, it
		// would be an exited, unheld container, which a pass woken by the
		// release event could remove as surplus.
		event = "start"
		err = s.engine.Start(ctx, c.ID)
		if err == nil {
			err = s.engine.SetHeld(ctx, c.ID, false)
		}
	}
	if errors.Is(err, engine.ErrNotFound) {
		return containerNotFound(x)
	}
	if err != nil {
		return engineRefused(err)
	}
	s.log.Info("container patched", "container", c.Name, "status", status, "held", status == spec.StatusStopped)
	s.rec.Announce(ctx, c.Image, c.ID, event)
	s.rec.Trigger() // a replacement, or a scale-down of the surplus
	if c, err = s.find(ctx, c.ID); err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, wire.Patched{OK: true, ContainerID: c.ID, Name: c.Name, Status: c.State, Ports: portsOf(c.Ports)})
	return nil
}

// deleteContainer removes a managed container, stopping it first (with a
// short timeout) unless force is set, as the original did. The reconciler
// replaces it on its next pass.
func (s *Server) deleteContainer(w http.ResponseWriter, r *http.Request) error {
	force := false
	if v := r.URL.Query().Get("force"); v != "" {
		b, ok := parseBool(v)
		if !ok {
			return invalid([]any{"query", "force"}, "bool_parsing", "Input should be a valid boolean, unable to interpret input")
		}
		force = b
	}
	x := pathParam(r, "name_or_id")
	ctx := r.Context()
	c, err := s.find(ctx, x)
	if err != nil {
		return err
	}
	if c.Active() && !force {
		// A swarm task has no stop of its own: its removal is the stop.
		if err := s.engine.Stop(ctx, c.ID, engine.OwnStopTimeout); err != nil && !errors.Is(err, engine.ErrNotFound) && !errors.Is(err, engine.ErrUnsupported) {
			return engineRefused(err)
		}
		s.rec.Announce(ctx, c.Image, c.ID, "stop")
	}
	err = s.engine.Remove(ctx, c.ID)
	if errors.Is(err, engine.ErrNotFound) {
		return containerNotFound(x)
	}
	if err != nil {
		return engineRefused(err)
	}
	s.log.Info("container deleted", "container", c.Name, "force", force)
	s.rec.Trigger()
	writeJSON(w, http.StatusOK, wire.ContainerDeleted{Deleted: true, ContainerID: c.ID, Name: c.Name})
	return nil
}

// parseBool reads a query flag the way FastAPI does.
func parseBool(v string) (bool, bool) {
	switch strings.ToLower(v) {
	case "1", "true", "yes", "on", "t", "y":
		return true, true
	case "0", "false", "no", "off", "f", "n":
		return false, true
	}
	b, err := strconv.ParseBool(v)
	return b, err == nil
}

// pathParam is a path parameter, URL-decoded as FastAPI decodes it (chi
// gives the raw text when the path has escapes).
func pathParam(r *http.Request, name string) string {
	v := chi.URLParam(r, name)
	if u, err := url.PathUnescape(v); err == nil {
		return u
	}
	return v
}

// containerLogs streams a managed container's output as plain text, until
// its end, or with follow until the container stops or the client goes.
// A client that asks for text/event-stream (or format=sse) gets each line
// as an event instead (logStream).
func (s *Server) containerLogs(w http.ResponseWriter, r *http.Request) error {
	q := r.URL.Query()
	asSSE, err := wantsSSE(r)
	if err != nil {
		return err
	}
	follow := false
	if v := q.Get("follow"); v != "" {
		b, ok := parseBool(v)
		if !ok {
			return invalid([]any{"query", "follow"}, "bool_parsing", "Input should be a valid boolean, unable to interpret input")
		}
		follow = b
	}
	tail := -1
	if asSSE && !q.Has("tail") {
		tail = sseDefaultTail
	}
	if v := q.Get("tail"); v != "" && v != "all" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 0 {
			return invalid([]any{"query", "tail"}, "value_error", "Input should be a number >= 0 or 'all'")
		}
		tail = n
	}
	x := pathParam(r, "name_or_id")
	c, err := s.find(r.Context(), x)
	if err != nil {
		return err
	}
	if asSSE {
		return s.logStream(w, r, c, x, engine.LogOptions{Follow: follow, Tail: tail})
	}
	ctx, cancel := context.WithCancel(r.Context())
	defer cancel()
	stop := context.AfterFunc(s.streams, cancel) // a shutdown ends the stream
	defer stop()
	rc, err := s.engine.Logs(ctx, c.ID, engine.LogOptions{Follow: follow, Tail: tail})
	if errors.Is(err, engine.ErrNotFound) {
		return containerNotFound(x)
	}
	if err != nil {
		return err
	}
	defer rc.Close()
	rw := http.NewResponseController(w)
	if follow {
		_ = rw.SetWriteDeadline(time.Time{}) // a follow outlives the server's write timeout
	}
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(http.StatusOK)
	buf := make([]byte, 32<<10)
	for {
		n, err := rc.Read(buf)
		if n > 0 {
			if _, werr := w.Write(buf[:n]); werr != nil {
				return nil // the client went away
			}
			_ = rw.Flush()
		}
		if err != nil {
			return nil // the stream ended; the status is sent, nothing more to say
		}
	}
}
