package api_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"
	"github.com/getkin/kin-openapi/routers/gorillamux"
)

// The page is HTML, which kin-openapi has no decoder for; its schema is a
// string, as for text/plain.
// So is an event stream's.
func init() {
	openapi3filter.RegisterBodyDecoder("text/html", openapi3filter.PlainBodyDecoder)
	openapi3filter.RegisterBodyDecoder("text/event-stream", openapi3filter.PlainBodyDecoder)
}

// oaChecker checks real answers against the served document with
// kin-openapi's validator.
type oaChecker struct {
	t      *testing.T
	doc    *openapi3.T
	router routers.Router
	// succeeded are the operations that answered 2xx at least once.
	succeeded map[string]bool
}

func newOAChecker(t *testing.T, e *env) *oaChecker {
	t.Helper()
	r := e.do("GET", "/openapi.json", "")
	doc, err := openapi3.NewLoader().LoadFromData([]byte(r.raw))
	if err != nil {
		t.Fatalf("/openapi.json does not load: %v", err)
	}
	if err := doc.Validate(context.Background()); err != nil {
		t.Fatalf("/openapi.json is not valid: %v", err)
	}
	router, err := gorillamux.NewRouter(doc)
	if err != nil {
		t.Fatal(err)
	}
	return &oaChecker{t: t, doc: doc, router: router, succeeded: map[string]bool{}}
}

// call makes a request on e's real server, checks the status, and checks
// the answer against operation op ("METHOD /template"), or, for op "",
// against the document's NotFound or MethodNotAllowed (path is then
// "METHOD /path"): the status must be documented for the operation, and the
// headers and body must fit it, unknown fields refused. A 2xx answer's
// request must fit the operation too: the server took it.
func (c *oaChecker) call(e *env, op, path, body string, want int, headers ...string) response {
	t := c.t
	t.Helper()
	method, _, _ := strings.Cut(op, " ")
	if op == "" {
		method, path, _ = strings.Cut(path, " ")
	}
	res := e.do(method, path, body, headers...)
	if res.code != want {
		t.Fatalf("%s %s: %d %s, want %d", method, path, res.code, res.raw, want)
	}

	req := httptest.NewRequest(method, path, strings.NewReader(body))
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	if body != "" {
		req.Header.Set("Content-Type", "application/json") // the server does not ask for it; the validator does
	}
	route, params := c.route(req, op, res.code)
	in := &openapi3filter.RequestValidationInput{Request: req, PathParams: params, Route: route,
		Options: &openapi3filter.Options{AuthenticationFunc: openapi3filter.NoopAuthenticationFunc, MultiError: true}}
	if res.code/100 == 2 {
		c.succeeded[op] = true
		if err := openapi3filter.ValidateRequest(context.Background(), in); err != nil {
			t.Errorf("%s %s: the server took a request that the document refuses: %v", method, path, err)
		}
	}

	out := &openapi3filter.ResponseValidationInput{RequestValidationInput: in, Status: res.code, Header: res.header,
		Options: &openapi3filter.Options{IncludeResponseStatus: true, MultiError: true}}
	out.SetBodyBytes([]byte(res.raw))
	if err := openapi3filter.ValidateResponse(context.Background(), out); err != nil {
		t.Errorf("%s %s: the %d answer does not fit the document: %v\n%s", method, path, res.code, err, res.raw)
	}

	// The validator checks the headers that are there; that the documented
	// ETag is there, and no undocumented one, is this test's.
	documented := false
	if r := route.Operation.Responses.Status(res.code); r != nil {
		documented = r.Value.Headers["ETag"] != nil
	}
	switch got := res.header.Get("ETag") != ""; {
	case got && !documented:
		t.Errorf("%s %s: the %d answer has an ETag that the document does not list", method, path, res.code)
	case !got && documented && res.code == 200 && !strings.Contains(path, "dry_run=true") && res.body["stale"] != true:
		t.Errorf("%s %s: the %d answer has no ETag, which the document lists", method, path, res.code)
	}
	return res
}

