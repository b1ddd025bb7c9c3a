package api_test

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	rt "github.com/orchestrator/orchestrator/reconciler/engine/enginetest"
)

const (
	staleGood   = "image: web:v1\nmin_replicas: 2\nresources:\n  memory: 64m\n"
	staleBroken = "image: web:v1\nmin_replicas: 3\nresources:\n  memory: 12q\n"
	staleFixed  = "image: web:v1\nmin_replicas: 3\nresources:\n  memory: 64m\n"
	staleError  = `web.yaml:4: resources.memory: "12q" is not a size (use e.g. 256m, 1g)`
)

// pass waits for a reconcile pass that read the files as they are now.
func (e *env) pass() {
	e.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if _, err := e.rec.WaitPass(ctx); err != nil {
		e.t.Fatalf("no pass: %v", err)
	}
}

// containers are the managed containers as "id name state", sorted: a
// replaced or restarted one shows.
func (e *env) containers() []string {
	e.t.Helper()
	cs, err := e.fake.List(context.Background())
	if err != nil {
		e.t.Fatal(err)
	}
	var out []string
	for _, c := range cs {
		out = append(out, c.ID+" "+c.Name+" "+c.State)
	}
	slices.Sort(out)
	return out
}

// convergedStale is an env with web:v1 synced from staleGood, its
// containers, and the good revision.
func convergedStale(t *testing.T) (e *env, containers []string, rev string) {
	t.Helper()
	e = newEnv(t)
	e.write("web.yaml", staleGood)
	e.rec.Trigger() // what the watcher does in serve
	rt.Eventually(t, 5*time.Second, "web:v1 synced", func() (bool, string) {
		r := e.do("GET", "/images/web:v1", "")
		st, _ := r.body["status"].(map[string]any)
		return r.code == 200 && st["synced"] == true, r.raw
	})
	r := e.do("GET", "/images/web:v1", "")
	return e, e.containers(), r.body["revision"].(string)
}

// A spec whose file breaks stays listed at the last good version that is
// still in force, marked stale with the file's error; its containers are
// untouched; fixing the file clears the marks. Each step builds on the last.
func TestBrokenFileKeepsItsLastGoodSpecVisible(t *testing.T) {
	e, containers, goodRev := convergedStale(t)
	item := func(minReplicas float64, memory string, extra map[string]any) map[string]any {
		m := map[string]any{"image": "web:v1", "min_replicas": minReplicas, "max_replicas": 5.0, "env": map[string]any{},
			"ports": map[string]any{}, "resources": map[string]any{"memory": memory, "status": "running"}, "source": "web.yaml:1"}
		for k, v := range extra {
			m[k] = v
		}
		return m
	}
	lastGood := item(2, "64m", map[string]any{"revision": goodRev, "stale": true, "errors": []any{staleError}})
	steps := []struct {
		name string
		file string
		pass bool // wait for a pass over the file; without, the reconciler has not seen it yet
		// want is GET /images's item of web:v1 (its revision unchecked
		// when left out); etag whether GET /images/web:v1 has its
		// revision as ETag.
		want map[string]any
		etag bool
	}{
		{"valid", staleGood, true, item(2, "64m", map[string]any{"revision": goodRev}), true},
		{"broken: the last good version, stale", staleBroken, true, lastGood, false},
		{"broken again: unchanged", staleBroken, true, lastGood, false},
		// The files win over the reconciler's last pass: a fix shows at once.
		{"fixed, before the pass", staleFixed, false, item(3, "64m", nil), true},
		{"fixed", staleFixed, true, item(3, "64m", nil), true},
	}
	for _, step := range steps {
		e.write("web.yaml", step.file)
		if step.pass {
			e.pass()
		}
		list := e.do("GET", "/images", "")
		images, _ := list.body["images"].([]any)
		if list.code != 200 || len(images) != 1 {
			t.Fatalf("%s: GET /images = %d %s, want web:v1 alone", step.name, list.code, list.raw)
		}
		got := images[0].(map[string]any)
		one := e.do("GET", "/images/web:v1", "")
		detail := map[string]any{}
		for k, v := range one.body {
			if k != "status" {
				detail[k] = v
			}
		}
		if d := cmp.Diff(got, detail); d != "" {
			t.Errorf("%s: GET /images/web:v1 is not the listed item (-list +detail):\n%s", step.name, d)
		}
		etag := ""
		if step.etag {
			etag = `"` + got["revision"].(string) + `"`
		}
		if one.code != 200 || one.header.Get("ETag") != etag {
			t.Errorf("%s: GET /images/web:v1 = %d with ETag %q, want 200 with %q: %s", step.name, one.code, one.header.Get("ETag"), etag, one.raw)
		}
		if _, ok := step.want["revision"]; !ok {
			delete(got, "revision")
		}
		if d := cmp.Diff(step.want, got); d != "" {
			t.Errorf("%s: GET /images's web:v1 (-want +got):\n%s", step.name, d)
		}
		if step.want["stale"] == true {
			if d := cmp.Diff(containers, e.containers()); d != "" {
				t.Errorf("%s: containers (-want +got):\n%s", step.name, d)
			}
			st, _ := one.body["status"].(map[string]any)
			if st["health"] != "Degraded" || st["synced"] != false || !strings.Contains(fmt.Sprint(st["last_error"]), staleError) {
				t.Errorf("%s: status = %v, want Degraded, not synced, with the file's error", step.name, st)
			}
		}
	}
}

