package engine

import (
	"context"
	"time"
)

// Resubscribe runs stream, an adapter's event subscription, until ctx ends,
// and again each time it fails: after 100 ms doubling to 5 s, and 100 ms
// again once a stream carried events (it worked for a while). Before each
// new subscription it calls reconnected (nil for none: an adapter drops
// what it cached there) and sends an EventReconnect, so that the receiver
// lists again: events may have been missed.
func Resubscribe(ctx context.Context, out chan<- Event, stream func() (gotAny bool), reconnected func()) {
	wait := 100 * time.Millisecond
	for first := true; ; first = false {
		if !first {
			if reconnected != nil {
				reconnected()
			}
			select {
			case out <- Event{Action: EventReconnect, Time: time.Now()}:
			case <-ctx.Done():
				return
			}
		}
		if stream() {
			wait = 100 * time.Millisecond
		}
		select {
		case <-ctx.Done():
			return
		case <-time.After(wait):
		}
		wait = min(2*wait, 5*time.Second)
	}
}
