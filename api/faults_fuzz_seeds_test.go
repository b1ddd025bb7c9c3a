package api_test

import (
	"slices"
	"strings"
	"testing"
)

// fuzzBodies are the bodies of each operation in the API's tests (and the
// README), by "METHOD pattern"; an operation not listed gets none.
var fuzzBodies = map[string][]string{
	"POST /start/container": {
		`{"image":"nginx:alpine","min_replicas":1,"max_replicas":3,"env":{"A":"b"},"ports":{"80/tcp":0},"resources":{"cpu":"0.5","memory":"256m","status":"running"}}`,
		`{"image":"web:v1","resources":{}}`,
		`{"image":"web:v1","max_replicas":2,"resources":{"cpu":"0.5","memory":"64m"}}`,
		`{"image":"web:v1","env":{"A":"b"},"resources":{}}`,
		`{"image":"web:v1","resources":{"status":"stopped"}}`,
		`{"image":"ghost:v1","resources":{"cpu":"0.5","memory":"64m"}}`,
		`{"image": "orchestrator-demo:api2", "min_replicas": 1, "max_replicas": 3, "env": {}, "ports": {"8080/tcp": 0}, "resources": {"cpu": "500m", "memory": "256m", "status": "running"}}`,
		`{"image":"api:v1","name":"api","max_replicas":1,"ports":{"8080":8080},"volumes":["data:/data","./conf:/etc/conf:ro"],"tmpfs":["/run:size=64m"],` +
			`"networks":["shop"],"depends_on":["web"],"healthcheck":{"test":["CMD","true"],"interval":"5s"},"command":"serve --port 8080",` +
			`"labels":{"team":"a"},"restart":"on-failure:3","stop_grace_period":"30s","cap_drop":["ALL"],"resources":{"cpu":"0.25","memory":"64m"}}`,
	},
	"PUT /images/{image}": {
		`{"image":"web:v1","max_replicas":3,"env":{"A":"b"},"resources":{}}`,
		`{"image":"web:v1","min_replicas":0,"max_replicas":1,"resources":{"status":"stopped"}}`,
		`{"image":"web:v1","labels":{"orchestrator.slot":"9"},"volumes":["/etc:/etc"],"resources":{}}`,
		`{"image":"web:v1","autoscale":{"target_cpu_percent":60},"health":{"http_path":"/healthz","port":"80"},"ports":{"80":0},"resources":{"cpu":"0.5"}}`,
	},
	"POST /images/{image}/scale": {
		`{"min_replicas":2,"max_replicas":3}`,
		`{"min_replicas":"2","max_replicas":3.0}`,
		`{"min_replicas":0,"max_replicas":1}`,
		`{"min_replicas":100000,"max_replicas":100000}`, // planned 100000 names in one pass: minutes
		`{"min_replicas":2147483647,"max_replicas":2147483647}`,
	},
	"PATCH /containers/{name_or_id}": {`{"status":"stopped"}`, `{"status":"running"}`},
	"POST /hooks/git":                {`{"ref":"refs/heads/main"}`, `{"ref":"refs/heads/other"}`, `{}`},
}

// fuzzBadBodies go to every operation that reads a body.
var fuzzBadBodies = []string{
	`{"image":`, ``, `[]`, `"nginx"`, `null`, `{}`, strings.Repeat("[", 10000),
	`{"image":"../../etc/passwd","resources":{}}`,
	`{"image":"/etc/passwd","resources":{}}`,
	`{"image":"web:v1","resources":{"cpu":"64"}}`,
	`{"image":"web:v1","env":{"A":"` + "\xff\xfe" + `"},"resources":{}}`,
	`{"image":"web:v1","env":{"A":"a\u0000b"},"resources":{}}`,
	`{"image":"web:v1","min_replicas":1e400,"resources":{}}`,
	`{"min_replicas":-1,"max_replicas":2}`,
	`{"min_replicas":1,"max_replicas":2,"force":true}`,
	`{"min_replicas":99999999999,"max_replicas":99999999999}`,
	`{"status":"paused"}`,
	"image: web:v1\nresources: {}\n",
}

