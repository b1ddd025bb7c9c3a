package reconciler

import (
	"context"
	"time"

	"github.com/docker/docker/api/types/events"
	"github.com/docker/docker/api/types/filters"
)

// EventReconnect is sent after the event stream was lost and is back (an
// engine restart): events may have been missed, so the receiver re-lists.
const EventReconnect = "reconnect"

// Events implements Engine. The stream ends when the engine restarts; it is
// opened again with a capped backoff, and each reconnect is reported.
func (d *Docker) Events(ctx context.Context) <-chan Event {
	out := make(chan Event, 64)
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
				case out <- Event{Action: EventReconnect, Time: time.Now()}:
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
func (d *Docker) stream(ctx context.Context, f filters.Args, out chan<- Event) bool {
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
			ev := Event{ContainerID: m.Actor.ID, Image: m.Actor.Attributes[LabelImage], Action: string(m.Action), Time: time.Unix(0, m.TimeNano)}
			select {
			case out <- ev:
			case <-ctx.Done():
				return got
			}
		}
	}
}
