package api_test

import (
	"context"
	"fmt"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/orchestrator/orchestrator/api"
	"github.com/orchestrator/orchestrator/reconciler"
	"github.com/orchestrator/orchestrator/reconciler/autoscale"
	rt "github.com/orchestrator/orchestrator/reconciler/engine/enginetest"
)

func TestStartContainerCreatesThenKeeps(t *testing.T) {
	e := newEnv(t)
	body := `{"image":"nginx:alpine","min_replicas":1,"max_replicas":3,"env":{"A":"b"},"ports":{"80/tcp":0},"resources":{"cpu":"0.5","memory":"256m","status":"running"}}`
	r := e.do("POST", "/start/container", body)
	if r.code != 200 || r.body["ok"] != true || r.body["action"] != "created" || r.body["image"] != "nginx:alpine" ||
		r.body["container_id"] == "" || r.body["name"] != "nginx-alpine-1" || r.body["status"] != "running" || r.body["ports"] == nil {
		t.Fatalf("first start = %d %s", r.code, r.raw)
	}
	if r.header.Get("ETag") == "" {
		t.Errorf("no ETag")
	}
	if got := e.read("nginx_alpine.yaml"); !strings.Contains(got, "image: nginx:alpine") || !strings.Contains(got, "max_replicas: 3") {
		t.Errorf("spec file:\n%s", got)
	}
	r = e.do("POST", "/start/container", body)
	if r.code != 200 || r.body["action"] != "kept-existing" || r.body["name"] != "nginx-alpine-1" {
		t.Errorf("second start = %d %s", r.code, r.raw)
	}
}

func TestStartContainerOfAMissingImageIs500(t *testing.T) {
	e := newEnv(t)
	r := e.do("POST", "/start/container", `{"image":"ghost:v1","resources":{"cpu":"0.5","memory":"64m"}}`)
	if r.code != 500 || !strings.Contains(r.raw, "image ghost:v1 not found locally and pull failed") {
		t.Errorf("start of a missing image = %d %s", r.code, r.raw)
	}
}

func TestHandEditIsVisibleAtOnce(t *testing.T) {
	e := newEnv(t)
	e.write("web.yaml", "image: web:v1\nmax_replicas: 2\nresources: {}\n")
	r := e.do("GET", "/images", "")
	want := map[string]any{"images": []any{map[string]any{
		"image": "web:v1", "min_replicas": 1.0, "max_replicas": 2.0, "env": map[string]any{}, "ports": map[string]any{},
		"resources": map[string]any{"status": "running"}, "source": "web.yaml:1",
	}}}
	if diff := cmp.Diff(want, r.body, cmpopts.IgnoreMapEntries(func(k string, _ any) bool { return k == "revision" })); diff != "" {
		t.Errorf("GET /images (-want +got):\n%s", diff)
	}
	e.write("web.yaml", "image: web:v1\nmax_replicas: 4\nresources: {}\n")
	if r := e.do("GET", "/images", ""); !strings.Contains(r.raw, `"max_replicas":4`) {
		t.Errorf("a second hand edit is not visible at once: %s", r.raw)
	}
}

func TestScaleEditsOnlyTheReplicaLines(t *testing.T) {
	e := newEnv(t)
	hand := `# The web tier. Owned by the platform team.
image: web:v1
resources:            # limits first, on purpose
  cpu: "0.5"
  memory: 64m
max_replicas: 4   # peak season
min_replicas: 1   # nights
env:
  LOG_LEVEL: info # verbose enough
`
	e.write("web.yaml", hand)
	r := e.do("POST", "/images/web:v1/scale", `{"min_replicas":2,"max_replicas":3}`)
	if r.code != 200 {
		t.Fatalf("scale = %d %s", r.code, r.raw)
	}
	want := strings.NewReplacer("max_replicas: 4   # peak", "max_replicas: 3   # peak", "min_replicas: 1   # nights", "min_replicas: 2   # nights").Replace(hand)
	if diff := cmp.Diff(strings.Split(want, "\n"), strings.Split(e.read("web.yaml"), "\n")); diff != "" {
		t.Errorf("file after scale (-want +got):\n%s", diff)
	}
	if d := r.body["desired"]; !cmp.Equal(d, map[string]any{"min_replicas": 2.0, "max_replicas": 3.0}) {
		t.Errorf("desired = %v", d)
	}
	if cur, _ := r.body["current"].([]any); len(cur) != 2 {
		t.Errorf("current = %v, want 2 containers", r.body["current"])
	}
	if acts, _ := r.body["actions"].([]any); len(acts) == 0 {
		t.Errorf("actions = %v, want the creates", r.body["actions"])
	}
}

