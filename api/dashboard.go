package api

import (
	"context"
	"net/http"
	"strings"

	"github.com/orchestrator/orchestrator/api/ui"
	"github.com/orchestrator/orchestrator/api/wire"
)

// The dashboard (package ui) is served beside the REST API, not as part of
// it: its pages are HTML for people, so they are not in the OpenAPI
// document, and they are served before routing, by a middleware that runs
// before authenticate: its pages need no token (they hold no data when one
// is set), and its data comes from the API's own endpoints, which do.

// isDashboard says whether a path is the dashboard's: "/" (which redirects
// to it), /ui and everything below /ui/.
func isDashboard(path string) bool {
	return path == "/" || path == ui.Root || strings.HasPrefix(path, ui.Prefix)
}

// dashboard serves the dashboard's paths, and hands every other to next.
func (s *Server) dashboard(next http.Handler) http.Handler {
	pages := ui.New(ui.Options{TokenRequired: s.opts.Token != "", Data: uiData{s}, Logger: s.log.With("component", "ui")})
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !isDashboard(r.URL.Path) {
			next.ServeHTTP(w, r)
			return
		}
		if r.URL.Path == "/" {
			setRoute(r, "/")
			if r.Method != http.MethodGet && r.Method != http.MethodHead {
				s.handle(func(http.ResponseWriter, *http.Request) error { return methodNotAllowed(http.MethodGet) })(w, r)
				return
			}
			http.Redirect(w, r, ui.Prefix, http.StatusFound)
			return
		}
		setRoute(r, ui.Prefix) // one label for every page: paths hold image names
		pages.ServeHTTP(w, r)
	})
}

// uiData gives the dashboard the answers of GET /status and GET /images,
// from the same sources, for the rows it renders on the server.
type uiData struct{ s *Server }

func (d uiData) Status(context.Context) wire.StatusList { return d.s.statusList() }

func (d uiData) Images(context.Context) ([]wire.Image, error) {
	snap, err := d.s.dir.Load()
	if err != nil {
		return nil, err
	}
	return d.s.listed(snap), nil
}
