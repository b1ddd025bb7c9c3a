package main

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/orchestrator/orchestrator/reconciler"
	rt "github.com/orchestrator/orchestrator/reconciler/engine/enginetest"
)

// call is one HTTP request to a test server, decoded.
func call(t *testing.T, s *server, method, path, body string) (int, map[string]any) {
	t.Helper()
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req, err := http.NewRequest(method, "http://"+s.addr+path, rd)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	return callReq(t, req)
}

// callReq sends req and decodes the JSON answer.
func callReq(t *testing.T, req *http.Request) (int, map[string]any) {
	t.Helper()
	method, path := req.Method, req.URL.Path
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	var out map[string]any
	if err := json.Unmarshal(raw, &out); err != nil {
		t.Fatalf("%s %s: %d, not JSON: %s", method, path, resp.StatusCode, raw)
	}
	return resp.StatusCode, out
}

// has fails unless m has every key.
func has(t *testing.T, what string, m map[string]any, keys ...string) {
	t.Helper()
	for _, k := range keys {
		if _, ok := m[k]; !ok {
			t.Errorf("%s: no %q in %v", what, k, m)
		}
	}
}

func waitHealth(t *testing.T, s *server) {
	t.Helper()
	rt.Eventually(t, 15*time.Second, "GET /health", func() (bool, string) {
		resp, err := http.Get("http://" + s.addr + "/health")
		if err != nil {
			return false, err.Error()
		}
		resp.Body.Close()
		return resp.StatusCode == 200, resp.Status
	})
}

// TestOriginalExamples runs every curl example of the original, in order,
// against serve on an empty state directory and the real engine, with the
// test image in place of nginx:alpine.
func TestOriginalExamples(t *testing.T) {
	image := rt.BuildTestImage(t)
	inst := newInstance(t)
	dir := t.TempDir()
	s := startServer(t, dir, inst)
	waitHealth(t, s)
	img := url.PathEscape(image)

	// curl -X POST /start/container -d '{"image": ..., "min_replicas": 1, "max_replicas": 3, ...}'
	code, r := call(t, s, "POST", "/start/container", `{
	  "image": "`+image+`", "min_replicas": 1, "max_replicas": 3, "env": {}, "ports": {"8080/tcp": 0},
	  "resources": {"cpu": "500m", "memory": "256m", "status": "running"}}`)
	if code != 200 || r["ok"] != true || r["action"] != "created" || r["status"] != "running" {
		t.Fatalf("POST /start/container = %d %v", code, r)
	}
	has(t, "start", r, "ok", "action", "image", "container_id", "name", "status", "ports")
	if b, err := os.ReadFile(filepath.Join(dir, "orchestrator-test_latest.yaml")); err != nil || !strings.Contains(string(b), "image: "+image) {
		t.Errorf("the spec file is not in the directory: %v\n%s", err, b)
	}

	// curl -X POST /images/nginx:alpine/scale -d '{"min_replicas": 2, "max_replicas": 5}'
	code, r = call(t, s, "POST", "/images/"+img+"/scale", `{"min_replicas": 2, "max_replicas": 5}`)
	if code != 200 || r["ok"] != true {
		t.Fatalf("scale = %d %v", code, r)
	}
	has(t, "scale", r, "ok", "image", "desired", "actions", "current")
	if cur, _ := r["current"].([]any); len(cur) != 2 {
		t.Errorf("scale: current = %v, want 2 containers", r["current"])
	}

	// curl -X POST /images/nginx:alpine/reconcile
	code, r = call(t, s, "POST", "/images/"+img+"/reconcile", "")
	if code != 200 || r["ok"] != true {
		t.Fatalf("reconcile = %d %v", code, r)
	}
	has(t, "reconcile", r, "ok", "image", "desired", "actions", "current")

	// GET /images/{image}/containers and GET /containers
	code, r = call(t, s, "GET", "/images/"+img+"/containers", "")
	cs, _ := r["containers"].([]any)
	if code != 200 || r["image"] != image || len(cs) != 2 {
		t.Fatalf("containers of the image = %d %v", code, r)
	}
	first := cs[0].(map[string]any)
	has(t, "summary", first, "container_id", "name", "status", "ports")
	if code, r = call(t, s, "GET", "/containers", ""); code != 200 || len(r["containers"].([]any)) != 2 {
		t.Errorf("GET /containers = %d %v", code, r)
	}

	// GET /images/{image}/health: filled in by the sampler in the background.
	rt.Eventually(t, 20*time.Second, "health with cpu and memory", func() (bool, string) {
		code, r = call(t, s, "GET", "/images/"+img+"/health", "")
		hs, _ := r["health"].([]any)
		if code != 200 || len(hs) != 2 {
			return false, fmt.Sprint(code, r)
		}
		for _, h := range hs {
			m := h.(map[string]any)
			if m["cpu_percent"] == nil || m["mem_percent"] == nil || m["fs_free_bytes"] == nil || m["server_alive"] != true {
				return false, fmt.Sprint(m)
			}
		}
		return true, ""
	})
	has(t, "health", r["health"].([]any)[0].(map[string]any), "container_id", "name", "status", "ports", "server_alive", "cpu_percent", "mem_percent", "fs_free_bytes")

	// curl -X PATCH /containers/nginx1 -d '{"status": "stopped"}'
	name := first["name"].(string)
	code, r = call(t, s, "PATCH", "/containers/"+name, `{"status": "stopped"}`)
	if code != 200 || r["ok"] != true || r["status"] != "exited" {
		t.Errorf("PATCH stopped = %d %v", code, r)
	}
	has(t, "patch", r, "ok", "container_id", "name", "status", "ports")

	// curl -X DELETE /containers/nginx1, and with ?force=true
	code, r = call(t, s, "DELETE", "/containers/"+name, "")
	if code != 200 || r["deleted"] != true || r["name"] != name {
		t.Errorf("DELETE = %d %v", code, r)
	}
	has(t, "delete", r, "deleted", "container_id", "name")
	other := cs[1].(map[string]any)["name"].(string)
	if code, r = call(t, s, "DELETE", "/containers/"+other+"?force=true", ""); code != 200 || r["deleted"] != true {
		t.Errorf("DELETE force = %d %v", code, r)
	}

	// GET /images: the desired state, from the file.
	code, r = call(t, s, "GET", "/images", "")
	images, _ := r["images"].([]any)
	if code != 200 || len(images) != 1 {
		t.Fatalf("GET /images = %d %v", code, r)
	}
	has(t, "images", images[0].(map[string]any), "image", "min_replicas", "max_replicas", "env", "ports", "resources")

	// And the reconciler heals what the deletes took: 2 running again.
	waitFor(t, inst, image, 30*time.Second, "2 running after the deletes", exactly(2))
}

