package api

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"mime"
	"net/http"
	"net/http/httptest"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/go-chi/chi/v5"
	"github.com/google/go-cmp/cmp"

	"github.com/orchestrator/orchestrator/reconciler"
	"github.com/orchestrator/orchestrator/reconciler/engine/enginetest"
	"github.com/orchestrator/orchestrator/spec"
)

// oaTestDoc is the served document, decoded generically: the tests read
// it the way a client does, not through the Go types that build it.
func oaTestDoc(t *testing.T) map[string]any {
	t.Helper()
	var doc map[string]any
	if err := json.Unmarshal(openAPIJSON(), &doc); err != nil {
		t.Fatalf("/openapi.json is not JSON: %v", err)
	}
	return doc
}

func oaObj(v any) map[string]any { m, _ := v.(map[string]any); return m }

// oaPointer resolves a local JSON pointer ("#/components/schemas/X").
func oaPointer(doc map[string]any, ref string) (any, bool) {
	if !strings.HasPrefix(ref, "#/") {
		return nil, false
	}
	var cur any = doc
	for _, tok := range strings.Split(ref[2:], "/") {
		tok = strings.NewReplacer("~1", "/", "~0", "~").Replace(tok)
		m, ok := cur.(map[string]any)
		if !ok {
			return nil, false
		}
		if cur, ok = m[tok]; !ok {
			return nil, false
		}
	}
	return cur, true
}

// oaDeref follows $refs to the object they name.
func oaDeref(doc map[string]any, v any) map[string]any {
	m := oaObj(v)
	for i := 0; m != nil && m["$ref"] != nil && i < 20; i++ {
		t, _ := oaPointer(doc, m["$ref"].(string))
		m = oaObj(t)
	}
	return m
}

var oaMethods = []string{"get", "put", "post", "delete", "options", "head", "patch", "trace"}

// oaOperations lists the document's operations as "METHOD /path".
func oaOperations(doc map[string]any) map[string]map[string]any {
	out := map[string]map[string]any{}
	for path, item := range oaObj(doc["paths"]) {
		for _, m := range oaMethods {
			if op := oaObj(oaObj(item)[m]); op != nil {
				out[strings.ToUpper(m)+" "+path] = op
			}
		}
	}
	return out
}

func TestOpenAPIDocumentParses(t *testing.T) {
	doc := oaTestDoc(t)
	if got := doc["openapi"]; got != "3.0.3" {
		t.Errorf("openapi = %v, want 3.0.3", got)
	}
	info := oaObj(doc["info"])
	if diff := cmp.Diff(map[string]any{"title": "Orchestrator", "version": Version}, map[string]any{"title": info["title"], "version": info["version"]}); diff != "" {
		t.Errorf("info (-want +got):\n%s", diff)
	}
	for _, key := range []string{"paths", "components"} {
		if len(oaObj(doc[key])) == 0 {
			t.Errorf("%s is missing or empty", key)
		}
	}
	for _, key := range []string{"schemas", "responses", "parameters", "headers", "securitySchemes"} {
		if len(oaObj(oaObj(doc["components"])[key])) == 0 {
			t.Errorf("components.%s is missing or empty", key)
		}
	}
	if strings.Contains(string(openAPIJSON()), "http://") || strings.Contains(string(openAPIJSON()), "https://") {
		t.Error("the document names an external URL")
	}
}

