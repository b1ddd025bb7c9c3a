package api

import (
	"bytes"
	"embed"
	"io/fs"
	"net/http"
	"strings"
	"time"

	"github.com/go-chi/chi/v5"
)

// docsFiles is the /docs page: plain HTML, CSS and JS that render
// /openapi.json, with no external resource of any kind.
//
//go:embed docs/index.html docs/app.js docs/style.css
var docsFiles embed.FS

// docsCSP keeps the page to its own files: no CDN, no inline script.
const docsCSP = "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self'; " +
	"base-uri 'self'; form-action 'none'; frame-ancestors 'none'"

// docsRoutes serves a page that renders the OpenAPI document, from
// embedded files: the page at /docs and /docs/, its assets below /docs/.
func docsRoutes() chi.Router {
	r := chi.NewRouter()
	r.Get("/", serveDocsIndex)
	r.Get("/{file}", serveDocsAsset)
	return r
}

// serveDocsIndex serves index.html. Its URLs are relative to /docs/; at
// /docs (no slash) they would resolve against /, so the page then gets a
// <base href="docs/">. Both keep working behind a path prefix.
func serveDocsIndex(w http.ResponseWriter, r *http.Request) {
	page, err := docsFiles.ReadFile("docs/index.html")
	if err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError) // unreachable: embedded
		return
	}
	if !strings.HasSuffix(r.URL.Path, "/") { // only /docs itself routes here without one
		page = bytes.Replace(page, []byte("<head>"), []byte("<head>\n<base href=\"docs/\">"), 1)
	}
	docsHeaders(w)
	http.ServeContent(w, r, "index.html", time.Time{}, bytes.NewReader(page))
}

// serveDocsAsset serves app.js, style.css (and index.html); ServeContent sets
// the content type from the name.
func serveDocsAsset(w http.ResponseWriter, r *http.Request) {
	name := chi.URLParam(r, "file")
	data, err := fs.ReadFile(docsFiles, "docs/"+name) // fs paths have no "..": nothing else is reachable
	if err != nil {
		writeError(w, errNotFound)
		return
	}
	docsHeaders(w)
	http.ServeContent(w, r, name, time.Time{}, bytes.NewReader(data))
}

func docsHeaders(w http.ResponseWriter) {
	h := w.Header()
	h.Set("Content-Security-Policy", docsCSP)
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Referrer-Policy", "no-referrer")
	h.Set("Cache-Control", "no-cache")
}