func TestConcurrentScalesWithOneIfMatch(t *testing.T) {
	e := newEnv(t)
	e.write("web.yaml", "image: web:v1\nresources: {}\n")
	etag := e.do("GET", "/images/web:v1", "").header.Get("ETag")
	if etag == "" {
		t.Fatal("no ETag")
	}
	var wg sync.WaitGroup
	codes := make([]int, 2)
	for i := range codes {
		wg.Add(1)
		go func() {
			defer wg.Done()
			r := e.do("POST", "/images/web:v1/scale", `{"min_replicas":`+[]string{"2", "3"}[i]+`,"max_replicas":5}`, "If-Match", etag)
			codes[i] = r.code
		}()
	}
	wg.Wait()
	if !(codes[0] == 200 && codes[1] == 412 || codes[0] == 412 && codes[1] == 200) {
		t.Errorf("two scales with one If-Match = %v, want one 200 and one 412", codes)
	}
}

func TestImageRefsWithSlashes(t *testing.T) {
	e := newEnv(t)
	e.fake.AddImage("ghcr.io/org/app:1.2")
	e.fake.AddImage("registry.local:5000/team/app@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef")
	for _, image := range []string{"ghcr.io/org/app:1.2", "registry.local:5000/team/app@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"} {
		if r := e.do("POST", "/start/container", `{"image":"`+image+`","resources":{}}`); r.code != 200 {
			t.Fatalf("start %s = %d %s", image, r.code, r.raw)
		}
		encoded := strings.NewReplacer("/", "%2F", ":", "%3A", "@", "%40").Replace(image)
		for _, path := range []string{image, encoded} {
			for _, sub := range []string{"", "/containers", "/health"} {
				r := e.do("GET", "/images/"+path+sub, "")
				if r.code != 200 || r.body["image"] != image {
					t.Errorf("GET /images/%s%s = %d %s", path, sub, r.code, trim(r.raw))
				}
			}
			if r := e.do("POST", "/images/"+path+"/reconcile", ""); r.code != 200 || r.body["image"] != image {
				t.Errorf("POST /images/%s/reconcile = %d %s", path, r.code, trim(r.raw))
			}
		}
	}
}

func TestHeldContainer(t *testing.T) {
	e := newEnv(t)
	if r := e.do("POST", "/start/container", `{"image":"web:v1","resources":{}}`); r.code != 200 {
		t.Fatalf("start = %d %s", r.code, r.raw)
	}
	r := e.do("PATCH", "/containers/web-v1-1", `{"status":"stopped"}`)
	if r.code != 200 || r.body["ok"] != true || r.body["status"] != "exited" {
		t.Fatalf("PATCH stopped = %d %s", r.code, r.raw)
	}
	// A replacement keeps the running target; the held one stays stopped.
	rt.Eventually(t, 5*time.Second, "held, and a replacement", func() (bool, string) {
		got := containerStates(t, e)
		return cmp.Equal(got, map[string]string{"web-v1-1": "exited (held)", "web-v1-2": "running"}), fmt.Sprint(got)
	})
	// Released: started again, and the surplus is scaled down.
	if r := e.do("PATCH", "/containers/web-v1-1", `{"status":"running"}`); r.code != 200 || r.body["status"] != "running" {
		t.Fatalf("PATCH running = %d %s", r.code, r.raw)
	}
	// The released container stays; the replacement is the surplus.
	rt.Eventually(t, 5*time.Second, "the surplus removed", func() (bool, string) {
		got := containerStates(t, e)
		return cmp.Equal(got, map[string]string{"web-v1-1": "running"}), fmt.Sprint(got)
	})
}

func TestDeleteContainerIsReplaced(t *testing.T) {
	e := newEnv(t)
	if r := e.do("POST", "/start/container", `{"image":"web:v1","resources":{}}`); r.code != 200 {
		t.Fatalf("start = %d %s", r.code, r.raw)
	}
	r := e.do("DELETE", "/containers/web-v1-1", "")
	if r.code != 200 || r.body["deleted"] != true || r.body["name"] != "web-v1-1" || r.body["container_id"] == "" {
		t.Fatalf("DELETE = %d %s", r.code, r.raw)
	}
	rt.Eventually(t, 5*time.Second, "a replacement", func() (bool, string) {
		got := containerStates(t, e)
		return cmp.Equal(got, map[string]string{"web-v1-1": "running"}), fmt.Sprint(got)
	})
}

