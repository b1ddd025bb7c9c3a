// Package api serves the REST API of the original FastAPI orchestrator over
// the state directory: every write is a file write (spec.Dir's Put or
// Delete) followed by a reconcile pass, so an API call and a git commit have
// the same effect. Container calls (PATCH, DELETE) act on managed
// containers only.
package api

import (
	"context"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"github.com/go-chi/chi/v5"

	"github.com/orchestrator/orchestrator/api/events"
	"github.com/orchestrator/orchestrator/api/wire"
	"github.com/orchestrator/orchestrator/reconciler"
	"github.com/orchestrator/orchestrator/reconciler/engine"
	"github.com/orchestrator/orchestrator/reconciler/stats"
	"github.com/orchestrator/orchestrator/spec"
)

// MaxBodyBytes bounds a request body; larger ones get 413.
const MaxBodyBytes = 1 << 20

// Reconciler is what the API needs of the reconciler.
type Reconciler interface {
	// WaitPass triggers a pass and returns the first one that started after the call.
	WaitPass(ctx context.Context) (reconciler.PassResult, error)
	// NextPass waits for the next pass without asking for one, and
	// InFlight says whether an image has actions under way: a write's wait
	// answers only once its image's actions have ended.
	NextPass(ctx context.Context, seq uint64) (reconciler.PassResult, error)
	InFlight(image string) bool
	// Seq and PassesSince let a write collect every action taken after it.
	Seq() uint64
	PassesSince(seq uint64) []reconciler.PassResult
	Trigger()
	Statuses() []reconciler.Status
	// Errors are the state directory's errors as of the last pass.
	Errors() []string
	// Engine is whether the last pass reached the engine.
	Engine() reconciler.EngineState
	// Stale are the specs kept in force at their last good version while
	// the files give no valid one (a broken file), with why, by image;
	// Enforced is the one of image.
	Stale() []reconciler.Stale
	Enforced(image string) (spec.Entry, []string, bool)
	// Announce delivers the discovery webhook of a container event the API caused.
	Announce(ctx context.Context, image, containerID, event string)
}

// HealthSource is the background stats sampler: it answers from its cache
// (waiting for one round when nobody has asked about the image lately).
type HealthSource interface {
	Read(ctx context.Context, image string) []stats.Health
}

// Options configure the API.
type Options struct {
	// Token, when set, is required as "Authorization: Bearer <token>" on
	// every endpoint but GET /health.
	Token string
	// WaitTimeout bounds how long a write waits for the reconcile pass it
	// causes; default 60s.
	WaitTimeout time.Duration
	Logger      *slog.Logger
	Metrics     *Metrics // nil: no /metrics
	// Git, when set, is the remote behind the state directory: POST
	// /git/sync, and its status in GET /status.
	Git GitSource
	// WebhookSecret, when set (with Git), opens POST /hooks/git to pushes
	// signed with it; without it the route does not exist.
	WebhookSecret string
	// Events, when set, is served as GET /events (a Feed fills it).
	Events *events.Hub
	// Heartbeat is how often an idle event stream sends a ping; default
	// DefaultHeartbeat.
	Heartbeat time.Duration
}

// Server is the REST API.
type Server struct {
	dir    *spec.Dir
	rec    Reconciler
	engine engine.Engine
	health HealthSource
	opts   Options
	log    *slog.Logger

	// streams ends the answers that stream until their client goes (a logs
	// follow): http.Server.Shutdown waits for every request, and these would
	// never end by themselves. CloseStreams cancels it.
	streams      context.Context
	closeStreams context.CancelFunc
}

// New returns the API over dir, reconciled by rec onto engine.
func New(dir *spec.Dir, rec Reconciler, engine engine.Engine, health HealthSource, opts Options) *Server {
	if opts.WaitTimeout <= 0 {
		opts.WaitTimeout = 60 * time.Second
	}
	if opts.Heartbeat <= 0 {
		opts.Heartbeat = DefaultHeartbeat
	}
	log := opts.Logger
	if log == nil {
		log = slogDiscard
	}
	streams, closeStreams := context.WithCancel(context.Background())
	return &Server{dir: dir, rec: rec, engine: engine, health: health, opts: opts, log: log, streams: streams, closeStreams: closeStreams}
}

// CloseStreams ends every streamed answer now and later ones at once: for
// http.Server.RegisterOnShutdown, so that a shutdown does not wait for a
// client that follows logs.
func (s *Server) CloseStreams() { s.closeStreams() }

