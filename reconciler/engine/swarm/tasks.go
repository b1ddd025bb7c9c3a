package swarm

import (
	"context"
	"strconv"
	"time"

	"github.com/docker/docker/api/types/swarm"

	"github.com/orchestrator/orchestrator/reconciler/engine"
)

// List implements engine.Engine: the tasks of our services that are meant
// to run, or still run (the old task of a start-first update), as
// containers. A task's ID is its container's, when it has one, so that
// stats, logs and removal reach it on the node it runs on; health, restarts
// and the start time come from that container when the node is this one.
func (e *Engine) List(ctx context.Context) ([]engine.Container, error) {
	services, tasks, err := e.servicesAndTasks(ctx, false)
	if err != nil || len(services) == 0 {
		return nil, err
	}
	byID := map[string]engine.Service{}
	for _, s := range services {
		byID[s.ID] = s
	}
	local, err := e.Engine.List(ctx) // this node's task containers carry our labels
	if err != nil {
		return nil, err
	}
	here := map[string]engine.Container{}
	for _, c := range local {
		here[c.ID] = c
	}
	out := make([]engine.Container, 0, len(tasks))
	for _, t := range tasks {
		svc, ok := byID[t.ServiceID]
		if !ok || t.DesiredState != swarm.TaskStateRunning && t.Status.State != swarm.TaskStateRunning {
			continue // history: tasks Swarm has replaced and keeps for a while
		}
		out = append(out, e.taskContainer(ctx, t, svc, here))
	}
	return out, nil
}

// taskContainer is t as a container of svc.
func (e *Engine) taskContainer(ctx context.Context, t swarm.Task, svc engine.Service, here map[string]engine.Container) engine.Container {
	c := engine.Container{
		ID: containerID(t), Name: svc.Name + "." + strconv.Itoa(t.Slot), Image: svc.Image, Slot: t.Slot,
		Node: e.nodeName(ctx, t.NodeID), State: stateOf(t), Created: t.CreatedAt, Ports: svc.Ports,
		Remote: e.elsewhere(t),
	}
	if cs := t.Spec.ContainerSpec; cs != nil {
		c.Labels, c.SpecHash = cs.Labels, cs.Labels[engine.LabelSpecHash]
	}
	if t.Status.State == swarm.TaskStateRunning {
		c.Started = t.Status.Timestamp
	}
	if lc, ok := here[c.ID]; ok {
		c.Health, c.HealthError, c.RestartCount = lc.Health, lc.HealthError, lc.RestartCount
		if !lc.Started.IsZero() {
			c.Started = lc.Started
		}
	}
	return c
}

// containerID is how a task is named as a container: its container's ID
// once it has one, so that stats, logs and removal reach it; else its own.
func containerID(t swarm.Task) string {
	if cs := t.Status.ContainerStatus; cs != nil && cs.ContainerID != "" {
		return cs.ContainerID
	}
	return t.ID
}

// elsewhere reports whether a task was placed on another node than this
// one, whose engine serve does not reach.
func (e *Engine) elsewhere(t swarm.Task) bool {
	return t.NodeID != "" && t.NodeID != e.self
}

// stateOf maps a task's state onto Docker's words for a container. A task
// Swarm wants gone that still reports running (the old task of a
// start-first update, or one on a node that is down, which keeps its last
// status until the node returns) is "removing": it no longer counts, and
// the discovery webhook announces its stop.
func stateOf(t swarm.Task) string {
	if t.Status.State == swarm.TaskStateRunning && t.DesiredState != swarm.TaskStateRunning {
		return "removing"
	}
	switch t.Status.State {
	case swarm.TaskStateRunning:
		return "running"
	case swarm.TaskStateComplete, swarm.TaskStateShutdown:
		return "exited"
	case swarm.TaskStateFailed, swarm.TaskStateRejected, swarm.TaskStateOrphaned:
		return "dead"
	case swarm.TaskStateRemove:
		return "removing"
	}
	return "created" // new ... starting: not running yet
}

// nodeName is a node's hostname, asked once per node.
func (e *Engine) nodeName(ctx context.Context, id string) string {
	if id == "" {
		return ""
	}
	e.mu.Lock()
	name, ok := e.nodes[id]
	e.mu.Unlock()
	if ok {
		return name
	}
	ctx, cancel := e.bounded(ctx)
	defer cancel()
	n, _, err := e.cli.NodeInspectWithRaw(ctx, id)
	if err != nil {
		return id // the ID still says which node; asked again next time
	}
	name = n.Description.Hostname
	e.mu.Lock()
	e.nodes[id] = name
	e.mu.Unlock()
	return name
}

// Create implements engine.Engine: Swarm makes the tasks of a service.
func (e *Engine) Create(_ context.Context, cfg engine.Config) (string, error) {
	return "", engine.KindErrorf(engine.ErrUnsupported, "create container %s: a swarm runs services: scale the image instead", cfg.Name)
}

// Start implements engine.Engine.
func (e *Engine) Start(_ context.Context, id string) error {
	return engine.KindErrorf(engine.ErrUnsupported, "start %s: a swarm task cannot be started by itself: scale the image instead", id)
}

// Stop implements engine.Engine: Swarm would replace a stopped task.
func (e *Engine) Stop(_ context.Context, id string, _ time.Duration) error {
	return engine.KindErrorf(engine.ErrUnsupported, "stop %s: a swarm task cannot be stopped by itself (Swarm replaces it): scale the image instead", id)
}

// SetHeld implements engine.Engine.
func (e *Engine) SetHeld(_ context.Context, id string, _ bool) error {
	return engine.KindErrorf(engine.ErrUnsupported, "hold %s: a swarm task cannot be stopped by itself (Swarm replaces it): scale the image instead", id)
}

// Remove implements engine.Engine: the task's container, when it runs on
// this node, is removed, and Swarm starts a new task in its place.
// Removing a task on another node takes that node's engine: ErrUnsupported.
func (e *Engine) Remove(ctx context.Context, id string) error {
	// When the tasks cannot be listed, this node's engine still can say
	// whether the container is here.
	if t, ok, err := e.task(ctx, id); err == nil && ok && e.elsewhere(t) {
		return engine.KindErrorf(engine.ErrUnsupported, "remove %s: the task runs on node %s, not this one: remove it there, or scale the image", id, e.nodeName(ctx, t.NodeID))
	}
	return e.Engine.Remove(ctx, id)
}
