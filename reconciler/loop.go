package reconciler

import (
	"context"
	"math/rand/v2"
	"sync"
	"time"
)

// Trigger asks for a pass that reads the state directory again: the watcher
// saw a change, or the API wrote a file. It never blocks; wake-ups coalesce.
func (r *Reconciler) Trigger() {
	r.reload.Store(true)
	r.wakeUp()
}

// wakeUp asks for a pass over the last directory read: an engine event
// changes the containers, not the files. Reading the directory now could
// catch a git checkout half-way, between the watcher's debounced signals.
func (r *Reconciler) wakeUp() {
	select {
	case r.wake <- struct{}{}:
	default:
	}
}

// Run makes passes until ctx is done: at start, on Trigger, on every engine
// event, after a jittered resync interval, and when a backoff or a new
// container's monitor period ends. changes (the watcher's) may be nil; then
// every pass reads the directory.
func (r *Reconciler) Run(ctx context.Context, changes <-chan struct{}) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	events := r.engine.Events(ctx)
	watched := changes != nil
	var wg sync.WaitGroup
	wg.Add(1)
	go func() { // forwarders only wake the loop, like informer handlers enqueue
		defer wg.Done()
		for {
			select {
			case <-ctx.Done():
				return
			case _, ok := <-changes:
				if !ok {
					changes = nil
					continue
				}
				r.Trigger()
			case ev, ok := <-events:
				if !ok {
					events = nil
					continue
				}
				r.log.Debug("engine event", "action", ev.Action, "container", short(ev.ContainerID), "image", ev.Image)
				r.wakeUp()
				if r.opts.EngineObserver != nil {
					r.opts.EngineObserver.EngineEvent(ev)
				}
			}
		}
	}()
	defer wg.Wait()
	defer r.flights.wait() // after cancel: what was begun ends, nothing begins
	defer r.pull.wait()    // after cancel: pulls end with ctx
	defer r.hooks.Wait()

	r.Trigger()
	resyncAt := time.Now().Add(r.jitter())
	timer := time.NewTimer(time.Until(resyncAt))
	defer timer.Stop()
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-r.wake:
		case <-timer.C:
		}
		if !time.Now().Before(resyncAt) {
			r.reload.Store(true)
			resyncAt = time.Now().Add(r.jitter())
		}
		res := r.runPass(ctx, !watched, false)
		if ctx.Err() != nil {
			return nil
		}
		if res.Err != nil {
			r.log.Error("pass failed", "seq", res.Seq, "err", res.Err)
		}
		next := time.Until(resyncAt)
		now := r.opts.Now()
		for _, t := range []time.Time{r.backoff.next(), r.recheck} {
			if !t.IsZero() {
				next = min(next, t.Sub(now))
			}
		}
		// Go 1.23+ timers: Reset discards a tick not yet received, so no
		// drain is needed.
		timer.Reset(max(next, time.Millisecond))
	}
}

func (r *Reconciler) jitter() time.Duration {
	d := r.opts.Resync
	return d - d/10 + time.Duration(rand.Int64N(int64(d/5)+1))
}

// Pass runs one pass now, reading the directory. Only Run calls passes in
// production, so they never overlap; tests call Pass for a deterministic
// step.
// Its result holds the actions it took, ended (Run's passes report them
// in the pass after they end).
func (r *Reconciler) Pass(ctx context.Context) PassResult { return r.runPass(ctx, true, true) }

// runPass numbers the pass and takes the reload flag in one step, under the
// lock WaitPass holds to set the flag and note the number it waits for: the
// pass it waits for surely reads the directory.
func (r *Reconciler) runPass(ctx context.Context, forceReload, wait bool) PassResult {
	r.mu.Lock()
	r.started++
	reload := r.reload.Swap(false) || forceReload
	res := PassResult{Seq: r.started, Start: r.opts.Now()}
	r.mu.Unlock()
	began := time.Now()
	res.Done, res.Dispatched, res.Timings, res.Err = r.pass(ctx, res.Start, reload, wait)
	r.announceDone(ctx, res.Done)
	took := time.Since(began)
	// Observed before the waiters are released: whoever WaitPass answers
	// finds the pass in the metrics already.
	if r.opts.Observer != nil {
		r.opts.Observer.PassDone(res, took, r.Statuses())
	}
	r.mu.Lock()
	r.last = res
	r.history = append(r.history, res)
	if len(r.history) > 64 {
		r.history = r.history[1:]
	}
	// Before the waiters are released: one that the pass wakes must find
	// its image's reported actions no longer in flight, or it would wait
	// for a pass that nothing asks for.
	r.flights.published(res.Done)
	close(r.passDone)
	r.passDone = make(chan struct{})
	r.mu.Unlock()
	return res
}

// WaitPass asks for a pass that reads the directory and waits for one that
// started after the call, so that it saw every write made before the call;
// it returns that pass's result. (A pass already running may have read the
// directory earlier.)
func (r *Reconciler) WaitPass(ctx context.Context) (PassResult, error) {
	r.mu.Lock()
	r.reload.Store(true)
	want, ch := r.started+1, r.passDone
	r.mu.Unlock()
	r.wakeUp()
	for {
		select {
		case <-ctx.Done():
			return PassResult{}, ctx.Err()
		case <-ch:
		}
		r.mu.Lock()
		if r.last.Seq >= want {
			res := r.last
			r.mu.Unlock()
			return res, nil
		}
		ch = r.passDone
		r.mu.Unlock()
	}
}

// NextPass waits for a pass numbered above seq to end, without asking for
// one, and returns the last that ended: a caller that waits for actions in
// flight is woken by the pass that reports them (their end wakes the
// loop); a forced pass per wait would only list the engine again and again
// meanwhile.
func (r *Reconciler) NextPass(ctx context.Context, seq uint64) (PassResult, error) {
	for {
		r.mu.Lock()
		last, ch := r.last, r.passDone
		r.mu.Unlock()
		if last.Seq > seq {
			return last, nil
		}
		select {
		case <-ctx.Done():
			return PassResult{}, ctx.Err()
		case <-ch:
		}
	}
}

// InFlight reports whether image has actions under way, or ended and not
// yet reported by a pass.
func (r *Reconciler) InFlight(image string) bool { return r.flights.inFlight(image) }
