package swarm

import (
	"context"
	"errors"
	"slices"
	"time"

	"github.com/orchestrator/orchestrator/reconciler/engine"
)

// serviceIDLabel is the label Swarm puts on a task's container: its
// service's ID.
const serviceIDLabel = "com.docker.swarm.service.id"

// RemoveAll removes every service of ours, as docker stack rm does, and
// returns their names once Swarm has stopped and removed the task
// containers of ours on this node (each within its stop grace period;
// other nodes' engines stop theirs) — also those of a service removed just
// before, by serve — or when ctx ends, whichever is first: a caller that
// goes on to remove what is left bounds it, and does not race Swarm's own
// removals. A service gone already is no failure.
func (e *Engine) RemoveAll(ctx context.Context) ([]string, error) {
	svcs, err := e.ListServices(ctx)
	if err != nil {
		return nil, err
	}
	var names []string
	for _, svc := range svcs {
		if err := e.RemoveService(ctx, svc.ID); err != nil && !errors.Is(err, engine.ErrNotFound) {
			return names, err
		}
		names = append(names, svc.Name)
	}
	tick := time.NewTicker(200 * time.Millisecond)
	defer tick.Stop()
	for {
		cs, err := e.Engine.List(ctx) // this node's containers of ours
		if ctx.Err() != nil {
			return names, nil // what is left is the caller's
		}
		if err != nil {
			return names, err
		}
		if !slices.ContainsFunc(cs, func(c engine.Container) bool { return c.Labels[serviceIDLabel] != "" }) {
			return names, nil
		}
		select {
		case <-ctx.Done():
			return names, nil // what is left is the caller's
		case <-tick.C:
		}
	}
}