// TestOpenAPIDocumentIsValid checks what can be checked without a
// validator library: references, operations, parameters, ids, required
// properties, and that every example fits its schema.
func TestOpenAPIDocumentIsValid(t *testing.T) {
	doc := oaTestDoc(t)

	// Every $ref resolves, and points where its place says it must.
	var walk func(v any, at string)
	walk = func(v any, at string) {
		switch x := v.(type) {
		case map[string]any:
			if ref, ok := x["$ref"].(string); ok {
				if _, ok := oaPointer(doc, ref); !ok {
					t.Errorf("%s: $ref %q does not resolve", at, ref)
				}
			}
			for k, e := range x {
				walk(e, at+"/"+k)
			}
		case []any:
			for i, e := range x {
				walk(e, at+"/"+strconv.Itoa(i))
			}
		}
	}
	walk(doc, "#")

	schemes := oaObj(oaObj(doc["components"])["securitySchemes"])
	checkSecurity := func(at string, v any) {
		for _, req := range v.([]any) {
			for name := range oaObj(req) {
				if schemes[name] == nil {
					t.Errorf("%s: security scheme %q is not defined", at, name)
				}
			}
		}
	}
	checkSecurity("security", doc["security"])

	ids := map[string]string{}
	param := regexp.MustCompile(`\{([^}]+)\}`)
	for key, op := range oaOperations(doc) {
		path := strings.SplitN(key, " ", 2)[1]
		id, _ := op["operationId"].(string)
		if id == "" {
			t.Errorf("%s: no operationId", key)
		} else if other, dup := ids[id]; dup {
			t.Errorf("%s: operationId %q is also %s's", key, id, other)
		}
		ids[id] = key
		if s, ok := op["summary"].(string); !ok || s == "" {
			t.Errorf("%s: no summary", key)
		}
		if op["security"] != nil {
			checkSecurity(key, op["security"])
		}

		rs := oaObj(op["responses"])
		if len(rs) == 0 {
			t.Errorf("%s: no responses", key)
		}
		for code, r := range rs {
			if n, err := strconv.Atoi(code); (err != nil || n < 100 || n > 599) && code != "default" {
				t.Errorf("%s: response key %q is not a status code", key, code)
			}
			if d, _ := oaDeref(doc, r)["description"].(string); d == "" {
				t.Errorf("%s %s: response without a description", key, code)
			}
		}
		if _, ok := rs["200"]; !ok {
			t.Errorf("%s: no 200 response", key)
		}
		_, secured := rs["401"]
		if public := op["security"] != nil && len(op["security"].([]any)) == 0; public == secured {
			t.Errorf("%s: 401 documented %v but public %v", key, secured, public)
		}

		inTemplate := map[string]bool{}
		for _, m := range param.FindAllStringSubmatch(path, -1) {
			inTemplate[m[1]] = true
		}
		declared := map[string]bool{}
		params, _ := op["parameters"].([]any)
		for _, p := range params {
			p := oaDeref(doc, p)
			if p["in"] == "path" {
				if p["required"] != true {
					t.Errorf("%s: path parameter %v is not required", key, p["name"])
				}
				declared[p["name"].(string)] = true
			}
			if p["schema"] == nil {
				t.Errorf("%s: parameter %v has no schema", key, p["name"])
			}
		}
		if diff := cmp.Diff(inTemplate, declared); diff != "" {
			t.Errorf("%s: path parameters (-want template +got declared):\n%s", key, diff)
		}
		if op["requestBody"] != nil {
			if rb := oaDeref(doc, op["requestBody"]); len(oaObj(rb["content"])) == 0 {
				t.Errorf("%s: request body without content", key)
			}
		}
	}

	// Object schemas list only properties they have as required.
	var schemas func(v any, at string)
	schemas = func(v any, at string) {
		switch x := v.(type) {
		case map[string]any:
			if req, ok := x["required"].([]any); ok && x["in"] == nil { // not a parameter's "required: true"
				props := oaObj(x["properties"])
				for _, r := range req {
					if _, ok := props[r.(string)]; !ok {
						t.Errorf("%s: required %q is not a property", at, r)
					}
				}
			}
			for k, e := range x {
				schemas(e, at+"/"+k)
			}
		case []any:
			for i, e := range x {
				schemas(e, at+"/"+strconv.Itoa(i))
			}
		}
	}
	schemas(oaObj(doc["components"])["schemas"], "#/components/schemas")

	// Every example fits its schema.
	var examples func(v any, at string)
	examples = func(v any, at string) {
		switch x := v.(type) {
		case map[string]any:
			if ex, ok := x["example"]; ok {
				sch := x["schema"]
				if sch == nil && (x["type"] != nil || x["properties"] != nil) {
					sch = x // a schema's own example
				}
				if sch != nil {
					for _, e := range oaValidate(doc, sch, ex, "example") {
						t.Errorf("%s: %s", at, e)
					}
				}
			}
			for k, e := range x {
				if k != "example" {
					examples(e, at+"/"+k)
				}
			}
		case []any:
			for i, e := range x {
				examples(e, at+"/"+strconv.Itoa(i))
			}
		}
	}
	examples(doc, "#")
}

