package api_test

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// The runtime fields ride on the original's routes: POST /start/container
// and PUT /images/{image} take them, the file holds them, GET /images shows
// them; a bad one is a 422 naming the field, and nothing is written.
func TestRuntimeFieldsThroughTheAPI(t *testing.T) {
	e := newEnv(t)
	body := `{"image":"api:v1","name":"api","command":["-name","api"],"volumes":["data:/data"],"networks":["shop"],
	  "healthcheck":{"test":["CMD","/demo","-check","http://127.0.0.1:8080/healthz"],"interval":"2s"},
	  "restart":"always","resources":{}}`
	if r := e.do("POST", "/start/container", body); r.code != 200 {
		t.Fatalf("start = %d %s", r.code, r.raw)
	}
	file := e.read("api_v1.yaml")
	for _, want := range []string{"name: api", "volumes:\n  - data:/data", "networks:\n  - shop", "restart: always", "healthcheck:"} {
		if !strings.Contains(file, want) {
			t.Errorf("spec file lacks %q:\n%s", want, file)
		}
	}
	r := e.do("GET", "/images/api:v1", "")
	got := map[string]any{"name": r.body["name"], "volumes": r.body["volumes"], "networks": r.body["networks"], "restart": r.body["restart"]}
	want := map[string]any{"name": "api", "volumes": []any{"data:/data"}, "networks": []any{"shop"}, "restart": "always"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("GET /images/api:v1 (-want +got):\n%s", diff)
	}

	before := e.state()
	r = e.do("PUT", "/images/web:v1", `{"image":"web:v1","labels":{"orchestrator.slot":"9"},"volumes":["/etc:/etc"],"resources":{}}`)
	if r.code != 422 || !strings.Contains(r.raw, `"loc":["body","labels","orchestrator.slot"]`) || !strings.Contains(r.raw, "outside the allowed roots") {
		t.Errorf("PUT with a reserved label and a host path = %d %s", r.code, r.raw)
	}
	if after := e.state(); after != before {
		t.Errorf("a bad request changed the files or containers")
	}
}
