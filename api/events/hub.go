// Package events is the hub of the event stream that GET /events serves
// (docs/design.md §11): numbered events kept in a bounded ring, so that a
// client that reconnects with the last id it saw resumes where it was, and
// subscribers that each get a bounded channel, so that a slow one is
// dropped and never blocks the publisher or the others. It knows nothing
// of HTTP; serve feeds it and the API serves it.
package events

import (
	"encoding/json"
	"fmt"
	"sync"
	"time"
)

// Defaults of Options.
const (
	DefaultBuffer       = 1024
	DefaultClientBuffer = 256
)

// Event is one published event: its number, its type (the SSE "event:"
// field) and its data, one line of JSON.
type Event struct {
	ID   uint64
	Type string
	Data []byte
}

// Options size a Hub. Zero values take the defaults.
type Options struct {
	// Buffer is how many of the last events are kept for clients that
	// resume (default 1024).
	Buffer int
	// ClientBuffer is how many events a subscriber may have unread before
	// it is dropped (default 256).
	ClientBuffer int
	// FirstID is the id of the first event. The default is the time of
	// New in microseconds: ids then keep increasing across restarts, and
	// an id of an earlier run is older than any this run kept.
	FirstID uint64
}

// Hub numbers events, keeps the last of them, and fans them out. It is
// safe for concurrent use; Publish never blocks on a subscriber.
type Hub struct {
	clientBuffer int

	mu   sync.Mutex
	ring []Event // circular, len == Buffer
	head int     // index of the oldest kept event
	n    int     // events kept
	next uint64  // the id of the next event
	subs map[*Subscription]struct{}
}

// New returns an empty hub.
func New(opts Options) *Hub {
	if opts.Buffer <= 0 {
		opts.Buffer = DefaultBuffer
	}
	if opts.ClientBuffer <= 0 {
		opts.ClientBuffer = DefaultClientBuffer
	}
	if opts.FirstID == 0 {
		opts.FirstID = uint64(max(time.Now().UnixMicro(), 1))
	}
	return &Hub{clientBuffer: opts.ClientBuffer, ring: make([]Event, opts.Buffer), next: opts.FirstID, subs: map[*Subscription]struct{}{}}
}

// Publish sends an event of type typ with data, marshalled as JSON, to
// every subscriber, and keeps it. A subscriber whose channel is full is
// dropped (its channel closed) instead of waited for.
func (h *Hub) Publish(typ string, data any) error {
	raw, err := json.Marshal(data)
	if err != nil {
		return fmt.Errorf("event %s: %w", typ, err)
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	ev := Event{ID: h.next, Type: typ, Data: raw}
	h.next++
	h.ring[(h.head+h.n)%len(h.ring)] = ev
	if h.n < len(h.ring) {
		h.n++
	} else {
		h.head = (h.head + 1) % len(h.ring)
	}
	for s := range h.subs {
		select {
		case s.ch <- ev:
		default:
			s.dropped = true
			h.remove(s)
		}
	}
	return nil
}

// Subscription is one subscriber: the kept events it asked to resume from,
// then the events published after it subscribed, on C.
type Subscription struct {
	// C delivers the events published after Subscribe, in order. It is
	// closed when the subscriber falls behind by more than the hub's
	// ClientBuffer (it is dropped) or is closed.
	C <-chan Event
	// Backlog are the kept events after the id Subscribe resumed from,
	// oldest first: to be sent before anything of C.
	Backlog []Event
	// Reset says that events after that id are lost: it is older than the
	// oldest kept event, or no id of this hub (an earlier run's, or one
	// never sent). Backlog is then every kept event.
	Reset bool
	// Oldest is the id of the oldest kept event, 0 when none is kept.
	Oldest uint64

	hub     *Hub
	ch      chan Event
	dropped bool // guarded by hub.mu
}

// Subscribe adds a subscriber of the events published from now on. With
// resume, it also gets the kept events after id last in Backlog (a client
// that reconnects with Last-Event-ID); last 0 asks for every kept event.
func (h *Hub) Subscribe(last uint64, resume bool) *Subscription {
	h.mu.Lock()
	defer h.mu.Unlock()
	s := &Subscription{hub: h, ch: make(chan Event, h.clientBuffer)}
	s.C = s.ch
	if h.n > 0 {
		s.Oldest = h.ring[h.head].ID
	}
	if resume {
		first := h.next // the first event that a client resuming from last needs
		if h.n > 0 {
			first = s.Oldest
		}
		switch {
		case last >= h.next: // from the future: no id of this hub
			s.Reset, last = true, 0
		case last != 0 && last+1 < first: // events after last are gone
			s.Reset = true
		}
		for i := range h.n {
			if ev := h.ring[(h.head+i)%len(h.ring)]; ev.ID > last {
				s.Backlog = append(s.Backlog, ev)
			}
		}
	}
	h.subs[s] = struct{}{}
	return s
}

// Close ends the subscription: C is closed if it was not already.
func (s *Subscription) Close() {
	s.hub.mu.Lock()
	defer s.hub.mu.Unlock()
	s.hub.remove(s)
}

// Dropped reports whether the subscription was dropped for falling behind.
func (s *Subscription) Dropped() bool {
	s.hub.mu.Lock()
	defer s.hub.mu.Unlock()
	return s.dropped
}

// remove unregisters s and closes its channel, once. Called under mu.
func (h *Hub) remove(s *Subscription) {
	if _, ok := h.subs[s]; ok {
		delete(h.subs, s)
		close(s.ch)
	}
}

// Subscribers is how many subscriptions are open (metrics, tests).
func (h *Hub) Subscribers() int {
	h.mu.Lock()
	defer h.mu.Unlock()
	return len(h.subs)
}