func TestDeleteImagePrunes(t *testing.T) {
	e := newEnv(t)
	e.write("keep.yaml", "image: api:v1\nresources: {}\n")
	if r := e.do("POST", "/start/container", `{"image":"web:v1","resources":{}}`); r.code != 200 {
		t.Fatalf("start = %d %s", r.code, r.raw)
	}
	r := e.do("DELETE", "/images/web:v1", "")
	if r.code != 200 || r.body["deleted"] != true {
		t.Fatalf("DELETE image = %d %s", r.code, r.raw)
	}
	rt.Eventually(t, 5*time.Second, "web pruned", func() (bool, string) {
		got := containerStates(t, e)
		for name := range got {
			if strings.HasPrefix(name, "web") {
				return false, fmt.Sprint(got)
			}
		}
		return true, ""
	})
}

func TestMetrics(t *testing.T) {
	e := newEnv(t)
	e.do("POST", "/start/container", `{"image":"web:v1","resources":{}}`)
	e.do("GET", "/images/web:v1/containers", "")
	e.do("GET", "/start/nothing", "")
	e.do("GET", "/start/container/more", "")
	// A request is counted once its handler returned, which can be a moment
	// after its client has the answer: poll.
	wants := []string{
		"orchestrator_reconcile_passes_total",
		"orchestrator_reconcile_pass_duration_seconds_bucket",
		`orchestrator_actions_total{kind="create",result="ok"} 1`,
		`orchestrator_specs{health="Healthy"}`,
		`orchestrator_http_requests_total{code="200",method="POST",route="/start/container"} 1`,
		`orchestrator_http_requests_total{code="200",method="GET",route="/images/{image}/containers"} 1`,
		`orchestrator_http_requests_total{code="404",method="GET",route="unmatched"} 2`,
		`orchestrator_spec_replicas{image="web:v1",kind="desired"} 1`,
		`orchestrator_spec_replicas{image="web:v1",kind="ready"} 1`,
		`orchestrator_spec_replicas{image="web:v1",kind="running"} 1`,
		`orchestrator_reconcile_phase_seconds_count{phase="list"}`,
		`orchestrator_reconcile_phase_seconds_count{phase="plan"}`,
	}
	rt.Eventually(t, 5*time.Second, "every metric", func() (bool, string) {
		r := e.do("GET", "/metrics", "")
		for _, want := range wants {
			if !strings.Contains(r.raw, want) {
				return false, "lacks " + want
			}
		}
		return true, ""
	})
	if r := e.do("GET", "/metrics", ""); strings.Contains(r.raw, `route="/start/*"`) || strings.Contains(r.raw, `route="/images/*"`) {
		t.Errorf("an unmatched route is labelled by its mount:\n%s", r.raw)
	}
}

// An autoscaled spec's recommendation is a gauge by image; a deleted
// spec's series go with it.
func TestMetricsOfAutoscaledSpec(t *testing.T) {
	m := api.NewMetrics()
	scrape := func() string {
		rec := httptest.NewRecorder()
		m.Handler().ServeHTTP(rec, httptest.NewRequest("GET", "/metrics", nil))
		return rec.Body.String()
	}
	m.PassDone(reconciler.PassResult{}, time.Millisecond, []reconciler.Status{
		{Image: "web:v1", Desired: 3, Ready: 2, Running: 3, Autoscale: &autoscale.Status{Recommendation: 3}},
		{Image: "api:v1", Desired: 1, Ready: 1, Running: 1},
	})
	got := scrape()
	for _, want := range []string{
		`orchestrator_autoscale_recommendation_replicas{image="web:v1"} 3`,
		`orchestrator_spec_replicas{image="web:v1",kind="desired"} 3`,
		`orchestrator_spec_replicas{image="web:v1",kind="ready"} 2`,
		`orchestrator_spec_replicas{image="api:v1",kind="running"} 1`,
	} {
		if !strings.Contains(got, want) {
			t.Errorf("metrics lack %s", want)
		}
	}
	if strings.Contains(got, `orchestrator_autoscale_recommendation_replicas{image="api:v1"}`) {
		t.Errorf("a spec that is not autoscaled has a recommendation")
	}
	m.PassDone(reconciler.PassResult{}, time.Millisecond, []reconciler.Status{{Image: "api:v1", Desired: 1, Ready: 1, Running: 1}})
	if got := scrape(); strings.Contains(got, `image="web:v1"`) {
		t.Errorf("a deleted spec's series stay")
	}
}

// containerStates maps name to state, marking held ones.
func containerStates(t *testing.T, e *env) map[string]string {
	cs, err := e.fake.List(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]string{}
	for _, c := range cs {
		s := c.State
		if c.Held {
			s += " (held)"
		}
		out[c.Name] = s
	}
	return out
}

