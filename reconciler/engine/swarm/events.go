package swarm

import (
	"context"
	"sync"
	"time"

	"github.com/docker/docker/api/types/events"
	"github.com/docker/docker/api/types/filters"
	"github.com/docker/docker/api/types/swarm"

	"github.com/orchestrator/orchestrator/reconciler/engine"
)

// Events implements engine.Engine: the container events of this node's
// tasks (the Docker adapter's stream: they carry our labels), and the
// service events of our services (create, update, remove: an update's
// progress and its rollback). Tasks on other nodes send no event here:
// their changes come from a poll (remoteTaskEvents).
func (e *Engine) Events(ctx context.Context) <-chan engine.Event {
	out := make(chan engine.Event, 64)
	var wg sync.WaitGroup
	wg.Add(3)
	go func() {
		defer wg.Done()
		for ev := range e.Engine.Events(ctx) { // ends when ctx does
			select {
			case out <- ev:
			case <-ctx.Done():
			}
		}
	}()
	go func() {
		defer wg.Done()
		e.serviceEvents(ctx, out)
	}()
	go func() {
		defer wg.Done()
		e.remoteTaskEvents(ctx, out, remotePoll, nil)
	}()
	go func() {
		wg.Wait()
		close(out)
	}()
	return out
}

// serviceEvents forwards our services' events until ctx ends, subscribing
// again (with a capped backoff) when the stream fails; each new
// subscription after the first is an EventReconnect.
func (e *Engine) serviceEvents(ctx context.Context, out chan<- engine.Event) {
	f := filters.NewArgs(filters.Arg("type", string(events.ServiceEventType)))
	engine.Resubscribe(ctx, out, func() bool { return e.serviceStream(ctx, f, out) }, nil)
}

// serviceImage is the image of the service of an event, and whether the
// service is ours: known by name from our lists and creates, else asked
// once (a service made by another serve of this instance, or one whose
// create event came before our create returned).
func (e *Engine) serviceImage(ctx context.Context, id, name string) (string, bool) {
	if image, ok := e.imageOf(name); ok {
		return image, true
	}
	ctx, cancel := e.bounded(ctx)
	defer cancel()
	s, _, err := e.cli.ServiceInspectWithRaw(ctx, id, swarm.ServiceInspectOptions{})
	if err != nil || !e.ours(s.Spec.Labels) {
		return "", false // gone already, or not ours
	}
	image := s.Spec.Labels[engine.LabelImage]
	e.remember(name, image)
	return image, true
}

// serviceStream forwards one subscription until it fails; it reports
// whether any event came through. A service event names the service only,
// so ours are told by the names our lists and creates have seen.
func (e *Engine) serviceStream(ctx context.Context, f filters.Args, out chan<- engine.Event) bool {
	sctx, cancel := context.WithCancel(ctx)
	defer cancel()
	msgs, errs := e.cli.Events(sctx, events.ListOptions{Filters: f})
	got := false
	for {
		select {
		case <-ctx.Done():
			return got
		case <-errs:
			return got
		case m := <-msgs:
			got = true
			image, ours := e.serviceImage(ctx, m.Actor.ID, m.Actor.Attributes["name"])
			if !ours {
				continue
			}
			ev := engine.Event{ContainerID: m.Actor.ID, Image: image, Action: "service_" + string(m.Action), Time: time.Unix(0, m.TimeNano)}
			select {
			case out <- ev:
			case <-ctx.Done():
				return got
			}
		}
	}
}
