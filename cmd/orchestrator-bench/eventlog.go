package main

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/docker/docker/api/types/events"
	"github.com/docker/docker/api/types/filters"
	"github.com/docker/docker/client"

	"github.com/orchestrator/orchestrator/reconciler/engine"
)

// eventLog keeps every engine event about an instance's containers, read
// from one subscription by a goroutine of its own, so that a wait can look
// back as well as ahead, and many images and containers can be followed at
// once without a subscription each (a subscription opened just before a
// write may not be live yet when the write's first event comes).
type eventLog struct {
	mu   sync.Mutex
	msgs []events.Message
	err  error         // the subscription's end; nothing is appended after it
	more chan struct{} // closed at the next append or at the end
}

// followEvents subscribes to the container events of instance; the
// subscription ends with ctx.
func followEvents(ctx context.Context, cli *client.Client, instance string) *eventLog {
	f := filters.NewArgs(
		filters.Arg("type", string(events.ContainerEventType)),
		filters.Arg("label", engine.LabelInstance+"="+instance),
	)
	msgs, errs := cli.Events(ctx, events.ListOptions{Filters: f})
	return newEventLog(msgs, errs)
}

// newEventLog keeps what msgs carries until errs does.
func newEventLog(msgs <-chan events.Message, errs <-chan error) *eventLog {
	l := &eventLog{more: make(chan struct{})}
	go func() {
		for {
			select {
			case m := <-msgs:
				l.mu.Lock()
				l.msgs = append(l.msgs, m)
				close(l.more)
				l.more = make(chan struct{})
				l.mu.Unlock()
			case err := <-errs:
				l.mu.Lock()
				l.err = fmt.Errorf("engine events: %w", err)
				close(l.more)
				l.mu.Unlock()
				return
			}
		}
	}()
	return l
}

// since is the events at or after t (by the engine's clock, which on this
// host is the bench's) that match, in the order they came.
func (l *eventLog) since(t time.Time, match func(events.Message) bool) []events.Message {
	l.mu.Lock()
	defer l.mu.Unlock()
	var out []events.Message
	for _, m := range l.msgs {
		if m.TimeNano >= t.UnixNano() && match(m) {
			out = append(out, m)
		}
	}
	return out
}

// first waits at most within for the first event at or after t that
// matches; what names it in the error.
func (l *eventLog) first(ctx context.Context, t time.Time, match func(events.Message) bool, within time.Duration, what string) (events.Message, error) {
	ms, err := l.atLeast(ctx, t, match, 1, within, what)
	if err != nil {
		return events.Message{}, err
	}
	return ms[0], nil
}

// atLeast waits at most within for n events at or after t that match, and
// returns all of them that have come.
func (l *eventLog) atLeast(ctx context.Context, t time.Time, match func(events.Message) bool, n int, within time.Duration, what string) ([]events.Message, error) {
	deadline := time.After(within)
	for {
		l.mu.Lock()
		more, err := l.more, l.err
		l.mu.Unlock()
		ms := l.since(t, match)
		if len(ms) >= n {
			return ms, nil
		}
		if err != nil {
			return nil, fmt.Errorf("waiting for %s: %w", what, err)
		}
		select {
		case <-more:
		case <-deadline:
			return nil, fmt.Errorf("no %s within %s (%d of %d)", what, within, len(ms), n)
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
}

// ofImage matches the events of the containers of image, of the actions
// given (any action without).
func ofImage(image string, actions ...events.Action) func(events.Message) bool {
	return func(m events.Message) bool {
		if m.Actor.Attributes[engine.LabelImage] != image {
			return false
		}
		if len(actions) == 0 {
			return true
		}
		for _, a := range actions {
			if m.Action == a {
				return true
			}
		}
		return false
	}
}

// eventTime is when the engine says m happened.
func eventTime(m events.Message) time.Time { return time.Unix(0, m.TimeNano) }
