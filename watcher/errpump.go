package watcher

import (
	"errors"
	"sync"

	"github.com/fsnotify/fsnotify"
)

// errorPump receives fsnotify's errors in a goroutine of its own. fsnotify
// can send an error while holding the lock that Add, Remove and Close take;
// were the main loop, busy in an Add, the only receiver, both would wait
// for each other forever.
type errorPump struct {
	mu       sync.Mutex
	overflow bool          // events were lost
	errs     []error       // other errors, bounded
	ready    chan struct{} // capacity 1: there is something to take
	done     chan struct{} // closed when fsnotify closed its Errors
}

func pumpErrors(src <-chan error) *errorPump {
	p := &errorPump{ready: make(chan struct{}, 1), done: make(chan struct{})}
	go func() {
		defer close(p.done)
		for err := range src {
			p.mu.Lock()
			switch {
			case errors.Is(err, fsnotify.ErrEventOverflow):
				p.overflow = true
			case len(p.errs) < 100: // in case the main loop is slow to take them
				p.errs = append(p.errs, err)
			}
			p.mu.Unlock()
			select {
			case p.ready <- struct{}{}:
			default:
			}
		}
	}()
	return p
}

// take returns and clears what was received.
func (p *errorPump) take() (overflow bool, errs []error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	overflow, errs = p.overflow, p.errs
	p.overflow, p.errs = false, nil
	return overflow, errs
}