// oaValidate checks v against a schema: the subset of OpenAPI 3.0 schema
// keywords the document uses. It returns what does not fit.
func oaValidate(doc map[string]any, schema any, v any, at string) []string {
	s := oaDeref(doc, schema)
	if s == nil {
		return []string{at + ": schema does not resolve"}
	}
	if v == nil {
		if s["nullable"] == true || s["type"] == nil && s["anyOf"] == nil && s["oneOf"] == nil {
			return nil
		}
		return []string{at + ": null, but not nullable"}
	}
	if any, ok := s["anyOf"].([]any); ok {
		for _, alt := range any {
			if len(oaValidate(doc, alt, v, at)) == 0 {
				return nil
			}
		}
		return []string{fmt.Sprintf("%s: %v fits none of anyOf", at, v)}
	}
	if one, ok := s["oneOf"].([]any); ok {
		fits := 0
		for _, alt := range one {
			if len(oaValidate(doc, alt, v, at)) == 0 {
				fits++
			}
		}
		if fits != 1 {
			return []string{fmt.Sprintf("%s: %v fits %d of oneOf, want exactly 1", at, v, fits)}
		}
		return nil
	}
	var errs []string
	bad := func(format string, args ...any) { errs = append(errs, at+": "+fmt.Sprintf(format, args...)) }
	if enum, ok := s["enum"].([]any); ok && !slices.ContainsFunc(enum, func(e any) bool { return cmp.Equal(e, v) }) {
		bad("%#v is not one of %v", v, enum)
	}
	num := func() (float64, bool) { f, ok := v.(float64); return f, ok }
	switch s["type"] {
	case "object":
		m, ok := v.(map[string]any)
		if !ok {
			bad("%T, want an object", v)
			break
		}
		required, _ := s["required"].([]any)
		for _, r := range required {
			if _, ok := m[r.(string)]; !ok {
				bad("required %q is missing", r)
			}
		}
		props := oaObj(s["properties"])
		for k, e := range m {
			if p, ok := props[k]; ok {
				errs = append(errs, oaValidate(doc, p, e, at+"."+k)...)
				continue
			}
			switch ap := s["additionalProperties"].(type) {
			case bool:
				if !ap {
					bad("unknown property %q", k)
				}
			case map[string]any:
				errs = append(errs, oaValidate(doc, ap, e, at+"."+k)...)
			}
		}
	case "array":
		a, ok := v.([]any)
		if !ok {
			bad("%T, want an array", v)
			break
		}
		for i, e := range a {
			errs = append(errs, oaValidate(doc, s["items"], e, fmt.Sprintf("%s[%d]", at, i))...)
		}
	case "string":
		str, ok := v.(string)
		if !ok {
			bad("%T, want a string", v)
			break
		}
		if n, ok := s["minLength"].(float64); ok && float64(len(str)) < n {
			bad("%q is shorter than %v", str, n)
		}
		if p, ok := s["pattern"].(string); ok && !regexp.MustCompile(p).MatchString(str) {
			bad("%q does not match %s", str, p)
		}
		if s["format"] == "date-time" {
			if _, err := time.Parse(time.RFC3339Nano, str); err != nil {
				bad("%q is not a date-time", str)
			}
		}
	case "integer", "number":
		f, ok := num()
		if !ok || s["type"] == "integer" && f != math.Trunc(f) {
			bad("%#v, want %s", v, s["type"])
			break
		}
		if lo, ok := s["minimum"].(float64); ok && f < lo {
			bad("%v < minimum %v", f, lo)
		}
		if hi, ok := s["maximum"].(float64); ok && f > hi {
			bad("%v > maximum %v", f, hi)
		}
	case "boolean":
		if _, ok := v.(bool); !ok {
			bad("%T, want a boolean", v)
		}
	}
	return errs
}

// oaTestReconciler is the least Reconciler: the completeness test only
// walks the router.
type oaTestReconciler struct{}

func (oaTestReconciler) WaitPass(ctx context.Context) (reconciler.PassResult, error) {
	<-ctx.Done()
	return reconciler.PassResult{}, ctx.Err()
}
func (oaTestReconciler) Trigger()                                         {}
func (oaTestReconciler) Seq() uint64                                      { return 0 }
func (oaTestReconciler) PassesSince(uint64) []reconciler.PassResult       { return nil }
func (oaTestReconciler) Statuses() []reconciler.Status                    { return nil }
func (oaTestReconciler) Errors() []string                                 { return nil }
func (oaTestReconciler) Announce(context.Context, string, string, string) {}

