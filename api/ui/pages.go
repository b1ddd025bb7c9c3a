package ui

import (
	"bytes"
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"html/template"
	"io/fs"
	"net/http"
	"path"
	"time"
)

// files are the templates and the assets: plain HTML, CSS, JS and one SVG,
// all served from the binary.
//
//go:embed templates/*.html assets/*
var files embed.FS

// page is what a template renders. Every value goes through html/template,
// which escapes it for where it lands (text, attribute, URL).
type page struct {
	Title         string
	Page          string // overview, image or missing: the body's data-page
	Script        string // the page's module, below assets/; none for a 404
	TokenRequired bool
	Image         string // the image page's spec
	Rows          []row  // the overview's rows, when rendered on the server
	Rendered      bool   // Rows are the server's (else the script fetches them)
}

// pages are the parsed templates, one set per page: each defines "content"
// for the shared layout.
type pages struct {
	overview, image, notFound *template.Template
}

func loadPages() *pages {
	parse := func(name string) *template.Template {
		return template.Must(template.New(name).Funcs(funcs).ParseFS(files, "templates/layout.html", "templates/"+name))
	}
	return &pages{overview: parse("overview.html"), image: parse("image.html"), notFound: parse("notfound.html")}
}

// funcs are the templates' helpers; each returns plain text, escaped by
// html/template like any value.
var funcs = template.FuncMap{
	"short":    shortRevision,
	"imageURL": imageURL,
}

// render executes t into a buffer first, so that a template error is a 500,
// never half a page.
func (h *handler) render(w http.ResponseWriter, r *http.Request, t *template.Template, code int, p page) {
	var buf bytes.Buffer
	if err := t.ExecuteTemplate(&buf, "layout", p); err != nil {
		h.log.Error("dashboard: template failed", "page", p.Page, "err", err)
		http.Error(w, "the page could not be rendered", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(code)
	if r.Method != http.MethodHead {
		_, _ = w.Write(buf.Bytes())
	}
}

// assetTags are the embedded assets' ETags: a hash of their bytes, so a
// browser revalidates them cheaply (Cache-Control: no-cache) and never runs
// an old script against a new server.
var assetTags = func() map[string]string {
	tags := map[string]string{}
	entries, _ := fs.ReadDir(files, "assets")
	for _, e := range entries {
		b, _ := fs.ReadFile(files, "assets/"+e.Name())
		sum := sha256.Sum256(b)
		tags[e.Name()] = `"` + hex.EncodeToString(sum[:8]) + `"`
	}
	return tags
}()

// serveAsset serves one file of assets/ (a name with no "/": nothing else is
// reachable); ServeContent sets its type from the extension and answers
// If-None-Match.
func serveAsset(w http.ResponseWriter, r *http.Request) {
	name := r.PathValue("file")
	tag, ok := assetTags[name]
	if !ok {
		http.Error(w, "no such asset", http.StatusNotFound)
		return
	}
	b, err := fs.ReadFile(files, path.Join("assets", name))
	if err != nil {
		http.Error(w, "no such asset", http.StatusNotFound) // unreachable: listed above
		return
	}
	w.Header().Set("ETag", tag)
	http.ServeContent(w, r, name, time.Time{}, bytes.NewReader(b))
}
