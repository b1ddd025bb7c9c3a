package api_test

import (
	"fmt"
	"net/http"
	"strings"
	"testing"
)

// A bad request gets the right 4xx and a clear message, and changes
// nothing: no file is written and no container changes.
func TestBadRequestsChangeNothing(t *testing.T) {
	e := newEnv(t)
	// Something to aim at: a spec with a running container, and a container
	// of the same image that is not ours.
	if r := e.do("POST", "/start/container", `{"image":"web:v1","max_replicas":2,"resources":{"cpu":"0.5","memory":"64m"}}`); r.code != 200 {
		t.Fatalf("setup: %d %s", r.code, r.raw)
	}
	other := e.fake.AddUnmanaged("not-ours", "web:v1")
	e.unmanaged = append(e.unmanaged, other)
	rev := strings.Trim(e.do("GET", "/images/web:v1", "").header.Get("ETag"), `"`)

	big := `{"image":"web:v1","resources":{},"env":{"A":"` + strings.Repeat("x", 2<<20) + `"}}`
	start := func(body string) [3]string { return [3]string{"POST", "/start/container", body} }
	res := `"resources":{"cpu":"0.5","memory":"64m"}`
	tests := []struct {
		name    string
		req     [3]string // method, path, body
		headers []string
		code    int
		want    string // in the body
	}{
		{"not JSON", start(`{"image":`), nil, 422, `"type":"json_invalid"`},
		{"empty body", start(``), nil, 422, `"loc":["body"],"msg":"Field required","type":"missing"`},
		{"a JSON list", start(`[]`), nil, 422, `model_attributes_type`},
		{"a JSON string", start(`"nginx"`), nil, 422, `model_attributes_type`},
		{"missing resources", start(`{"image":"web:v1"}`), nil, 422, `"loc":["body","resources"],"msg":"is required`},
		{"missing image", start(`{` + res + `}`), nil, 422, `"loc":["body","image"],"msg":"is required","type":"missing"`},
		{"image a number", start(`{"image":5,` + res + `}`), nil, 422, `"loc":["body","image"],"msg":"must be a string`},
		{"min_replicas a word", start(`{"image":"web:v1","min_replicas":"two",` + res + `}`), nil, 422, `"loc":["body","min_replicas"],"msg":"must be an integer, got string \"two\"","type":"int_parsing"`},
		{"negative min_replicas", start(`{"image":"web:v1","min_replicas":-1,` + res + `}`), nil, 422, `"msg":"must be >= 0, got -1","type":"greater_than_equal"`},
		{"max_replicas 0", start(`{"image":"web:v1","max_replicas":0,` + res + `}`), nil, 422, `"loc":["body","max_replicas"],"msg":"must be >= 1, got 0"`},
		{"min > max", start(`{"image":"web:v1","min_replicas":3,"max_replicas":2,` + res + `}`), nil, 422, `"msg":"3 is greater than max_replicas 2"`},
		{"resources a string", start(`{"image":"web:v1","resources":"big"}`), nil, 422, `"loc":["body","resources"],"msg":"must be a mapping`},
		{"cpu a word", start(`{"image":"web:v1","resources":{"cpu":"lots"}}`), nil, 422, `"loc":["body","resources","cpu"],"msg":"\"lots\" is not a CPU quantity`},
		{"cpu zero", start(`{"image":"web:v1","resources":{"cpu":"0"}}`), nil, 422, `must be > 0`},
		{"cpu more than the host", start(`{"image":"web:v1","resources":{"cpu":"64"}}`), nil, 422, `is more than the host's 2 CPUs`},
		{"cpu too precise", start(`{"image":"web:v1","resources":{"cpu":"0.0000000001"}}`), nil, 422, `is too precise`},
		{"cpu a number", start(`{"image":"web:v1","resources":{"cpu":0.5}}`), nil, 422, `must be a string, got number 0.5; quote it`},
		{"memory not a size", start(`{"image":"web:v1","resources":{"memory":"12q"}}`), nil, 422, `"msg":"\"12q\" is not a size (use e.g. 256m, 1g)"`},
		{"memory too small", start(`{"image":"web:v1","resources":{"memory":"1m"}}`), nil, 422, `below the engine's minimum of 6 MiB`},
		{"status unknown", start(`{"image":"web:v1","resources":{"status":"paused"}}`), nil, 422, `"loc":["body","resources","status"],"msg":"must be \"running\" or \"stopped\", got \"paused\"","type":"literal_error"`},
		{"port not a port", start(`{"image":"web:v1","ports":{"http":0},` + res + `}`), nil, 422, `"loc":["body","ports","http"]`},
		{"host port out of range", start(`{"image":"web:v1","max_replicas":1,"ports":{"80":70000},` + res + `}`), nil, 422, `host port must be 0-65535`},
		{"fixed host port, many replicas", start(`{"image":"web:v1","ports":{"80":8080},` + res + `}`), nil, 422, `two replicas cannot bind one host port`},
		{"host port a word", start(`{"image":"web:v1","max_replicas":1,"ports":{"80":"eighty"},` + res + `}`), nil, 422, `must be an integer`},
		{"env name", start(`{"image":"web:v1","env":{"1BAD":"x"},` + res + `}`), nil, 422, `"loc":["body","env","1BAD"]`},
		{"env value a number", start(`{"image":"web:v1","env":{"PORT":8080},` + res + `}`), nil, 422, `"loc":["body","env","PORT"],"msg":"must be a string, got integer 8080`},
		{"unknown field", start(`{"image":"web:v1","replicas":3,` + res + `}`), nil, 422, `"loc":["body","replicas"],"msg":"unknown field`},
		{"unknown resources field", start(`{"image":"web:v1","resources":{"cpus":"1"}}`), nil, 422, `"loc":["body","resources","cpus"]`},
		{"image with ..", start(`{"image":"../../etc/passwd",` + res + `}`), nil, 422, `"loc":["body","image"]`},
		{"image absolute path", start(`{"image":"/etc/passwd",` + res + `}`), nil, 422, `is not a valid image reference`},
		{"image uppercase", start(`{"image":"Web:v1",` + res + `}`), nil, 422, `must be lowercase`},
		{"autoscale target", start(`{"image":"web:v1","autoscale":{"target_cpu_percent":0},` + res + `}`), nil, 422, `must be 1-100`},
		{"health path", start(`{"image":"web:v1","ports":{"80":0},"health":{"http_path":"healthz"},` + res + `}`), nil, 422, `must start with \"/\"`},
		{"a 2 MiB body", start(big), nil, 413, `request body too large`},
		{"If-Match of another revision", start(`{"image":"web:v1","max_replicas":3,` + res + `}`), []string{"If-Match", `"0123"`}, 412, `revision does not match`},
		{"GET /start/container", [3]string{"GET", "/start/container", ""}, nil, 405, `"detail":"Method Not Allowed"`},
		{"POST /metrics", [3]string{"POST", "/metrics", ""}, nil, 405, `"detail":"Method Not Allowed"`},
		{"scale without max", [3]string{"POST", "/images/web:v1/scale", `{"min_replicas":1}`}, nil, 422, `"loc":["body","max_replicas"],"msg":"Field required","type":"missing"`},
		{"scale negative", [3]string{"POST", "/images/web:v1/scale", `{"min_replicas":-1,"max_replicas":2}`}, nil, 422, `"type":"greater_than_equal"`},
		{"scale min > max", [3]string{"POST", "/images/web:v1/scale", `{"min_replicas":4,"max_replicas":2}`}, nil, 422, `4 is greater than max_replicas 2`},
		{"scale not JSON", [3]string{"POST", "/images/web:v1/scale", `min=1`}, nil, 422, `json_invalid`},
		{"scale extra field", [3]string{"POST", "/images/web:v1/scale", `{"min_replicas":1,"max_replicas":2,"force":true}`}, nil, 422, `"loc":["body","force"],"msg":"Extra inputs are not permitted"`},
		{"scale a word", [3]string{"POST", "/images/web:v1/scale", `{"min_replicas":"one","max_replicas":2}`}, nil, 422, `"type":"int_parsing"`},
		{"scale If-Match of another revision", [3]string{"POST", "/images/web:v1/scale", `{"min_replicas":1,"max_replicas":2}`}, []string{"If-Match", `"0123"`}, 412, `revision does not match`},
		{"scale an image with ..", [3]string{"POST", "/images/..%2F..%2Fetc%2Fx/scale", `{"min_replicas":1,"max_replicas":2}`}, nil, 422, `"loc":["path","image"]`},
		{"scale a fixed port spec up", [3]string{"POST", "/images/web:v1/scale", `{"min_replicas":1,"max_replicas":0}`}, nil, 422, `"loc":["body","max_replicas"]`},
		{"PATCH an unknown container", [3]string{"PATCH", "/containers/nope", `{"status":"stopped"}`}, nil, 404, `"detail":"Container 'nope' not found"`},
		{"PATCH a container not ours", [3]string{"PATCH", "/containers/not-ours", `{"status":"stopped"}`}, nil, 404, `Container 'not-ours' not found`},
		{"PATCH by the id of a container not ours", [3]string{"PATCH", "/containers/" + other, `{"status":"stopped"}`}, nil, 404, `not found`},
		{"PATCH status unknown", [3]string{"PATCH", "/containers/web-v1-1", `{"status":"paused"}`}, nil, 422, `"loc":["body","status"],"msg":"Input should be 'running' or 'stopped'","type":"literal_error"`},
		{"PATCH without a body", [3]string{"PATCH", "/containers/web-v1-1", ``}, nil, 422, `Field required`},
		{"PATCH extra field", [3]string{"PATCH", "/containers/web-v1-1", `{"status":"stopped","now":true}`}, nil, 422, `extra_forbidden`},
		{"DELETE an unknown container", [3]string{"DELETE", "/containers/nope", ``}, nil, 404, `Container 'nope' not found`},
		{"DELETE a container not ours", [3]string{"DELETE", "/containers/not-ours?force=true", ``}, nil, 404, `Container 'not-ours' not found`},
		{"DELETE force not a boolean", [3]string{"DELETE", "/containers/web-v1-1?force=maybe", ``}, nil, 422, `"loc":["query","force"]`},
		{"an unknown path", [3]string{"GET", "/nope", ""}, nil, 404, `{"detail":"Not Found","code":"no_route"}`},
		{"GET an unknown image", [3]string{"GET", "/images/nope:v1", ""}, nil, 404, `no spec for image 'nope:v1'`},
		{"DELETE an unknown image", [3]string{"DELETE", "/images/nope:v1", ""}, nil, 404, `no spec for image 'nope:v1'`},
		{"reconcile an unknown image", [3]string{"POST", "/images/nope:v1/reconcile", ""}, nil, 404, `no spec for image 'nope:v1'`},
		{"PUT /images", [3]string{"PUT", "/images", ""}, nil, 405, `Method Not Allowed`},
		{"GET an image's scale", [3]string{"GET", "/images/web:v1/scale", ""}, nil, 405, `Method Not Allowed`},
		{"DELETE image with a stale If-Match", [3]string{"DELETE", "/images/web:v1", ""}, []string{"If-Match", `"` + rev + `x"`}, 412, `revision does not match`},
	}
	if len(tests) < 40 {
		t.Fatalf("only %d bad requests", len(tests))
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			before := e.state()
			r := e.do(tc.req[0], tc.req[1], tc.req[2], tc.headers...)
			if r.code != tc.code || !strings.Contains(r.raw, tc.want) {
				t.Errorf("%s %s = %d %s\nwant %d containing %s", tc.req[0], tc.req[1], r.code, trim(r.raw), tc.code, tc.want)
			}
			if after := e.state(); after != before {
				t.Errorf("the request changed files or containers:\nbefore:\n%s\nafter:\n%s", before, after)
			}
		})
	}
}

