package engine

import (
	"context"
	"slices"
	"sync"
	"time"
)

// Observed is an Engine that remembers its last container list, so that
// readers (GET /containers, the stats sampler) cost no engine call while
// nothing changes. Listing the engine on every request made GET /containers
// as slow as the engine's own list: ~40 ms at 100 containers here.
//
// The remembered list is used only while it is surely current: an engine
// event that arrived since the list began, or an action taken through this
// Observed, makes it stale, and the next reader lists again. A reader
// therefore sees its own writes, and sees another's change as soon as the
// engine has reported it. Without a live event stream nothing is
// remembered: every read lists.
type Observed struct {
	Engine

	mu      sync.Mutex
	gen     uint64      // bumped by every event and every action
	listGen uint64      // gen when the remembered list began
	list    []Container // nil: nothing remembered
	streams int         // event subscriptions open
	lagging int         // streams whose reader is behind: events may be unseen

	refresh chan struct{} // capacity 1: one reader's list at a time; the others reuse it
}

// NewObserved wraps e.
func NewObserved(e Engine) *Observed { return &Observed{Engine: e, refresh: make(chan struct{}, 1)} }

// Current returns the managed containers as they are now: the remembered
// list while nothing has changed since it was taken, else a new list. The
// slice is the caller's; the containers' maps are shared and must not be
// modified. (List always asks the engine.)
func (o *Observed) Current(ctx context.Context) ([]Container, error) {
	if cs, ok := o.current(); ok {
		return cs, nil
	}
	// Readers that arrive during a list wait for it rather than list too:
	// under load that is one engine call per change, not one per reader.
	select {
	case o.refresh <- struct{}{}:
		defer func() { <-o.refresh }()
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	if cs, ok := o.current(); ok {
		return cs, nil
	}
	return o.List(ctx)
}

// current returns a copy of the remembered list if it is current.
func (o *Observed) current() ([]Container, bool) {
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.list == nil || o.streams == 0 || o.lagging > 0 || o.listGen != o.gen {
		return nil, false
	}
	return slices.Clone(o.list), true
}

// List implements Engine: a new list, always, which is then remembered.
func (o *Observed) List(ctx context.Context) ([]Container, error) {
	o.mu.Lock()
	gen := o.gen
	o.mu.Unlock()
	cs, err := o.Engine.List(ctx)
	if err != nil {
		return nil, err
	}
	o.mu.Lock()
	// A list that began before a newer remembered one must not replace it.
	if o.list == nil || gen >= o.listGen {
		o.list, o.listGen = slices.Clone(cs), gen
		if o.list == nil {
			o.list = []Container{}
		}
	}
	o.mu.Unlock()
	return cs, nil
}

func (o *Observed) setLagging(d int) {
	o.mu.Lock()
	o.lagging += d
	o.mu.Unlock()
}

// touch makes the remembered list stale.
func (o *Observed) touch() {
	o.mu.Lock()
	o.gen++
	o.mu.Unlock()
}

// Create implements Engine.
func (o *Observed) Create(ctx context.Context, cfg Config) (string, error) {
	defer o.touch()
	return o.Engine.Create(ctx, cfg)
}

// Start implements Engine.
func (o *Observed) Start(ctx context.Context, id string) error {
	defer o.touch()
	return o.Engine.Start(ctx, id)
}

// Stop implements Engine.
func (o *Observed) Stop(ctx context.Context, id string, timeout time.Duration) error {
	defer o.touch()
	return o.Engine.Stop(ctx, id, timeout)
}

// Remove implements Engine.
func (o *Observed) Remove(ctx context.Context, id string) error {
	defer o.touch()
	return o.Engine.Remove(ctx, id)
}

// SetHeld implements Engine.
func (o *Observed) SetHeld(ctx context.Context, id string, held bool) error {
	defer o.touch()
	return o.Engine.SetHeld(ctx, id, held)
}

// Events implements Engine: every event (a reconnect too, after which
// events may have been missed) makes the remembered list stale before it is
// passed on. The list is trusted only while a stream is open.
func (o *Observed) Events(ctx context.Context) <-chan Event {
	in := o.Engine.Events(ctx)
	out := make(chan Event, 64)
	o.mu.Lock()
	o.streams++
	o.gen++ // whatever happened before the subscription is unknown
	o.mu.Unlock()
	go func() {
		defer close(out)
		defer func() {
			o.mu.Lock()
			o.streams--
			o.mu.Unlock()
		}()
		for ev := range in {
			o.touch()
			select {
			case out <- ev:
				continue
			default:
			}
			// The reader is behind: events after this one are not seen
			// until it catches up, so nothing remembered is trusted.
			o.setLagging(1)
			select {
			case out <- ev:
				o.setLagging(-1)
			case <-ctx.Done():
				o.setLagging(-1)
				o.touch()
				// The inner stream closes with ctx: drain it so its
				// goroutine ends.
				for range in {
				}
				return
			}
		}
	}()
	return out
}
