package api_test

import (
	"encoding/json"
	"fmt"
	"testing"
	"time"
)

// TestStartAnswersEveryValidBodyInTime posts every combination of the
// original's body fields and checks that each answers in the state its
// spec asks for, well within the wait timeout: the wait of the start call
// ends only on a state the spec can reach (a stopped spec once waited the
// full minute for a running container it never asks for).
func TestStartAnswersEveryValidBodyInTime(t *testing.T) {
	type body struct {
		Image       string            `json:"image"`
		MinReplicas *int              `json:"min_replicas,omitempty"`
		MaxReplicas *int              `json:"max_replicas,omitempty"`
		Env         map[string]string `json:"env,omitempty"`
		Ports       map[string]int    `json:"ports,omitempty"`
		Resources   map[string]string `json:"resources"`
	}
	ints := func(n int) *int { return &n }
	e := newEnv(t) // WaitTimeout 5 s
	const limit = 2 * time.Second
	n := 0
	for _, status := range []string{"", "running", "stopped"} {
		for _, replicas := range [][2]*int{{nil, nil}, {ints(0), ints(1)}, {ints(1), ints(1)}, {ints(2), ints(3)}} {
			for _, ports := range []map[string]int{nil, {"80/tcp": 0}, {"8080": 9090}} {
				for _, limits := range []map[string]string{{}, {"cpu": "0.5", "memory": "64m"}} {
					if ports["8080"] != 0 && (replicas[1] == nil || *replicas[1] > 1) {
						continue // a fixed host port needs max_replicas 1: not a valid body
					}
					for _, image := range []string{"web:v1", "ghost:v1"} {
						n++
						res := map[string]string{}
						for k, v := range limits {
							res[k] = v
						}
						if status != "" {
							res["status"] = status
						}
						// A new image per case: each starts from no spec and no container.
						img := fmt.Sprintf("%s-%d", image, n)
						if image == "web:v1" {
							e.fake.AddImage(img)
						}
						b, _ := json.Marshal(body{Image: img, MinReplicas: replicas[0], MaxReplicas: replicas[1],
							Env: map[string]string{"N": fmt.Sprint(n)}, Ports: ports, Resources: res})
						began := time.Now()
						r := e.do("POST", "/start/container", string(b))
						took := time.Since(began)
						name := string(b)
						if took > limit {
							t.Errorf("%s: answered after %s, want under %s", name, took, limit)
						}
						wantState := "running"
						if status == "stopped" {
							wantState = "created"
						}
						switch {
						case image == "ghost:v1":
							if r.code != 500 || r.body["detail"] != "image "+img+" not found locally and pull failed: no registry" {
								t.Errorf("%s: = %d %s, want 500 with the pull failure", name, r.code, r.raw)
							}
						case r.code != 200 || r.body["ok"] != true || r.body["action"] != "created" || r.body["status"] != wantState:
							t.Errorf("%s: = %d %s, want 200, created, status %s", name, r.code, r.raw, wantState)
						}
					}
				}
			}
		}
	}
}

// TestStartOfAStoppedSpec: a stopped spec's container exists and does not
// run, whether the call creates it, finds it, or stops a running one.
func TestStartOfAStoppedSpec(t *testing.T) {
	e := newEnv(t)
	stopped := `{"image":"web:v1","min_replicas":1,"max_replicas":2,"env":{},"ports":{},"resources":{"cpu":"0.5","memory":"64m","status":"stopped"}}`
	running := `{"image":"web:v1","min_replicas":1,"max_replicas":2,"env":{},"ports":{},"resources":{"cpu":"0.5","memory":"64m","status":"running"}}`
	r := e.do("POST", "/start/container", stopped)
	if r.code != 200 || r.body["action"] != "created" || r.body["status"] != "created" {
		t.Fatalf("start stopped = %d %s", r.code, r.raw)
	}
	id := r.body["container_id"]
	r = e.do("POST", "/start/container", stopped)
	if r.code != 200 || r.body["action"] != "kept-existing" || r.body["container_id"] != id || r.body["status"] != "created" {
		t.Errorf("start stopped again = %d %s", r.code, r.raw)
	}
	r = e.do("POST", "/start/container", running)
	if r.code != 200 || r.body["action"] != "kept-existing" || r.body["container_id"] != id || r.body["status"] != "running" {
		t.Errorf("start running = %d %s, want the same container started", r.code, r.raw)
	}
	r = e.do("POST", "/start/container", stopped)
	if r.code != 200 || r.body["action"] != "kept-existing" || r.body["container_id"] != id || r.body["status"] != "exited" {
		t.Errorf("start stopped after running = %d %s, want the same container, exited", r.code, r.raw)
	}
}