// A start with status stopped answers at once with a container that exists
// and does not run, and a missing image fails as fast with status stopped as
// with status running: once the engine has failed the pull.
func TestStartStoppedAndMissingImage(t *testing.T) {
	image := rt.BuildTestImage(t)
	inst := newInstance(t)
	s := startServer(t, t.TempDir(), inst)
	waitHealth(t, s)
	body := func(image, status string) string {
		return `{"image": "` + image + `", "min_replicas": 1, "max_replicas": 3, "env": {}, "ports": {"8080/tcp": 0},
		  "resources": {"cpu": "500m", "memory": "256m", "status": "` + status + `"}}`
	}

	began := time.Now()
	code, r := call(t, s, "POST", "/start/container", body(image, "stopped"))
	took := time.Since(began)
	if code != 200 || r["ok"] != true || r["action"] != "created" || r["status"] != "created" || r["name"] != reconciler.NamePrefix(inst, image)+"-1" {
		t.Fatalf("start stopped = %d %v", code, r)
	}
	if took > 10*time.Second {
		t.Errorf("start stopped took %s, want under 10 s", took)
	}
	t.Logf("start with status stopped answered in %s", took.Round(time.Millisecond))
	cs := ofImage(containers(t, inst), image)
	if len(cs) != 1 || cs[0].State != "created" || cs[0].ID != r["container_id"] {
		t.Errorf("engine after start stopped: %s, want one created container %v", summary(cs), r["container_id"])
	}
	code, r = call(t, s, "POST", "/start/container", body(image, "stopped"))
	if code != 200 || r["action"] != "kept-existing" || r["status"] != "created" {
		t.Errorf("start stopped again = %d %v", code, r)
	}

	// The engine's own failure time for a missing image: a pull of it.
	missing := "orchestrator-test-missing:" + inst
	began = time.Now()
	if out, err := exec.Command("docker", "pull", missing).CombinedOutput(); err == nil {
		t.Fatalf("docker pull %s succeeded: %s", missing, out)
	}
	engineFails := time.Since(began)
	for _, status := range []string{"stopped", "running"} {
		began := time.Now()
		code, r := call(t, s, "POST", "/start/container", body(missing, status))
		took := time.Since(began)
		want := "image " + missing + " not found locally and pull failed: "
		if detail, _ := r["detail"].(string); code != 500 || !strings.HasPrefix(detail, want) {
			t.Errorf("start of a missing image, status %s = %d %v, want 500 %q...", status, code, r, want)
		}
		// The call pulls once itself: the engine's failure time, plus the
		// passes around it, and never a wait for a state.
		if took > engineFails+2*time.Second {
			t.Errorf("start of a missing image, status %s, took %s; the engine fails a pull in %s", status, took, engineFails)
		}
		t.Logf("missing image, status %s: 500 in %s (docker pull fails in %s)", status, took.Round(time.Millisecond), engineFails.Round(time.Millisecond))
		if cs := ofImage(containers(t, inst), missing); len(cs) != 0 {
			t.Errorf("containers of the missing image: %s", summary(cs))
		}
	}
}
