package docker

import (
	"context"
	"fmt"
	"time"

	"github.com/docker/docker/api/types/events"
	"github.com/docker/docker/api/types/filters"
	"github.com/orchestrator/orchestrator/reconciler/engine"
)

// Events implements Engine. The stream ends when the engine restarts; it is
// opened again with a capped backoff, from the time of the last event seen
// (the engine replays what happened in between, so nothing is lost), and
// each reconnect is reported. A reconnect also drops the inspect cache: the
// pass it wakes reads every container afresh.
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
		var cur cursor
		engine.Resubscribe(ctx, out, func() bool { return d.stream(ctx, f, &cur, out) }, d.forgetAll)
	}()
	return out
}

// stream forwards one subscription until it fails; it reports whether any
// event came through.
func (d *Engine) stream(ctx context.Context, f filters.Args, cur *cursor, out chan<- engine.Event) bool {
	sctx, cancel := context.WithCancel(ctx)
	defer cancel()
	msgs, errs := d.cli.Events(sctx, events.ListOptions{Filters: f, Since: cur.since()})
	got := false
	for {
		select {
		case <-ctx.Done():
			return got
		case <-errs:
			return got
		case m := <-msgs:
			got = true
			if !cur.advance(m) || !d.ours(m.Actor.Attributes) {
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

// cursor is where the event stream is: the time of the last event seen, and
// the events seen at exactly that time, since a subscription from that time
// replays them.
type cursor struct {
	last int64               // TimeNano of the newest event seen; 0 before the first
	seen map[string]struct{} // the events at last, by key
}

// since is the ListOptions.Since of the next subscription: "" (from now) at
// first, then the last event's time, "seconds.nanoseconds".
func (c *cursor) since() string {
	if c.last == 0 {
		return ""
	}
	return fmt.Sprintf("%d.%09d", c.last/1e9, c.last%1e9)
}

// advance records m, and says whether it is new: an event older than the
// last one, or one already seen at the same time, is a replay.
func (c *cursor) advance(m events.Message) bool {
	key := m.Actor.ID + " " + string(m.Action)
	switch {
	case m.TimeNano < c.last:
		return false
	case m.TimeNano > c.last:
		c.last, c.seen = m.TimeNano, map[string]struct{}{}
	}
	if c.seen == nil {
		c.seen = map[string]struct{}{}
	}
	if _, dup := c.seen[key]; dup {
		return false
	}
	c.seen[key] = struct{}{}
	return true
}
