// Package ui is the dashboard that serve shows at /ui/: server-rendered
// html/template pages, a stylesheet and a few plain ES modules, all embedded
// (no build step, nothing fetched from elsewhere). The pages read the same
// REST endpoints a curl user has (GET /status, /images, /images/{image},
// /images/{image}/containers and /health, the SSE of /events and of a
// container's logs) and act through the same writes (scale, PUT of the
// spec, reconcile, DELETE of a container), so every action ends as a file
// write, exactly like a curl call.
//
// The HTML is served without the token; the data is not. With a token the
// pages hold no data: the script asks for the token once, keeps it in
// sessionStorage and sends it as a bearer token. Without one, the overview's
// rows are rendered on the server too (from Data), and the script keeps them
// live.
//
// The package knows no router: New returns a plain http.Handler for the
// paths below Prefix.
package ui

import (
	"context"
	"log/slog"
	"net/http"

	"github.com/orchestrator/orchestrator/api/wire"
)

// Prefix is where the dashboard is served; every path it answers starts with
// it (and Root, which redirects to it).
const (
	Prefix = "/ui/"
	Root   = "/ui"
)

// Data is what the overview renders on the server when no token guards the
// data: the answers of GET /status and GET /images, from the same sources
// the API reads.
type Data interface {
	Status(ctx context.Context) wire.StatusList
	Images(ctx context.Context) ([]wire.Image, error)
}

// Options configure the dashboard.
type Options struct {
	// TokenRequired says that the API wants a bearer token: the pages then
	// carry no data and ask for the token before any request.
	TokenRequired bool
	// Data renders the overview's rows on the server; nil (or a token)
	// leaves them to the script.
	Data   Data
	Logger *slog.Logger
}

// CSP keeps every page to its own files: no inline script or style, no
// other origin, no frames, no plugins.
const CSP = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self'; connect-src 'self'; " +
	"font-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"

// handler serves the pages and their assets.
type handler struct {
	opts  Options
	log   *slog.Logger
	pages *pages
	mux   *http.ServeMux
}

// New returns the dashboard's handler for Root and the paths below Prefix.
func New(opts Options) http.Handler {
	log := opts.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	h := &handler{opts: opts, log: log, pages: loadPages(), mux: http.NewServeMux()}
	h.mux.HandleFunc("GET "+Root, func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, Prefix, http.StatusFound)
	})
	h.mux.HandleFunc("GET "+Prefix+"{$}", h.overview)
	h.mux.HandleFunc("GET "+Prefix+"images/{image...}", h.image)
	h.mux.HandleFunc("GET "+Prefix+"assets/{file}", serveAsset)
	h.mux.HandleFunc(Prefix, h.notFound)
	return h
}

func (h *handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	headers(w)
	h.mux.ServeHTTP(w, r)
}

// headers go on every answer, pages, assets and errors alike.
func headers(w http.ResponseWriter) {
	hd := w.Header()
	hd.Set("Content-Security-Policy", CSP)
	hd.Set("X-Content-Type-Options", "nosniff")
	hd.Set("Referrer-Policy", "no-referrer") // a stream's URL may carry ?access_token=
	hd.Set("X-Frame-Options", "DENY")
	hd.Set("Cache-Control", "no-cache")
}

// overview is one row per spec, and one per broken file.
func (h *handler) overview(w http.ResponseWriter, r *http.Request) {
	p := page{Title: "Specs", Page: "overview", Script: "overview.js", TokenRequired: h.opts.TokenRequired}
	if h.opts.Data != nil && !h.opts.TokenRequired {
		images, err := h.opts.Data.Images(r.Context())
		if err != nil {
			// The script shows the same error from GET /images; the page
			// itself is fine.
			h.log.Debug("dashboard: images not rendered", "err", err)
		}
		p.Rows, p.Rendered = overviewRows(h.opts.Data.Status(r.Context()), images), true
	}
	h.render(w, r, h.pages.overview, http.StatusOK, p)
}

// image is the page of one spec: the script fills it.
func (h *handler) image(w http.ResponseWriter, r *http.Request) {
	image := r.PathValue("image")
	p := page{Title: image, Page: "image", Script: "image.js", TokenRequired: h.opts.TokenRequired, Image: image}
	h.render(w, r, h.pages.image, http.StatusOK, p)
}

func (h *handler) notFound(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		w.Header().Set("Allow", "GET, HEAD")
		http.Error(w, "method not allowed: the dashboard only reads; it acts through the API", http.StatusMethodNotAllowed)
		return
	}
	h.render(w, r, h.pages.notFound, http.StatusNotFound, page{Title: "Not found", Page: "missing", Script: "missing.js"})
}
