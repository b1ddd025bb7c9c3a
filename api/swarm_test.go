package api_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/orchestrator/orchestrator/reconciler/engine"
	rt "github.com/orchestrator/orchestrator/reconciler/engine/enginetest"
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

// On a swarm, the containers are tasks: GET /containers and
// /images/{image}/health give each one's node and slot beside the
// original's keys; a task on another node has null stats and says why.
func TestSwarmTasksOnTheWire(t *testing.T) {
	e := newEnv(t, withSampler())
	if r := e.do("POST", "/start/container", `{"image":"web:v1","min_replicas":2,"resources":{}}`); r.code != 200 {
		t.Fatalf("start = %d %s", r.code, r.raw)
	}
	ids := map[string]string{}
	rt.Eventually(t, 5*time.Second, "two containers", func() (bool, string) {
		cs, err := e.fake.List(context.Background())
		for _, c := range cs {
			ids[c.Name] = c.ID
		}
		return err == nil && len(ids) == 2, fmt.Sprint(ids, err)
	})
	e.fake.PlaceOnNodeByHand(ids["web-v1-1"], "manager-1", 1, false)
	e.fake.PlaceOnNodeByHand(ids["web-v1-2"], "worker-2", 2, true)
	for i := range 2 { // CPU takes two samples
		e.fake.SetStats(ids["web-v1-1"], engine.Stats{CPUTotal: uint64(i+1) * 1e9, SystemCPU: uint64(i+1) * 4e9, OnlineCPUs: 2, MemUsage: 1 << 20, MemLimit: 4 << 20})
		if err := e.sampler.Round(context.Background()); err != nil {
			t.Fatal(err)
		}
	}

	type task struct {
		Name, Node, Unavailable string
		Slot                    any
		CPUNull, MemNull        bool
	}
	var got []task
	for _, h := range e.do("GET", "/images/web:v1/health", "").body["health"].([]any) {
		m := h.(map[string]any)
		un, _ := m["stats_unavailable"].(string)
		got = append(got, task{Name: m["name"].(string), Node: m["node"].(string), Slot: m["slot"], Unavailable: un,
			CPUNull: m["cpu_percent"] == nil, MemNull: m["mem_percent"] == nil})
	}
	want := []task{
		{Name: "web-v1-1", Node: "manager-1", Slot: float64(1)},
		{Name: "web-v1-2", Node: "worker-2", Slot: float64(2), CPUNull: true, MemNull: true,
			Unavailable: "the task runs on node worker-2; stats are sampled on serve's own node only"},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("GET /images/web:v1/health (-want +got):\n%s", diff)
	}
	var nodes []string
	for _, c := range e.do("GET", "/containers", "").body["containers"].([]any) {
		m := c.(map[string]any)
		nodes = append(nodes, fmt.Sprintf("%s@%v#%v", m["name"], m["node"], m["slot"]))
	}
	if diff := cmp.Diff([]string{"web-v1-1@manager-1#1", "web-v1-2@worker-2#2"}, nodes); diff != "" {
		t.Errorf("GET /containers node and slot (-want +got):\n%s", diff)
	}
}