// route is the operation that the document's router finds for req, which
// must be op. The router's templates cannot take an image reference that
// holds a "/" as written (an encoded one is fine), so such a request is
// matched here, against op's template.
func (c *oaChecker) route(req *http.Request, op string, code int) (*routers.Route, map[string]string) {
	t := c.t
	t.Helper()
	route, params, err := c.router.FindRoute(req)
	if op == "" {
		name := map[error]string{routers.ErrPathNotFound: "NotFound", routers.ErrMethodNotAllowed: "MethodNotAllowed"}[err]
		if want := map[int]string{404: "NotFound", 405: "MethodNotAllowed"}[code]; name == "" || name != want {
			t.Fatalf("%s %s: the router found %v (%v), the server answered %d", req.Method, req.URL, route, err, code)
		}
		// No operation: the answer is the document's shared one.
		synthetic := &openapi3.Operation{Responses: openapi3.NewResponses(openapi3.WithStatus(code, c.doc.Components.Responses[name]))}
		return &routers.Route{Spec: c.doc, Path: req.URL.Path, Method: req.Method, Operation: synthetic}, nil
	}
	method, tmpl, _ := strings.Cut(op, " ")
	if err == nil {
		if got := route.Method + " " + route.Path; got != op {
			t.Fatalf("%s %s: the document's router takes it for %s, not %s", req.Method, req.URL, got, op)
		}
		return route, params
	}
	item := c.doc.Paths.Value(tmpl)
	if item == nil || item.GetOperation(method) == nil {
		t.Fatalf("%s is not in the document", op)
	}
	pattern := regexp.QuoteMeta(tmpl)
	pattern = strings.ReplaceAll(pattern, `\{image\}`, `(?P<image>.+)`)
	pattern = regexp.MustCompile(`\\\{(\w+)\\\}`).ReplaceAllString(pattern, `(?P<$1>[^/]+)`)
	m := regexp.MustCompile("^" + pattern + "$").FindStringSubmatch(req.URL.Path)
	if m == nil || !strings.Contains(tmpl, "{image}") {
		t.Fatalf("%s %s: the router finds no operation (%v), and it is no image path of %s", req.Method, req.URL, err, op)
	}
	params = map[string]string{}
	for i, name := range regexp.MustCompile("^" + pattern + "$").SubexpNames() {
		if name != "" {
			params[name] = m[i]
		}
	}
	return &routers.Route{Spec: c.doc, Path: tmpl, PathItem: item, Method: method, Operation: item.GetOperation(method)}, params
}

