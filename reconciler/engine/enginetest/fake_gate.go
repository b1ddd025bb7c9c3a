package enginetest

import (
	"context"
	"sync"
)

// stopGate, when closed over by HoldStops, keeps every Stop waiting, as a
// container that ignores its stop signal keeps docker stop waiting for its
// grace period.
type stopGate struct {
	mu   sync.Mutex
	gate chan struct{} // nil: stops do not wait
	held int           // stops waiting at the gate now
}

// HoldStops makes every Stop wait until release is called (or the call's
// context ends): for tests that an action waiting out a grace period
// blocks nothing else. release is idempotent.
func (f *Fake) HoldStops() (release func()) {
	f.stops.mu.Lock()
	defer f.stops.mu.Unlock()
	gate := make(chan struct{})
	f.stops.gate = gate
	var once sync.Once
	return func() {
		once.Do(func() {
			f.stops.mu.Lock()
			defer f.stops.mu.Unlock()
			close(gate)
			if f.stops.gate == gate {
				f.stops.gate = nil
			}
		})
	}
}

// StopsHeld is how many Stop calls wait at the gate now.
func (f *Fake) StopsHeld() int {
	f.stops.mu.Lock()
	defer f.stops.mu.Unlock()
	return f.stops.held
}

// atStopGate waits while stops are held.
func (f *Fake) atStopGate(ctx context.Context) error {
	f.stops.mu.Lock()
	gate := f.stops.gate
	if gate == nil {
		f.stops.mu.Unlock()
		return nil
	}
	f.stops.held++
	f.stops.mu.Unlock()
	defer func() {
		f.stops.mu.Lock()
		f.stops.held--
		f.stops.mu.Unlock()
	}()
	select {
	case <-gate:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}
