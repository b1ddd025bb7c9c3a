package reconciler

import (
	"context"
	"maps"
	"slices"

	"github.com/orchestrator/orchestrator/reconciler/engine"
)

// tasksSeen is what the last pass saw running of a swarm's tasks: on a
// swarm, Swarm starts and stops the tasks, not the reconciler's actions,
// so the discovery webhook's start and stop come from comparing one pass's
// running tasks with the next's. The first pass after serve starts only
// takes note (a restarted serve does not announce again what runs); a task
// on another node is seen at the pass its change wakes (the swarm
// adapter's poll of such tasks sends an event, docs/design.md §15).
type tasksSeen struct {
	running map[string]engine.Container // by ID; nil before the first pass
}

// announceTasks sends the webhooks of the tasks that began or ended
// running since the last pass, for the specs that name a callback.
func (r *Reconciler) announceTasks(ctx context.Context, cs []engine.Container) {
	now := map[string]engine.Container{}
	for _, c := range cs {
		if c.State == "running" {
			now[c.ID] = c
		}
	}
	before := r.tasks.running
	r.tasks.running = now
	if before == nil {
		return
	}
	// Starts first: a receiver that balances over the tasks adds the new
	// one before it drops the old (Swarm's start-first update).
	for _, id := range slices.Sorted(maps.Keys(now)) {
		if c := now[id]; before[id].ID == "" && r.callbackOf(c.Image) != "" {
			r.deliver(ctx, c.Image, c, c.ID, c.Name, string(KindStart), false)
		}
	}
	for _, id := range slices.Sorted(maps.Keys(before)) {
		if c := before[id]; now[id].ID == "" && r.callbackOf(c.Image) != "" {
			r.deliver(ctx, c.Image, c, c.ID, c.Name, string(KindStop), true)
		}
	}
}