func TestTokenIsRequired(t *testing.T) {
	e := newEnv(t, withToken("s3cret"))
	for _, tc := range []struct {
		name, path, auth string
		code             int
	}{
		{"health needs no token", "/health", "", 200},
		{"no token", "/images", "", 401},
		{"wrong token", "/images", "Bearer nope", 401},
		{"not bearer", "/images", "Basic czNjcmV0", 401},
		{"right token", "/images", "Bearer s3cret", 200},
		{"the scheme in any case", "/images", "bearer s3cret", 200},
		{"the document needs it too", "/openapi.json", "", 401},
		{"the docs page does not (a browser cannot send it)", "/docs/", "", 200},
		{"metrics need it too", "/metrics", "", 401},
	} {
		t.Run(tc.name, func(t *testing.T) {
			before := e.state()
			r := e.do("GET", tc.path, "", "Authorization", tc.auth)
			if r.code != tc.code {
				t.Errorf("GET %s with %q = %d %s, want %d", tc.path, tc.auth, r.code, trim(r.raw), tc.code)
			}
			if r.code == 401 && r.body["detail"] != "Not authenticated" {
				t.Errorf("401 body = %s", r.raw)
			}
			if e.state() != before {
				t.Errorf("changed state")
			}
		})
	}
	if r := e.do("POST", "/start/container", `{"image":"web:v1","resources":{}}`, "Authorization", "Bearer nope"); r.code != http.StatusUnauthorized {
		t.Errorf("a write with a wrong token = %d", r.code)
	}
	if got := e.state(); strings.Contains(got, "web") {
		t.Errorf("a write with a wrong token wrote: %s", got)
	}
}

