package docker

import (
	"context"
	"time"

	"github.com/docker/docker/api/types/events"
	"github.com/docker/docker/api/types/filters"
	"github.com/orchestrator/orchestrator/reconciler/engine"
)

// Events implements Engine. The stream ends when the engine restarts; it is
// opened again with a capped backoff, and each reconnect is reported.
func (d *Engine) Events(ctx context.Context) <-chan engine.Event {
	out := make(chan engine.Event, 64)
	go func() {
		defer close(out)
		f := d.filters()
		f.Add("type", string(events.ContainerEventType))
		for _, a := range []events.Action{events.ActionCreate, events.ActionStart, events.ActionDie,
			events.ActionStop, events.ActionDestroy, events.ActionHealthStatus, events.ActionUpdate, events.ActionPause, events.ActionUnPause, events.ActionRename} {
			f.Add("event", string(a))
		}
		wait := 100 * time.Millisecond
		for first := true; ; first = false {
			if !first {
				select {
				case out <- engine.Event{Action: engine.EventReconnect, Time: time.Now()}:
				case <-ctx.Done():
					return
				}
			}
			if d.stream(ctx, f, out) {
				wait = 100 * time.Millisecond // it worked for a while: retry soon
			}
			select {
			case <-ctx.Done():
				return
			case <-time.After(wait):
			}
			wait = min(2*wait, 5*time.Second)
		}
	}()
	return out
}

// stream forwards one subscription until it fails; it reports whether any
// event came through.
func (d *Engine) stream(ctx context.Context, f filters.Args, out chan<- engine.Event) bool {
	sctx, cancel := context.WithCancel(ctx)
	defer cancel()
	msgs, errs := d.cli.Events(sctx, events.ListOptions{Filters: f})
	got := false
	for {
		select {
		case <-ctx.Done():
			return got
		case <-errs:
			return got
		case m := <-msgs:
			got = true
			if !d.ours(m.Actor.Attributes) {
				continue
			}
			switch m.Action {
			case events.ActionUpdate, events.ActionDie, events.ActionStart:
				d.forget(m.Actor.ID) // restart policy, restart count or start time changed
			}
			ev := engine.Event{ContainerID: m.Actor.ID, Image: m.Actor.Attributes[engine.LabelImage], Action: string(m.Action), Time: time.Unix(0, m.TimeNano)}
			select {
			case out <- ev:
			case <-ctx.Done():
				return got
			}
		}
	}
}
