package reconciler

import "time"

// EngineState is whether the last pass could list the containers: when the
// engine is cut off or stalls, /status says so, and since when.
type EngineState struct {
	Available bool
	Error     string    // the last list's error; "" when available
	Since     time.Time // when it became what it is; zero before the first pass
}

// Engine is the engine's state as the last pass saw it.
func (r *Reconciler) Engine() EngineState {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.engineAt
}

// noteEngine records a list's outcome; Since moves only when availability
// changes, so it says how long the engine has been away.
func (r *Reconciler) noteEngine(err error, now time.Time) {
	r.mu.Lock()
	defer r.mu.Unlock()
	available := err == nil
	if available != r.engineAt.Available || r.engineAt.Since.IsZero() {
		r.engineAt.Since = now
	}
	r.engineAt.Available, r.engineAt.Error = available, ""
	if err != nil {
		r.engineAt.Error = err.Error()
	}
}