// fuzzQueries are the query strings of the operations that read one.
var fuzzQueries = map[string][]string{
	"PUT /images/{image}":               {"dry_run=true", "dry_run=maybe"},
	"DELETE /containers/{name_or_id}":   {"force=true", "force=2"},
	"GET /containers/{name_or_id}/logs": {"tail=2", "tail=all&follow=true", "tail=-1", "follow=yes&tail=99999999999999999999"},
	"GET /images/{image}/health":        {"x=%zz"},
	"DELETE /images/{image}":            {"dry_run=true"},
	"POST /images/{image}/scale":        {"wait=false"},
}

// fuzzHeaders are If-Match and Authorization pairs the seeds try on the
// writes: "$REV" is the baseline revision of web:v1, "$TOKEN" the token.
var fuzzHeaders = [][2]string{
	{`"$REV"`, "Bearer $TOKEN"},
	{`W/"$REV"`, "bearer  $TOKEN "},
	{"*", "Bearer $TOKEN"},
	{`"0123"`, "Bearer $TOKEN"},
	{"", ""},
	{"", "Bearer wrong"},
	{"", "Basic Zm9vOmJhcg=="},
}

// fuzzParams fill a pattern's parameters; each value is one seed path.
var fuzzParams = map[string][]string{
	"{image}":      {"web:v1", "ghcr.io/org/app:1.2", "ghcr.io%2Forg%2Fapp:1.2", "nope:v1", "cache:v1"},
	"{name_or_id}": {"web-v1-1", "fake0000", "nope"},
	"{file}":       {"app.js", "index.html", "..%2Fdocs.go"},
	"*":            {"web:v1", "web:v1/scale", ""},
}

// seeds are the seed corpus: every operation of the router with every
// value of its parameters, its bodies, queries and headers; bad bodies on
// the writes; every path mutation; and every method.
func (fe *fuzzEnv) seeds(tb testing.TB) []fuzzInput {
	tb.Helper()
	seed := func(method, path string, mut uint8, query, ifMatch, auth, body string) fuzzInput {
		return fuzzInput{method: uint8(slices.Index(fuzzMethods, method)), path: path, mut: mut, query: query,
			contentType: "application/json", ifMatch: ifMatch, auth: auth, body: []byte(body)}
	}
	const auth = "Bearer $TOKEN"
	var out []fuzzInput
	routes := fe.routes(tb)
	for _, r := range routes {
		op := r.method + " " + r.pattern
		paths := fillParams(r.pattern)
		bodies := fuzzBodies[op]
		reads := len(bodies) > 0 || r.method == "POST" || r.method == "PUT" || r.method == "PATCH"
		for i, p := range paths {
			out = append(out, seed(r.method, p, 0, "", "", auth, ""))
			for _, b := range bodies {
				mut := uint8(0)
				if r.pattern == "/hooks/git" {
					mut = fuzzSign
				}
				out = append(out, seed(r.method, p, mut, "", "", auth, b))
			}
			for _, q := range fuzzQueries[op] {
				out = append(out, seed(r.method, p, 0, q, "", auth, firstOr(bodies, "")))
			}
			if i > 0 || !reads {
				continue
			}
			for _, b := range fuzzBadBodies {
				out = append(out, seed(r.method, p, 0, "", "", auth, b))
			}
			for _, h := range fuzzHeaders {
				out = append(out, seed(r.method, p, 0, "", h[0], h[1], firstOr(bodies, "")))
			}
		}
	}
	for m := range fuzzPathMutations {
		for _, p := range []string{"/images/web:v1", "/images/ghcr.io/org/app:1.2/scale", "/containers/web-v1-1/logs", "/docs/app.js"} {
			method := "GET"
			if strings.HasSuffix(p, "/scale") {
				method = "POST"
			}
			out = append(out, seed(method, p, uint8(m), "", "", auth, firstOr(fuzzBodies["POST /images/{image}/scale"], "")))
		}
	}
	for _, m := range fuzzMethods {
		out = append(out, seed(m, "/images/web:v1", 0, "", "", auth, ""))
	}
	last := seed("GET", "/containers/web-v1-1/logs", 0, "follow=true", "", auth, "")
	last.id = "42"
	return append(out, last)
}

// fillParams is pattern with each value of its parameter (patterns have at
// most one).
func fillParams(pattern string) []string {
	for param, values := range fuzzParams {
		if !strings.Contains(pattern, param) {
			continue
		}
		var out []string
		for _, v := range values {
			out = append(out, strings.Replace(pattern, param, v, 1))
		}
		return out
	}
	return []string{pattern}
}

func firstOr(xs []string, def string) string {
	if len(xs) > 0 {
		return xs[0]
	}
	return def
}