func trim(s string) string {
	if len(s) > 300 {
		return s[:300] + fmt.Sprintf("... (%d bytes)", len(s))
	}
	return s
}

// TestEveryImageRouteRefusesABadImage: a name no spec can have is a 422 at
// ["path","image"] on every route that takes {image}, reads as writes, and
// touches nothing.
func TestEveryImageRouteRefusesABadImage(t *testing.T) {
	e := newEnv(t)
	if r := e.do("POST", "/start/container", `{"image":"web:v1","max_replicas":2,"resources":{}}`); r.code != 200 {
		t.Fatalf("setup: %d %s", r.code, r.raw)
	}
	routes := []struct{ method, suffix, body string }{
		{"GET", "", ""},
		{"PUT", "", `{"image":"web:v1","resources":{}}`},
		{"DELETE", "", ""},
		{"POST", "/scale", `{"min_replicas":1,"max_replicas":2}`},
		{"POST", "/reconcile", ""},
		{"GET", "/containers", ""},
		{"GET", "/health", ""},
	}
	images := []string{"..%2F..%2Fetc%2Fpasswd", "..%2F..%2Fetc", "%2Fetc%2Fpasswd", "Web:V1", "web:v1%20x", "web::v1"}
	for _, rt := range routes {
		for _, image := range images {
			t.Run(rt.method+" "+image+rt.suffix, func(t *testing.T) {
				before := e.state()
				r := e.do(rt.method, "/images/"+image+rt.suffix, rt.body)
				detail, _ := r.body["detail"].([]any)
				first, _ := func() (map[string]any, bool) {
					if len(detail) == 0 {
						return nil, false
					}
					m, ok := detail[0].(map[string]any)
					return m, ok
				}()
				if r.code != 422 || len(detail) != 1 || fmt.Sprint(first["loc"]) != "[path image]" || first["type"] != "value_error" || first["msg"] == "" {
					t.Errorf("= %d %s, want 422 at [path image]", r.code, trim(r.raw))
				}
				if after := e.state(); after != before {
					t.Errorf("the request changed files or containers:\nbefore:\n%s\nafter:\n%s", before, after)
				}
			})
		}
	}
}
