package swarm

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/docker/docker/api/types/swarm"
	"github.com/google/go-cmp/cmp"

	"github.com/orchestrator/orchestrator/reconciler/engine"
	rt "github.com/orchestrator/orchestrator/reconciler/engine/enginetest"
)

func TestTaskChanges(t *testing.T) {
	t0 := time.Date(2026, 12, 3, 12, 0, 0, 0, time.UTC)
	task := func(container string, state swarm.TaskState, live bool, sec int) remoteTask {
		return remoteTask{container: container, image: "web:1", state: state, live: live, at: t0.Add(time.Duration(sec) * time.Second)}
	}
	ev := func(container, action string, sec int) engine.Event {
		return engine.Event{ContainerID: container, Image: "web:1", Action: action, Time: t0.Add(time.Duration(sec) * time.Second)}
	}
	now := t0.Add(time.Minute)
	tests := []struct {
		name      string
		last, now map[string]remoteTask
		want      []engine.Event
	}{
		{"nothing changed",
			map[string]remoteTask{"t1": task("c1", swarm.TaskStateRunning, true, 1)},
			map[string]remoteTask{"t1": task("c1", swarm.TaskStateRunning, true, 1)},
			nil},
		{"a crash and its replacement, oldest first",
			map[string]remoteTask{"t1": task("c1", swarm.TaskStateRunning, true, 1)},
			map[string]remoteTask{
				"t1": task("c1", swarm.TaskStateFailed, false, 5),
				"t2": task("t2", swarm.TaskStateStarting, true, 6),
			},
			[]engine.Event{ev("c1", "task_failed", 5), ev("t2", "task_starting", 6)}},
		{"a live task gone with its service",
			map[string]remoteTask{"t1": task("c1", swarm.TaskStateRunning, true, 1)},
			map[string]remoteTask{},
			[]engine.Event{{ContainerID: "c1", Image: "web:1", Action: "task_removed", Time: now}}},
		{"a waiting task placed on this node says nothing: its container sends events",
			map[string]remoteTask{"t1": task("t1", swarm.TaskStatePending, true, 1)},
			map[string]remoteTask{"t1": {container: "c1", image: "web:1", state: swarm.TaskStateRunning, live: true, local: true, at: t0.Add(2 * time.Second)}},
			nil},
		{"a task on a node that went down: Swarm wants it gone, it still reports running",
			map[string]remoteTask{"t1": task("c1", swarm.TaskStateRunning, true, 1)},
			map[string]remoteTask{"t1": task("c1", swarm.TaskStateRunning, false, 1)},
			[]engine.Event{ev("c1", "task_removing", 1)}},
		{"history pruned says nothing",
			map[string]remoteTask{"t0": task("c0", swarm.TaskStateShutdown, false, 1)},
			map[string]remoteTask{},
			nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if diff := cmp.Diff(tt.want, taskChanges(tt.last, tt.now, now)); diff != "" {
				t.Errorf("taskChanges (-want +got):\n%s", diff)
			}
		})
	}
}

// A task on another node, for real: this test's adapter takes this node
// for another one (the machine has a single node), so that every task is
// remote. Its crash comes as events from the poll, its logs come through
// Swarm's task logs, and removing it is ErrUnsupported naming the node.
func TestSwarmRemoteTasks(t *testing.T) {
	e, id := NewForTest(t)
	image := rt.BuildTestImage(t)
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel) // first: the watch below ends before the client closes
	node := e.nodeName(ctx, e.self)
	e.self = "another-node"

	cfg := engine.ServiceConfig{Replicas: 1, Config: engine.Config{
		Name: id + "-web", Image: image, Env: map[string]string{"PORT": "8080"}, StopTimeout: time.Second,
		Labels: map[string]string{engine.LabelManagedBy: engine.ManagedBy, engine.LabelImage: image, engine.LabelSpecHash: "h1"},
	}}
	if _, err := e.CreateService(ctx, cfg); err != nil {
		t.Fatalf("CreateService: %v", err)
	}
	var task engine.Container
	rt.Eventually(t, 60*time.Second, "a running remote task", func() (bool, string) {
		cs, err := e.List(ctx)
		if err != nil || len(cs) != 1 {
			return false, fmt.Sprint(cs, err)
		}
		task = cs[0]
		return task.State == "running" && task.Remote, fmt.Sprint(cs)
	})
	rt.Eventually(t, 30*time.Second, "the start line, through Swarm's task logs", func() (bool, string) {
		rc, err := e.Logs(ctx, task.ID, engine.LogOptions{Tail: -1})
		if err != nil {
			return false, err.Error()
		}
		defer rc.Close()
		b, err := io.ReadAll(rc)
		return err == nil && strings.Contains(string(b), "msg=listening"), string(b)
	})
	if err := e.Remove(ctx, task.ID); !errors.Is(err, engine.ErrUnsupported) || !strings.Contains(err.Error(), "runs on node "+node) {
		t.Errorf("Remove of a remote task = %v, want ErrUnsupported naming node %s", err, node)
	}

	evs := make(chan engine.Event, 64)
	primed := make(chan struct{})
	go e.remoteTaskEvents(ctx, evs, 100*time.Millisecond, func() { close(primed) }) // ends with ctx
	select {
	case <-primed:
	case <-time.After(30 * time.Second):
		t.Fatal("the watch of remote tasks never took its first look")
	}
	if out, err := exec.Command("docker", "kill", task.ID).CombinedOutput(); err != nil {
		t.Fatalf("docker kill: %v: %s", err, out)
	}
	var got []string
	deadline := time.After(60 * time.Second)
	failed, replaced := false, false
	for !failed || !replaced {
		select {
		case ev := <-evs:
			if ev.Image != image {
				t.Errorf("event %+v: image %q, want %q", ev, ev.Image, image)
			}
			got = append(got, ev.ContainerID+" "+ev.Action)
			failed = failed || ev.ContainerID == task.ID && ev.Action == "task_failed"
			replaced = replaced || ev.ContainerID != task.ID && ev.Action == "task_running"
		case <-deadline:
			t.Fatalf("task events after a kill: %q, want %s task_failed and a replacement's task_running", got, task.ID)
		}
	}
	t.Logf("events after the kill: %q", got)
}