// TestOpenAPIMatchesResponses drives the real API (real reconciler, fake
// engine, a real HTTP server) through every operation and many of its
// errors, and checks each answer against the document with kin-openapi's
// validator: every documented operation answers 2xx at least once, and
// every answer, errors included, is one the document lists for it.
func TestOpenAPIMatchesResponses(t *testing.T) {
	git := &fakeGit{}
	open := newEnv(t, withGit(git, "hook-s3cret"))
	locked := newEnv(t, withToken("s3cret"))
	c := newOAChecker(t, open)

	specJSON := `{"image":"nginx:alpine","min_replicas":1,"max_replicas":3,"ports":{"80/tcp":0},"resources":{"cpu":"0.5","memory":"64m"}}`
	c.call(open, "GET /health", "/health", "", 200)
	c.call(locked, "GET /health", "/health", "", 200)
	c.call(locked, "GET /containers", "/containers", "", 401)
	c.call(locked, "POST /start/container", "/start/container", specJSON, 401, "Authorization", "Bearer nope")
	c.call(locked, "GET /openapi.json", "/openapi.json", "", 200, "Authorization", "Bearer s3cret")

	started := c.call(open, "POST /start/container", "/start/container", specJSON, 200)
	c.call(open, "POST /start/container", "/start/container", specJSON, 200) // kept-existing
	c.call(open, "POST /start/container", "/start/container", `{"image":"nginx:alpine"`, 422)
	c.call(open, "POST /start/container", "/start/container", `{"image":"nginx:alpine","min_replicas":4,"max_replicas":2,"resources":{}}`, 422)
	c.call(open, "POST /start/container", "/start/container", `{"image":"nginx:alpine","resources":{"status":"paused"},"extra":1}`, 422)
	c.call(open, "POST /start/container", "/start/container", specJSON, 412, "If-Match", `"not-the-revision"`)
	c.call(open, "POST /start/container", "/start/container", `{"image":"`+strings.Repeat("a", 2<<20)+`"}`, 413)
	c.call(open, "POST /start/container", "/start/container", `{"image":"nosuch:1","max_replicas":1,"resources":{}}`, 500)
	c.call(open, "POST /start/container", "/start/container", `{"image":"web:v1","resources":{"status":"stopped"}}`, 200)

	c.call(open, "PUT /images/{image}", "/images/nginx:alpine?dry_run=true", strings.Replace(specJSON, `"min_replicas":1`, `"min_replicas":0`, 1), 200)
	c.call(open, "PUT /images/{image}", "/images/nginx:alpine?dry_run=maybe", specJSON, 422)
	c.call(open, "PUT /images/{image}", "/images/other:1", specJSON, 422)
	c.call(open, "PUT /images/{image}", "/images/nginx:alpine", specJSON, 200) // unchanged
	c.call(open, "PUT /images/{image}", "/images/nginx:alpine", specJSON, 412, "If-Match", `"stale"`)
	c.call(open, "PUT /images/{image}", "/images/api:v1", `{"image":"api:v1","ports":{"8080":0},"resources":{},"autoscale":{"target_cpu_percent":50},"health":{"http_path":"/healthz"}}`, 200)
	c.call(open, "GET /status", "/status", "", 200)
	c.call(open, "GET /images", "/images", "", 200)
	img := c.call(open, "GET /images/{image}", "/images/nginx:alpine", "", 200)
	c.call(open, "GET /images/{image}", "/images/nginx%3Aalpine", "", 200)
	c.call(open, "GET /images/{image}", "/images/ghcr.io%2Fno%2Fsuch:1", "", 404)
	c.call(open, "GET /images/{image}", "/images/ghcr.io/no/such:1", "", 404)
	c.call(open, "GET /images/{image}", "/images/UPPER:1", "", 422)
	c.call(open, "POST /images/{image}/scale", "/images/nginx:alpine/scale", `{"min_replicas":2,"max_replicas":3}`, 200, "If-Match", fmt.Sprint(img.body["revision"]))
	c.call(open, "POST /images/{image}/scale", "/images/nginx:alpine/scale", `{"min_replicas":2,"max_replicas":3}`, 412, "If-Match", fmt.Sprint(img.body["revision"]))
	c.call(open, "POST /images/{image}/scale", "/images/nginx:alpine/scale", `{"min_replicas":-1}`, 422)
	c.call(open, "POST /images/{image}/scale", "/images/..%2F..%2Fetc/scale", `{"min_replicas":1,"max_replicas":1}`, 422)
	c.call(open, "POST /images/{image}/reconcile", "/images/nginx:alpine/reconcile", "", 200)
	c.call(open, "POST /images/{image}/reconcile", "/images/nosuch:2/reconcile", "", 404)
	c.call(open, "GET /images/{image}/containers", "/images/nginx:alpine/containers", "", 200)
	c.call(open, "GET /images/{image}/health", "/images/nginx:alpine/health", "", 200)

	c.call(open, "GET /containers", "/containers", "", 200)
	name := fmt.Sprint(started.body["name"])
	c.call(open, "PATCH /containers/{name_or_id}", "/containers/"+name, `{"status":"stopped"}`, 200)
	c.call(open, "PATCH /containers/{name_or_id}", "/containers/"+name, `{"status":"running"}`, 200)
	c.call(open, "PATCH /containers/{name_or_id}", "/containers/"+name, `{"status":"paused"}`, 422)
	c.call(open, "PATCH /containers/{name_or_id}", "/containers/nosuch", `{"status":"running"}`, 404)
	c.call(open, "GET /containers/{name_or_id}/logs", "/containers/"+name+"/logs?tail=5", "", 200)
	c.call(open, "GET /containers/{name_or_id}/logs", "/containers/"+name+"/logs?tail=-1", "", 422)
	c.call(open, "GET /containers/{name_or_id}/logs", "/containers/nosuch/logs", "", 404)
	c.call(open, "GET /containers/{name_or_id}/logs", "/containers/"+name+"/logs?format=sse", "", 200)
	c.call(open, "GET /containers/{name_or_id}/logs", "/containers/"+name+"/logs?tail=3", "", 200, "Accept", "text/event-stream")
	c.call(open, "GET /containers/{name_or_id}/logs", "/containers/"+name+"/logs?format=html", "", 422)
	c.call(locked, "GET /containers/{name_or_id}/logs", "/containers/"+name+"/logs?format=sse&access_token=nope", "", 401)
	c.call(open, "DELETE /containers/{name_or_id}", "/containers/"+name+"?force=maybe", "", 422)
	c.call(open, "DELETE /containers/{name_or_id}", "/containers/nosuch", "", 404)
	c.call(open, "DELETE /containers/{name_or_id}", "/containers/"+name+"?force=true", "", 200)

	c.call(open, "DELETE /images/{image}", "/images/nginx:alpine", "", 412, "If-Match", `"stale"`)
	c.call(open, "DELETE /images/{image}", "/images/nginx:alpine", "", 200)
	c.call(open, "DELETE /images/{image}", "/images/nginx:alpine", "", 404)

	push := `{"ref":"refs/heads/main"}`
	c.call(open, "POST /git/sync", "/git/sync", "", 200)
	c.call(open, "POST /hooks/git", "/hooks/git", push, 202, "X-Hub-Signature-256", "sha256="+hmacHex("hook-s3cret", push))
	c.call(open, "POST /hooks/git", "/hooks/git", `{"zen":"hi"}`, 200, "X-GitHub-Event", "ping", "X-Hub-Signature-256", "sha256="+hmacHex("hook-s3cret", `{"zen":"hi"}`))
	c.call(open, "POST /hooks/git", "/hooks/git", push, 401, "X-Hub-Signature-256", "sha256=00")
	git.err = errors.New("fetch: remote unreachable")
	c.call(open, "POST /git/sync", "/git/sync", "", 502)

	c.call(open, "GET /events", "/events?since=0&follow=false", "", 200)
	c.call(open, "GET /events", "/events?follow=false", "", 200, "Last-Event-ID", "12")
	c.call(open, "GET /events", "/events?since=-1", "", 422)
	c.call(locked, "GET /events", "/events?follow=0", "", 401)
	c.call(locked, "GET /events", "/events?follow=0&access_token=s3cret", "", 200)
	c.call(open, "GET /metrics", "/metrics", "", 200)
	c.call(open, "GET /openapi.json", "/openapi.json", "", 200)
	c.call(open, "GET /docs", "/docs", "", 200)
	c.call(open, "", "GET /nope", "", 404)
	c.call(open, "", "PATCH /images/nginx:alpine", "", 405)
	c.call(open, "", "GET /start/container", "", 405)

	for path, item := range c.doc.Paths.Map() {
		for method := range item.Operations() {
			if op := method + " " + path; !c.succeeded[op] {
				t.Errorf("%s never answered 2xx here: exercise it", op)
			}
		}
	}
}
