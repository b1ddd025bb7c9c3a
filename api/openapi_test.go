package api

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"mime"
	"net/http"
	"net/http/httptest"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/go-chi/chi/v5"
	"github.com/google/go-cmp/cmp"

	"github.com/orchestrator/orchestrator/api/events"
	"github.com/orchestrator/orchestrator/reconciler"
	"github.com/orchestrator/orchestrator/reconciler/engine/enginetest"
	"github.com/orchestrator/orchestrator/spec"
)

// oaTestDoc is the served document, loaded by kin-openapi the way a client
// loads it (every $ref resolved), not the Go value that built it.
func oaTestDoc(t *testing.T) *openapi3.T {
	t.Helper()
	doc, err := openapi3.NewLoader().LoadFromData(openAPIJSON())
	if err != nil {
		t.Fatalf("/openapi.json does not load: %v", err)
	}
	return doc
}

// oaOperations lists the document's operations by "METHOD /path".
func oaOperations(doc *openapi3.T) map[string]*openapi3.Operation {
	out := map[string]*openapi3.Operation{}
	for path, item := range doc.Paths.Map() {
		for method, op := range item.Operations() {
			out[method+" "+path] = op
		}
	}
	return out
}

// TestOpenAPIDocumentIsValid: kin-openapi's validation of the whole
// document (references, parameters, operation ids, schemas, and every
// example and default against its schema), and the rules of this API.
func TestOpenAPIDocumentIsValid(t *testing.T) {
	doc := oaTestDoc(t)
	if err := doc.Validate(context.Background(), openapi3.EnableMultiError()); err != nil {
		t.Fatalf("the document is not valid OpenAPI:\n%v", err)
	}
	if doc.OpenAPI != "3.0.3" || doc.Info.Title != "Orchestrator" || doc.Info.Version != Version {
		t.Errorf("openapi %q, info %q %q; want 3.0.3, Orchestrator %q", doc.OpenAPI, doc.Info.Title, doc.Info.Version, Version)
	}
	for _, key := range []string{"http://", "https://"} {
		if bytes.Contains(openAPIJSON(), []byte(key)) {
			t.Errorf("the document names an external URL (%s)", key)
		}
	}
	if bytes.Contains(openAPIJSON(), []byte(`\u003c`)) {
		t.Error("the document escapes HTML: people read it too")
	}
	tags := map[string]bool{}
	for _, tag := range doc.Tags {
		tags[tag.Name] = true
	}
	for key, op := range oaOperations(doc) {
		if op.Summary == "" || op.OperationID == "" {
			t.Errorf("%s: no summary or operationId", key)
		}
		if len(op.Tags) != 1 || !tags[op.Tags[0]] {
			t.Errorf("%s: tags %v, want one of the document's", key, op.Tags)
		}
		if op.Responses.Status(http.StatusOK) == nil {
			t.Errorf("%s: no 200 response", key)
		}
		public := op.Security != nil && len(*op.Security) == 0
		// The webhook is public, and its signature answers 401.
		if secured := op.Responses.Status(http.StatusUnauthorized) != nil; public == secured && key != "POST "+hookPath {
			t.Errorf("%s: 401 documented %v but public %v", key, secured, public)
		}
	}
}

// oaTestReconciler is the least Reconciler: these tests only walk the
// router and fetch static answers.
type oaTestReconciler struct{}

func (oaTestReconciler) WaitPass(ctx context.Context) (reconciler.PassResult, error) {
	<-ctx.Done()
	return reconciler.PassResult{}, ctx.Err()
}
func (r oaTestReconciler) NextPass(ctx context.Context, _ uint64) (reconciler.PassResult, error) {
	return r.WaitPass(ctx)
}
func (oaTestReconciler) InFlight(string) bool                       { return false }
func (oaTestReconciler) Trigger()                                   {}
func (oaTestReconciler) Seq() uint64                                { return 0 }
func (oaTestReconciler) PassesSince(uint64) []reconciler.PassResult { return nil }
func (oaTestReconciler) Statuses() []reconciler.Status              { return nil }
func (oaTestReconciler) Errors() []string                           { return nil }
func (oaTestReconciler) Engine() reconciler.EngineState             { return reconciler.EngineState{} }
func (oaTestReconciler) Stale() []reconciler.Stale                  { return nil }
func (oaTestReconciler) Enforced(string) (spec.Entry, []string, bool) {
	return spec.Entry{}, nil, false
}
func (oaTestReconciler) Announce(context.Context, string, string, string) {}

