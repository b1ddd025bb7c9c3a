package swarm

import (
	"cmp"
	"context"
	"slices"
	"strings"
	"time"

	"github.com/docker/docker/api/types/swarm"

	"github.com/orchestrator/orchestrator/reconciler/engine"
)

// remotePoll is how often the tasks not on this node are looked at. Their
// containers send no event to this node's engine, and Swarm sends no task
// events, so without it a task that crashes on another node would be seen
// at the next resync.
const remotePoll = 2 * time.Second

// remoteTaskEvents polls the tasks of our services that are not on this
// node (on another node, or on none yet) every interval until ctx ends,
// and sends an event for each one that came, went, or changed state since
// the poll before: "task_" and Swarm's state ("task_failed",
// "task_running"), or "task_removed". The first poll, at once, only takes
// note, and then calls primed when it is not nil. A failed poll is
// skipped: the service stream reports the engine's availability.
func (e *Engine) remoteTaskEvents(ctx context.Context, out chan<- engine.Event, every time.Duration, primed func()) {
	tick := time.NewTicker(every)
	defer tick.Stop()
	var last map[string]remoteTask
	for {
		if now, err := e.remoteTasks(ctx); err == nil {
			for _, ev := range taskChanges(last, now, time.Now()) {
				select {
				case out <- ev:
				case <-ctx.Done():
					return
				}
			}
			if last == nil && primed != nil {
				primed()
			}
			last = now
		}
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
	}
}

// remoteTask is what the watch compares of a task.
type remoteTask struct {
	container, image string
	state            swarm.TaskState
	live             bool // meant to run, or running: not history
	local            bool // on this node, whose containers send their own events
	at               time.Time
}

// remoteTasks are our services' tasks, by task ID, with the history Swarm
// keeps of them (so that a task that failed is seen as failed, not as
// gone). The tasks of this node are in it too, marked local, so that a
// task placed here after a wait is not taken for one that went away.
func (e *Engine) remoteTasks(ctx context.Context) (map[string]remoteTask, error) {
	services, tasks, err := e.servicesAndTasks(ctx, false)
	if err != nil {
		return nil, err
	}
	images := make(map[string]string, len(services))
	for _, s := range services {
		images[s.ID] = s.Image
	}
	out := map[string]remoteTask{}
	for _, t := range tasks {
		image, ok := images[t.ServiceID]
		if !ok {
			continue
		}
		out[t.ID] = remoteTask{container: containerID(t), image: image, state: t.Status.State, at: t.Status.Timestamp,
			live:  t.DesiredState == swarm.TaskStateRunning || t.Status.State == swarm.TaskStateRunning,
			local: t.NodeID != "" && t.NodeID == e.self}
	}
	return out, nil
}

// taskChanges are the events that turn last into now, oldest first, for
// the tasks not on this node: a task that is new or changed state, one
// Swarm wants gone that still runs ("task_removing": its node is down), and
// a live task that is gone (its service removed). History that Swarm
// prunes says nothing.
func taskChanges(last, now map[string]remoteTask, at time.Time) []engine.Event {
	if last == nil {
		return nil // the first look: nothing to compare with
	}
	var out []engine.Event
	for id, t := range now {
		if t.local {
			continue
		}
		was, ok := last[id]
		removing := t.state == swarm.TaskStateRunning && !t.live
		if ok && was.state == t.state && (!removing || !was.live) {
			continue // nothing new (a desired state alone changing is Swarm's bookkeeping)
		}
		action := "task_" + string(t.state)
		if removing {
			action = "task_removing"
		}
		out = append(out, engine.Event{ContainerID: t.container, Image: t.image, Action: action, Time: t.at})
	}
	for id, t := range last {
		if _, ok := now[id]; !ok && t.live && !t.local {
			out = append(out, engine.Event{ContainerID: t.container, Image: t.image, Action: "task_removed", Time: at})
		}
	}
	slices.SortFunc(out, func(a, b engine.Event) int {
		return cmp.Or(a.Time.Compare(b.Time), strings.Compare(a.ContainerID, b.ContainerID))
	})
	return out
}
