package api_test

import (
	"strings"
	"testing"

	"github.com/orchestrator/orchestrator/reconciler/engine"
)

// On an engine that cannot stop one container by itself (a swarm task),
// a PATCH that stops it answers 409 unsupported_on_engine, and says to
// scale the image instead.
func TestPatchUnsupportedOnEngine(t *testing.T) {
	e := newEnv(t)
	if r := e.do("POST", "/start/container", `{"image":"web:v1","resources":{}}`); r.code != 200 {
		t.Fatalf("start = %d %s", r.code, r.raw)
	}
	e.fake.FailNext("update", engine.KindErrorf(engine.ErrUnsupported,
		"hold web-v1.1: a swarm task cannot be stopped by itself (Swarm replaces it): scale the image instead"))
	r := e.do("PATCH", "/containers/web-v1-1", `{"status":"stopped"}`)
	if r.code != 409 || r.body["code"] != "unsupported_on_engine" || !strings.Contains(r.raw, "scale the image instead") {
		t.Errorf("PATCH stopped on a swarm task = %d %s, want 409 unsupported_on_engine saying to scale the image", r.code, r.raw)
	}
}
