package api_test

import (
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/orchestrator/orchestrator/reconciler/discovery"
	"github.com/orchestrator/orchestrator/reconciler/discovery/discoverytest"
	rt "github.com/orchestrator/orchestrator/reconciler/engine/enginetest"
)

func TestDiscoveryWebhook(t *testing.T) {
	rc := discoverytest.New(t)
	e := newEnv(t)
	r := e.do("POST", "/start/container", `{"image":"web:v1","env":{"DISCOVERY_CALLBACK":"`+rc.URL+`/hook"},"ports":{"8080/tcp":0},"resources":{}}`)
	if r.code != 200 {
		t.Fatalf("start = %d %s", r.code, r.raw)
	}
	id, _ := r.body["container_id"].(string)
	rc.Wait(t, 1)
	if r := e.do("PATCH", "/containers/web-v1-1", `{"status":"stopped"}`); r.code != 200 {
		t.Fatalf("PATCH stopped = %d %s", r.code, r.raw)
	}
	rc.Wait(t, 2)
	if r := e.do("PATCH", "/containers/web-v1-1", `{"status":"running"}`); r.code != 200 {
		t.Fatalf("PATCH running = %d %s", r.code, r.raw)
	}
	// The hold created a replacement, and the release removed the surplus;
	// that replacement's create is a delivery too. Only web-v1-1's count here.
	rt.Eventually(t, 5*time.Second, "three deliveries for web-v1-1", func() (bool, string) {
		n := 0
		for _, d := range rc.Bodies() {
			if d.Name == "web-v1-1" {
				n++
			}
		}
		return n >= 3, ""
	})
	var mine []discovery.Body
	for _, d := range rc.Bodies() {
		if d.Name == "web-v1-1" {
			mine = append(mine, d)
		}
	}
	want := []discovery.Body{
		{Image: "web:v1", ContainerID: id, Name: "web-v1-1", Status: "running", Event: "create"},
		{Image: "web:v1", ContainerID: id, Name: "web-v1-1", Status: "stopped", Event: "stop"},
		{Image: "web:v1", ContainerID: id, Name: "web-v1-1", Status: "running", Event: "start"},
	}
	if diff := cmp.Diff(want, mine, cmpopts.IgnoreFields(discovery.Body{}, "Host", "Ports")); diff != "" {
		t.Errorf("deliveries (-want +got):\n%s", diff)
	}
	for _, d := range mine {
		if d.Host == "" {
			t.Errorf("%s delivery has no host", d.Event)
		}
		if d.Event != "stop" && len(d.Ports["8080/tcp"]) == 0 {
			t.Errorf("%s delivery has no published port: %v", d.Event, d.Ports)
		}
	}
	if bad := rc.Bad(); len(bad) > 0 {
		t.Errorf("malformed deliveries: %v", bad)
	}
}

// The create of a stopped spec's container is announced as stopped: it is
// created and not started.
func TestDiscoveryWebhookOfAStoppedSpec(t *testing.T) {
	rc := discoverytest.New(t)
	e := newEnv(t)
	r := e.do("POST", "/start/container", `{"image":"web:v1","env":{"DISCOVERY_CALLBACK":"`+rc.URL+`/hook"},"resources":{"status":"stopped"}}`)
	if r.code != 200 || r.body["status"] != "created" {
		t.Fatalf("start stopped = %d %s", r.code, r.raw)
	}
	got := rc.Wait(t, 1)
	want := []discovery.Body{{Image: "web:v1", ContainerID: r.body["container_id"].(string), Name: "web-v1-1", Status: "stopped", Event: "create"}}
	if diff := cmp.Diff(want, got, cmpopts.IgnoreFields(discovery.Body{}, "Host", "Ports")); diff != "" {
		t.Errorf("deliveries (-want +got):\n%s", diff)
	}
}

// A receiver that fails or hangs never breaks a pass.
func TestDiscoveryWebhookFailureIsNotFatal(t *testing.T) {
	e := newEnv(t)
	r := e.do("POST", "/start/container", `{"image":"web:v1","env":{"DISCOVERY_CALLBACK":"http://127.0.0.1:1/nothing-listens"},"resources":{}}`)
	if r.code != 200 || r.body["action"] != "created" {
		t.Fatalf("start with a dead callback = %d %s", r.code, r.raw)
	}
}