// oaRouterOperations walks the real router and lists what it serves as
// "METHOD /path", in the document's terms: the "/images/*" catch-all is
// expanded with the imageActions table, chi's mount patterns ("/images/",
// "/containers/") lose the trailing slash, and the page's routes below
// /docs are the one operation GET /docs.
func oaRouterOperations(t *testing.T) []string {
	t.Helper()
	s := New(spec.NewDir(t.TempDir(), spec.Options{}), oaTestReconciler{}, enginetest.NewFake(), nil, Options{Metrics: NewMetrics()})
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

// TestOpenAPICoversRouter is acceptance point 5: the document lists every
// route the router serves, and nothing else.
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

// TestOpenAPIMatchesResponses drives the real API (real reconciler, fake
// engine) through every operation and many of its errors, and checks each
// answer against the document: the status code is documented for the
// operation, with the content type, and the body fits the schema.
func TestOpenAPIMatchesResponses(t *testing.T) {
	doc := oaTestDoc(t)
	ops := oaOperations(doc)
	fake := enginetest.NewFake("nginx:alpine")
	dir := spec.NewDir(t.TempDir(), spec.Options{HostCPUs: 2})
	rec := reconciler.New(dir, fake, reconciler.Options{Resync: time.Hour, AllowEmpty: true})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- rec.Run(ctx, nil) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("reconciler: %v", err)
		}
	})
	open := New(dir, rec, fake, nil, Options{WaitTimeout: 5 * time.Second, StopTimeout: time.Second, Metrics: NewMetrics()}).Handler()
	locked := New(dir, rec, fake, nil, Options{WaitTimeout: 5 * time.Second, Token: "s3cret"}).Handler()

	// call makes a request, checks the answer against operation op
	// ("METHOD /template", or "" for a path no operation has), and returns
	// the decoded body.
	call := func(h http.Handler, op, path, body string, want int, headers ...string) map[string]any {
		t.Helper()
		method, _, _ := strings.Cut(op, " ")
		if op == "" {
			method, path, _ = strings.Cut(path, " ")
		}
		req := httptest.NewRequest(method, path, strings.NewReader(body))
		for i := 0; i+1 < len(headers); i += 2 {
			req.Header.Set(headers[i], headers[i+1])
		}
		w := httptest.NewRecorder()
		h.ServeHTTP(w, req)
		res := w.Result()
		raw, _ := io.ReadAll(res.Body)
		if res.StatusCode != want {
			t.Fatalf("%s %s: %d %s, want %d", method, path, res.StatusCode, raw, want)
		}
		code := strconv.Itoa(res.StatusCode)
		var r map[string]any
		switch {
		case op == "" && code == "404":
			r = oaDeref(doc, map[string]any{"$ref": "#/components/responses/NotFound"})
		case op == "" && code == "405":
			r = oaDeref(doc, map[string]any{"$ref": "#/components/responses/MethodNotAllowed"})
		case ops[op] == nil:
			t.Fatalf("%s is not in the document", op)
		default:
			r = oaDeref(doc, oaObj(ops[op]["responses"])[code])
			if r == nil {
				t.Fatalf("%s %s answered %s, which the document does not list for %s: %s", method, path, code, op, raw)
			}
		}
		mt, _, _ := mime.ParseMediaType(res.Header.Get("Content-Type"))
		media := oaObj(oaObj(r["content"])[mt])
		if media == nil {
			t.Fatalf("%s %s: %s has content type %q, not in the document", method, path, code, mt)
		}
		for h := range oaObj(r["headers"]) {
			if h == "ETag" && res.Header.Get(h) == "" && code == "200" && !strings.Contains(path, "dry_run=true") {
				t.Errorf("%s %s: %s documents an ETag but has none", method, path, code)
			}
		}
		if res.Header.Get("ETag") != "" && oaObj(r["headers"])["ETag"] == nil {
			t.Errorf("%s %s: %s has an ETag that the document does not list", method, path, code)
		}
		if mt != "application/json" {
			return nil
		}
		var v any
		if err := json.Unmarshal(raw, &v); err != nil {
			t.Fatalf("%s %s: %v: %s", method, path, err, raw)
		}
		for _, e := range oaValidate(doc, media["schema"], v, "body") {
			t.Errorf("%s %s (%s): %s\n%s", method, path, code, e, raw)
		}
		m, _ := v.(map[string]any)
		return m
	}

	specJSON := `{"image":"nginx:alpine","min_replicas":1,"max_replicas":3,"ports":{"80/tcp":0},"resources":{"cpu":"0.5","memory":"64m"}}`
	call(open, "GET /health", "/health", "", 200)
	call(locked, "GET /health", "/health", "", 200)
	call(locked, "GET /containers", "/containers", "", 401)
	call(locked, "POST /start/container", "/start/container", specJSON, 401, "Authorization", "Bearer nope")

	started := call(open, "POST /start/container", "/start/container", specJSON, 200)
	call(open, "POST /start/container", "/start/container", specJSON, 200) // kept-existing
	call(open, "POST /start/container", "/start/container", `{"image":"nginx:alpine"`, 422)
	call(open, "POST /start/container", "/start/container", `{"image":"nginx:alpine","min_replicas":4,"max_replicas":2,"resources":{}}`, 422)
	call(open, "POST /start/container", "/start/container", `{"image":"nginx:alpine","resources":{"status":"paused"},"extra":1}`, 422)
	call(open, "POST /start/container", "/start/container", specJSON, 412, "If-Match", `"not-the-revision"`)
	call(open, "POST /start/container", "/start/container", `{"image":"`+strings.Repeat("a", 2<<20)+`"}`, 413)
	call(open, "POST /start/container", "/start/container", `{"image":"nosuch:1","max_replicas":1,"resources":{}}`, 500)

	call(open, "PUT /images/{image}", "/images/nginx:alpine?dry_run=true", strings.Replace(specJSON, `"min_replicas":1`, `"min_replicas":0`, 1), 200)
	call(open, "PUT /images/{image}", "/images/nginx:alpine?dry_run=maybe", specJSON, 422)
	call(open, "PUT /images/{image}", "/images/other:1", specJSON, 422)
	call(open, "PUT /images/{image}", "/images/nginx:alpine", specJSON, 200) // unchanged
	call(open, "PUT /images/{image}", "/images/nginx:alpine", specJSON, 412, "If-Match", `"stale"`)
	call(open, "GET /status", "/status", "", 200)
	call(open, "GET /images", "/images", "", 200)
	img := call(open, "GET /images/{image}", "/images/nginx:alpine", "", 200)
	call(open, "GET /images/{image}", "/images/nginx%3Aalpine", "", 200)
	call(open, "GET /images/{image}", "/images/ghcr.io%2Fno%2Fsuch:1", "", 404)
	call(open, "POST /images/{image}/scale", "/images/nginx:alpine/scale", `{"min_replicas":2,"max_replicas":3}`, 200, "If-Match", fmt.Sprint(img["revision"]))
	call(open, "POST /images/{image}/scale", "/images/nginx:alpine/scale", `{"min_replicas":2,"max_replicas":3}`, 412, "If-Match", fmt.Sprint(img["revision"]))
	call(open, "POST /images/{image}/scale", "/images/nginx:alpine/scale", `{"min_replicas":-1}`, 422)
	call(open, "POST /images/{image}/scale", "/images/..%2F..%2Fetc/scale", `{"min_replicas":1,"max_replicas":1}`, 422)
	call(open, "POST /images/{image}/reconcile", "/images/nginx:alpine/reconcile", "", 200)
	call(open, "POST /images/{image}/reconcile", "/images/nosuch:2/reconcile", "", 404)
	call(open, "GET /images/{image}/containers", "/images/nginx:alpine/containers", "", 200)
	call(open, "GET /images/{image}/health", "/images/nginx:alpine/health", "", 200)

	call(open, "GET /containers", "/containers", "", 200)
	name := fmt.Sprint(started["name"])
	call(open, "PATCH /containers/{name_or_id}", "/containers/"+name, `{"status":"stopped"}`, 200)
	call(open, "PATCH /containers/{name_or_id}", "/containers/"+name, `{"status":"running"}`, 200)
	call(open, "PATCH /containers/{name_or_id}", "/containers/"+name, `{"status":"paused"}`, 422)
	call(open, "PATCH /containers/{name_or_id}", "/containers/nosuch", `{"status":"running"}`, 404)
	call(open, "DELETE /containers/{name_or_id}", "/containers/"+name+"?force=maybe", "", 422)
	call(open, "DELETE /containers/{name_or_id}", "/containers/nosuch", "", 404)
	call(open, "DELETE /containers/{name_or_id}", "/containers/"+name+"?force=true", "", 200)

	call(open, "DELETE /images/{image}", "/images/nginx:alpine", "", 412, "If-Match", `"stale"`)
	call(open, "DELETE /images/{image}", "/images/nginx:alpine", "", 200)
	call(open, "DELETE /images/{image}", "/images/nginx:alpine", "", 404)

	call(open, "GET /metrics", "/metrics", "", 200)
	call(open, "GET /openapi.json", "/openapi.json", "", 200)
	call(open, "GET /docs", "/docs", "", 200)
	call(open, "", "GET /nope", "", 404)
	call(open, "", "PATCH /images/nginx:alpine", "", 405)
	call(open, "", "GET /start/container", "", 405)
}

// The document is built once and is the same bytes every time.
func TestOpenAPIIsStable(t *testing.T) {
	a := openAPIJSON()
	b, err := json.Marshal(openAPIDocument(Version))
	if err != nil {
		t.Fatal(err)
	}
	var x, y any
	if err := json.Unmarshal(a, &x); err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, &y); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(y, x); diff != "" {
		t.Errorf("served document (-want built +got served):\n%s", diff)
	}
	if !bytes.Equal(a, openAPIJSON()) {
		t.Error("the document changed between calls")
	}
}