func TestPutImageAndDryRun(t *testing.T) {
	e := newEnv(t)
	body := `{"image":"web:v1","max_replicas":2,"resources":{}}`
	r := e.do("PUT", "/images/web:v1?dry_run=true", body)
	if r.code != 200 || r.body["result"] != "created" || r.body["before"] != "" || !strings.Contains(r.body["after"].(string), "max_replicas: 2") {
		t.Fatalf("dry run = %d %s", r.code, r.raw)
	}
	if got := e.state(); strings.Contains(got, "web_v1.yaml") {
		t.Fatalf("a dry run wrote a file")
	}
	for _, want := range []string{"created", "unchanged"} {
		if r := e.do("PUT", "/images/web:v1", body); r.code != 200 || r.body["result"] != want || r.header.Get("ETag") == "" {
			t.Errorf("PUT = %d %s, want %s", r.code, r.raw, want)
		}
	}
	if r := e.do("PUT", "/images/api:v1", body); r.code != 422 || !strings.Contains(r.raw, "does not match the image of the path") {
		t.Errorf("PUT with another image = %d %s", r.code, r.raw)
	}
	// PUT does not wait for the pass it triggers: its status comes with it.
	rt.Eventually(t, 5*time.Second, "a status for web:v1", func() (bool, string) {
		r := e.do("GET", "/status", "")
		specs, _ := r.body["specs"].([]any)
		return r.code == 200 && len(specs) == 1, r.raw
	})
}

func TestStartWithAChangedSpecAnswersWithANewContainer(t *testing.T) {
	e := newEnv(t)
	if r := e.do("POST", "/start/container", `{"image":"web:v1","resources":{}}`); r.code != 200 {
		t.Fatalf("start = %d %s", r.code, r.raw)
	}
	r := e.do("POST", "/start/container", `{"image":"web:v1","env":{"A":"b"},"resources":{}}`)
	if r.code != 200 || r.body["action"] != "created" || r.body["name"] != "web-v1-2" {
		t.Errorf("start with a changed env = %d %s, want the new container, created", r.code, r.raw)
	}
}

func TestReconcileOfAFailingSpecIs500(t *testing.T) {
	e := newEnv(t)
	e.write("ghost.yaml", "image: ghost:v1\nresources: {}\n")
	e.rec.Trigger() // what the watcher does in serve
	rt.Eventually(t, 5*time.Second, "ghost:v1 failing", func() (bool, string) {
		r := e.do("GET", "/status", "")
		return strings.Contains(r.raw, "not found locally and pull failed"), r.raw
	})
	if r := e.do("POST", "/images/ghost:v1/reconcile", ""); r.code != 500 || r.body["detail"] != "reconcile-failed" || r.body["code"] != "image_unavailable" {
		t.Errorf("reconcile of a failing spec = %d %s", r.code, r.raw)
	}
}

func TestRouterDetails(t *testing.T) {
	e := newEnv(t)
	if r := e.do("POST", "/start/container", `{"image":"web:v1","resources":{}}`); r.code != 200 {
		t.Fatalf("start = %d %s", r.code, r.raw)
	}
	for _, tc := range []struct{ method, path, allow string }{
		{"DELETE", "/containers", "GET"},
		{"GET", "/start/container", "POST"},
		{"PUT", "/containers/x", "PATCH, DELETE"},
		{"POST", "/images/web:v1/health", "GET"},
	} {
		if r := e.do(tc.method, tc.path, ""); r.code != 405 || r.header.Get("Allow") != tc.allow {
			t.Errorf("%s %s = %d Allow %q, want 405 Allow %q", tc.method, tc.path, r.code, r.header.Get("Allow"), tc.allow)
		}
	}
	// Path parameters are URL-decoded; "/containers" in an image's place is no image.
	if r := e.do("PATCH", "/containers/%77eb-v1-1", `{"status":"running"}`); r.code != 200 {
		t.Errorf("PATCH of an encoded name = %d %s", r.code, r.raw)
	}
	if r := e.do("GET", "/images//containers", ""); r.code != 404 || r.body["detail"] != "Not Found" {
		t.Errorf("GET /images//containers = %d %s", r.code, r.raw)
	}
	// Any method may come in; the metrics keep a bounded label set.
	e.do("BREW", "/health", "")
	rt.Eventually(t, 5*time.Second, "method label other", func() (bool, string) {
		r := e.do("GET", "/metrics", "")
		return strings.Contains(r.raw, `method="other"`) && !strings.Contains(r.raw, "BREW"), ""
	})
}