// Handler is the API's router: one Routes per resource, behind the
// middleware every request goes through.
func (s *Server) Handler() http.Handler {
	r := chi.NewRouter()
	r.Use(s.recoverer, s.opts.Metrics.middleware, s.dashboard, s.authenticate, limitBody)
	r.NotFound(s.handle(func(http.ResponseWriter, *http.Request) error { return errNotFound }))
	r.MethodNotAllowed(s.handle(func(_ http.ResponseWriter, r *http.Request) error { return methodNotAllowed(allowed(r)...) }))
	r.Get("/health", func(w http.ResponseWriter, _ *http.Request) { writeJSON(w, http.StatusOK, map[string]bool{"ok": true}) })
	r.Mount("/start", s.startRoutes())
	r.Mount("/images", s.imageRoutes())
	r.Mount("/containers", s.containerRoutes())
	r.Get("/status", s.handle(s.statuses))
	r.Get("/openapi.json", s.openAPI)
	r.Mount("/docs", docsRoutes())
	if s.opts.Metrics != nil {
		r.Method(http.MethodGet, "/metrics", s.opts.Metrics.Handler())
	}
	if s.opts.Events != nil {
		r.Get("/events", s.handle(s.eventStream))
	}
	if s.opts.Git != nil {
		r.Mount("/git", s.gitRoutes())
		if s.opts.WebhookSecret != "" {
			r.Post(hookPath, s.handle(s.gitHook))
		}
	}
	return r
}

// recoverer turns a panic in a handler into a 500 in the API's shape.
func (s *Server) recoverer(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		defer func() {
			if v := recover(); v != nil {
				if v == http.ErrAbortHandler {
					panic(v)
				}
				s.log.Error("handler panicked", "method", r.Method, "path", r.URL.Path, "panic", v)
				writeError(w, errInternal)
			}
		}()
		next.ServeHTTP(w, r)
	})
}

// limitBody caps every request body at MaxBodyBytes.
func limitBody(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.ContentLength > MaxBodyBytes {
			writeError(w, tooLarge(MaxBodyBytes))
			return
		}
		r.Body = http.MaxBytesReader(w, r.Body, MaxBodyBytes)
		next.ServeHTTP(w, r)
	})
}

// authenticate requires the bearer token, when one is set, everywhere but
// GET /health (a load balancer's probe) and the static files of /docs (a
// browser cannot send the header; the page asks for the token and sends it
// with its own requests, /openapi.json included). The event streams also
// take it as ?access_token=, which is all a browser's EventSource can send.
func (s *Server) authenticate(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		open := r.URL.Path == "/health" || r.Method == http.MethodGet && (r.URL.Path == "/docs" || strings.HasPrefix(r.URL.Path, "/docs/")) ||
			r.URL.Path == hookPath && s.opts.WebhookSecret != "" // its signature is its auth
		if s.opts.Token == "" || open || checkBearer(r.Header.Get("Authorization"), s.opts.Token) ||
			sseTokenInQuery(r) && checkBearer("Bearer "+r.URL.Query().Get("access_token"), s.opts.Token) {
			next.ServeHTTP(w, r)
			return
		}
		writeError(w, errUnauthorized)
	})
}

// statuses is the reconciler's status of every spec (docs/design.md §7).
func (s *Server) statuses(w http.ResponseWriter, r *http.Request) error {
	writeJSON(w, http.StatusOK, s.statusList())
	return nil
}

// statusList is GET /status, for the API and the dashboard.
func (s *Server) statusList() wire.StatusList {
	out := wire.StatusList{Specs: []wire.Status{}, Errors: s.rec.Errors()}
	for _, st := range s.rec.Statuses() {
		out.Specs = append(out.Specs, s.withGitRevision(statusOf(st)))
	}
	if out.Errors == nil {
		out.Errors = []string{}
	}
	if s.opts.Git != nil {
		g := gitStatusOf(s.opts.Git.Status())
		out.Git = &g
	}
	if e := s.rec.Engine(); !e.Since.IsZero() {
		out.Engine = &wire.EngineStatus{Available: e.Available, Error: e.Error, Since: e.Since}
	}
	return out
}

// allowed lists the methods the router serves at r's path, for the Allow
// header of a 405. A mount matches every method at the root's level, so a
// match on a mount is asked again of the mounted router.
func allowed(r *http.Request) []string {
	rctx := chi.RouteContext(r.Context())
	if rctx == nil || rctx.Routes == nil {
		return nil
	}
	var out []string
	for _, m := range []string{http.MethodGet, http.MethodPost, http.MethodPut, http.MethodPatch, http.MethodDelete} {
		if serves(rctx.Routes, m, r.URL.Path) {
			out = append(out, m)
		}
	}
	return out
}

func serves(routes chi.Routes, method, path string) bool {
	tctx := chi.NewRouteContext()
	if !routes.Match(tctx, method, path) {
		return false
	}
	mount := strings.TrimSuffix(tctx.RoutePattern(), "/*") // chi mounts at both "/x" and "/x/*"
	for _, rt := range routes.Routes() {
		if rt.Pattern == mount+"/*" && rt.SubRoutes != nil {
			rest := strings.TrimPrefix(path, mount)
			if rest == "" {
				rest = "/"
			}
			return serves(rt.SubRoutes, method, rest)
		}
	}
	return true
}