// A stale spec cannot be written over: its file holds no valid version, so
// a PUT, with the ETag-less answer's revision as If-Match or without one,
// is 409 broken_file as before, and changes nothing; so are scale and
// reconcile.
func TestStaleSpecIsNotWritable(t *testing.T) {
	e, _, goodRev := convergedStale(t)
	e.write("web.yaml", staleBroken)
	e.pass()
	before := e.state()
	body := `{"image":"web:v1","min_replicas":1,"resources":{"memory":"64m"}}`
	tests := []struct {
		name, method, path, body string
		headers                  []string
		code                     int
		wantCode                 string
	}{
		{"put with the last good revision", "PUT", "/images/web:v1", body, []string{"If-Match", `"` + goodRev + `"`}, 409, "broken_file"},
		{"put with any revision", "PUT", "/images/web:v1", body, []string{"If-Match", "*"}, 409, "broken_file"},
		{"put", "PUT", "/images/web:v1", body, nil, 409, "broken_file"},
		{"scale", "POST", "/images/web:v1/scale", `{"min_replicas":1,"max_replicas":2}`, nil, 409, "broken_file"},
		{"reconcile", "POST", "/images/web:v1/reconcile", "", nil, 409, "broken_file"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := e.do(tc.method, tc.path, tc.body, tc.headers...)
			if d := cmp.Diff([]any{tc.code, tc.wantCode}, []any{r.code, r.body["code"]}); d != "" {
				t.Errorf("%s %s (-want +got):\n%s\n%s", tc.method, tc.path, d, r.raw)
			}
			if d := cmp.Diff(before, e.state()); d != "" {
				t.Errorf("files or containers changed (-want +got):\n%s", d)
			}
		})
	}
}

// A broken file the reconciler never had a good version of is no spec in
// force: not listed, and its GET answers as before: 409 broken_file, or 404
// when the document does not even say its image.
func TestBrokenFileNeverGoodIsNotListed(t *testing.T) {
	tests := []struct {
		name, text string
		code       int
		wantCode   string
	}{
		{"a size that is not one", staleBroken, 409, "broken_file"},
		{"YAML that does not parse", "image: web:v1\nmin_replicas: [\n", 404, "not_found"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t)
			e.write("api.yaml", "image: api:v1\nresources: {}\n")
			e.write("web.yaml", tc.text)
			e.pass()
			list := e.do("GET", "/images", "")
			var images []string
			for _, it := range list.body["images"].([]any) {
				images = append(images, it.(map[string]any)["image"].(string))
			}
			if d := cmp.Diff([]string{"api:v1"}, images); d != "" {
				t.Errorf("GET /images (-want +got):\n%s", d)
			}
			r := e.do("GET", "/images/web:v1", "")
			if d := cmp.Diff([]any{tc.code, tc.wantCode}, []any{r.code, r.body["code"]}); d != "" {
				t.Errorf("GET /images/web:v1 (-want +got):\n%s\n%s", d, r.raw)
			}
		})
	}
}

// The stale answers fit the OpenAPI document: its fields, and no ETag.
func TestOpenAPIDescribesStaleSpecs(t *testing.T) {
	e, _, _ := convergedStale(t)
	e.write("web.yaml", staleBroken)
	e.pass()
	c := newOAChecker(t, e)
	if r := c.call(e, "GET /images", "/images", "", 200); !strings.Contains(r.raw, `"stale":true`) {
		t.Errorf("GET /images = %s, want web:v1 stale", r.raw)
	}
	if r := c.call(e, "GET /images/{image}", "/images/web:v1", "", 200); r.body["stale"] != true {
		t.Errorf("GET /images/web:v1 = %s, want it stale", r.raw)
	}
}