// oaRouterOperations walks the real router and lists what it serves as
// "METHOD /path", in the document's terms: the "/images/*" catch-all is
// expanded with the imageActions table, chi's mount patterns ("/images/",
// "/containers/") lose the trailing slash, and the page's routes below
// /docs are the one operation GET /docs.
func oaRouterOperations(t *testing.T) []string {
	t.Helper()
	s := New(spec.NewDir(t.TempDir(), spec.Options{}), oaTestReconciler{}, enginetest.NewFake(), nil,
		Options{Metrics: NewMetrics(), Git: oaTestGit{}, WebhookSecret: "s3cret", Events: events.New(events.Options{})})
	byRoute := map[string][]string{}
	err := chi.Walk(s.Handler().(chi.Routes), func(method, route string, _ http.Handler, _ ...func(http.Handler) http.Handler) error {
		byRoute[route] = append(byRoute[route], method)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	set := map[string]bool{}
	for route, methods := range byRoute {
		// A route that chi holds for every method (Handle, HandleFunc) is
		// a catch-all: its handler picks the methods.
		anyMethod := len(methods) >= 9 && slices.Contains(methods, http.MethodConnect) && slices.Contains(methods, http.MethodTrace)
		switch {
		case route == "/images/*":
			for _, a := range imageActions {
				p := "/images/{image}"
				if a.suffix != "" {
					p += "/" + a.suffix
				}
				set[a.method+" "+p] = true
			}
			continue
		case anyMethod:
			// /metrics (r.Handle): promhttp answers any method; the
			// document has it as GET.
			methods = []string{http.MethodGet}
		}
		path := route
		if len(path) > 1 {
			path = strings.TrimSuffix(path, "/")
		}
		if path == "/docs" || strings.HasPrefix(path, "/docs/") {
			path = "/docs"
		}
		for _, m := range methods {
			if m == http.MethodHead || m == http.MethodOptions {
				continue // chi adds neither; a GET-only route is not a HEAD route
			}
			set[m+" "+path] = true
		}
	}
	out := make([]string, 0, len(set))
	for k := range set {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// TestOpenAPICoversRouter: the document lists every route the router
// serves, and nothing else.
func TestOpenAPICoversRouter(t *testing.T) {
	served := oaRouterOperations(t)
	var documented []string
	for k := range oaOperations(oaTestDoc(t)) {
		documented = append(documented, k)
	}
	sort.Strings(documented)
	if diff := cmp.Diff(served, documented); diff != "" {
		t.Errorf("operations (-want router +got document):\n%s", diff)
	}
	if len(served) < 15 {
		t.Errorf("the router walk found only %d operations: %v", len(served), served)
	}
}

func TestOpenAPIAndDocsAreServed(t *testing.T) {
	h := New(spec.NewDir(t.TempDir(), spec.Options{}), oaTestReconciler{}, enginetest.NewFake(), nil, Options{}).Handler()
	get := func(path string) (*http.Response, string) {
		t.Helper()
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, path, nil))
		res := rec.Result()
		b, _ := io.ReadAll(res.Body)
		return res, string(b)
	}
	for _, tc := range []struct {
		path, mediaType string
		code            int
	}{
		{"/openapi.json", "application/json", 200},
		{"/docs", "text/html", 200},
		{"/docs/", "text/html", 200},
		{"/docs/index.html", "text/html", 200},
		{"/docs/app.js", "text/javascript", 200},
		{"/docs/style.css", "text/css", 200},
		{"/docs/nope.js", "application/json", 404},
		{"/docs/..%2fopenapi.go", "application/json", 404},
	} {
		res, body := get(tc.path)
		mt, _, _ := mime.ParseMediaType(res.Header.Get("Content-Type"))
		if diff := cmp.Diff(fmt.Sprint(tc.code, " ", tc.mediaType), fmt.Sprint(res.StatusCode, " ", mt)); diff != "" {
			t.Errorf("GET %s (-want +got):\n%s", tc.path, diff)
		}
		if tc.code == 200 && tc.path != "/openapi.json" {
			if strings.Contains(body, "http://") || strings.Contains(body, "https://") {
				t.Errorf("GET %s names an external URL (no CDN allowed)", tc.path)
			}
			if csp := res.Header.Get("Content-Security-Policy"); !strings.Contains(csp, "default-src 'none'") {
				t.Errorf("GET %s: Content-Security-Policy = %q", tc.path, csp)
			}
		}
	}

	// The page's relative URLs resolve under /docs/ whether or not the
	// request had the slash.
	_, bare := get("/docs")
	_, slash := get("/docs/")
	if !strings.Contains(bare, `<base href="docs/">`) || strings.Contains(slash, "<base") {
		t.Errorf("/docs needs <base href=\"docs/\"> and /docs/ none:\n/docs: %.300s\n/docs/: %.300s", bare, slash)
	}
	for _, want := range []string{`src="app.js"`, `href="style.css"`} {
		if !strings.Contains(slash, want) {
			t.Errorf("the page does not load %s", want)
		}
	}
	_, js := get("/docs/app.js")
	if !strings.Contains(js, "'../openapi.json'") || strings.Contains(js, "localStorage") || strings.Contains(js, "cookie") {
		t.Error("app.js must fetch ../openapi.json and store nothing")
	}

	_, body := get("/openapi.json")
	if body != string(openAPIJSON()) {
		t.Errorf("GET /openapi.json is not the document (%d bytes, want %d)", len(body), len(openAPIJSON()))
	}

	// Every method of the document has its badge colour on the page.
	var doc struct {
		Paths map[string]map[string]json.RawMessage `json:"paths"`
	}
	if err := json.Unmarshal([]byte(body), &doc); err != nil {
		t.Fatal(err)
	}
	_, css := get("/docs/style.css")
	for path, ops := range doc.Paths {
		for method := range ops {
			if !strings.Contains(css, "."+method+" { background:") {
				t.Errorf("style.css has no badge rule .%s (used by %s %s)", method, strings.ToUpper(method), path)
			}
		}
	}
}

func TestOpenAPIAndDocsNeedTheToken(t *testing.T) {
	h := New(spec.NewDir(t.TempDir(), spec.Options{}), oaTestReconciler{}, enginetest.NewFake(), nil, Options{Token: "s3cret"}).Handler()
	for _, tc := range []struct {
		path, auth string
		code       int
	}{
		{"/openapi.json", "", 401},
		{"/openapi.json", "Bearer s3cret", 200},
		{"/docs/", "", 200},
		{"/docs/", "Bearer s3cret", 200},
		{"/health", "", 200},
	} {
		req := httptest.NewRequest(http.MethodGet, tc.path, nil)
		if tc.auth != "" {
			req.Header.Set("Authorization", tc.auth)
		}
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		if rec.Code != tc.code {
			t.Errorf("GET %s with %q: %d, want %d", tc.path, tc.auth, rec.Code, tc.code)
		}
	}
}

// TestOpenAPIIsStable: the document is built once, and building it again
// gives the same bytes (no map order, no time, leaks into it).
func TestOpenAPIIsStable(t *testing.T) {
	a := openAPIJSON()
	for range 3 {
		if b := marshalOpenAPI(openAPIDocument(Version)); !bytes.Equal(a, b) {
			t.Fatalf("a second build differs from the served document:\n%s", cmp.Diff(string(a), string(b)))
		}
	}
	if !bytes.Equal(a, openAPIJSON()) {
		t.Error("the document changed between calls")
	}
}

// oaTestGit is the least GitSource: the git routes exist.
type oaTestGit struct{}

func (oaTestGit) Status() GitStatus                          { return GitStatus{Branch: "main"} }
func (oaTestGit) Sync()                                      {}
func (oaTestGit) SyncNow(context.Context) (GitStatus, error) { return GitStatus{Branch: "main"}, nil }
func (oaTestGit) LastChange(string) (GitStatus, bool)        { return GitStatus{}, false }
