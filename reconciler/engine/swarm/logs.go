package swarm

import (
	"context"
	"io"

	"github.com/docker/docker/api/types/swarm"

	"github.com/orchestrator/orchestrator/reconciler/engine"
	"github.com/orchestrator/orchestrator/reconciler/engine/docker"
)

// Logs implements engine.Engine: a task on this node is read from its
// container, as the Docker adapter reads any; a task on another node
// through Swarm's task logs, which the manager gathers from that node's
// engine (as `docker service logs` does: the task's log driver must keep
// logs readable, json-file, local or journald). Any other id (or all,
// when the tasks cannot be listed) is asked of this node's engine, as on
// the docker engine: one unknown there wraps ErrNotFound.
func (e *Engine) Logs(ctx context.Context, id string, opts engine.LogOptions) (io.ReadCloser, error) {
	t, ok, err := e.task(ctx, id)
	if err != nil || !ok || !e.elsewhere(t) { // here, or on no node yet: no logs anywhere
		return e.Engine.Logs(ctx, id, opts)
	}
	rc, err := e.cli.TaskLogs(ctx, t.ID, docker.LogsOptions(opts))
	if err != nil {
		return nil, classify("logs of task", t.ID, err)
	}
	return docker.PlainLogs(rc), nil
}

// task finds the task of one of our services by its ID or its
// container's, as List names it.
func (e *Engine) task(ctx context.Context, id string) (swarm.Task, bool, error) {
	_, tasks, err := e.servicesAndTasks(ctx, false)
	if err != nil {
		return swarm.Task{}, false, err
	}
	for _, t := range tasks {
		if t.ID == id || containerID(t) == id {
			return t, true, nil
		}
	}
	return swarm.Task{}, false, nil
}
