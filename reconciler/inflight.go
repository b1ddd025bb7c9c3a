package reconciler

import (
	"context"
	"errors"
	"sync"

	"github.com/orchestrator/orchestrator/reconciler/engine"
)

// flights runs the actions of the passes in the background, so that a pass
// never waits for one (a stop waits out its grace period, a create can be
// slow): the loop plans the next change at once (docs/design.md §4). No
// container gets two actions at once:
//   - a container being removed is left out of the plans until its removal
//     is reported, as Kubernetes leaves out a terminating pod: a rollout or
//     a scale-down goes on while old containers wait out their grace
//     period (except for a spec with a fixed host port, whose successor
//     needs the port: it waits for the removal);
//   - a spec with any other action in flight (a create, a start, a stop)
//     is not planned until that action is reported: those are quick, and
//     a create in flight has no container the plan could count yet.
//
// Other specs are planned at once either way.
type flights struct {
	mu       sync.Mutex
	blocking map[string]int    // by image: creates, starts and stops not yet reported
	removing map[string]string // container ID → image: removals not yet reported
	reported map[string]int    // by image: reported by a pass that has not ended yet
	revision map[string]string // by image: the spec's revision its last actions were planned on
	finished []Done            // ended since the last report
	wg       sync.WaitGroup
	// Engine work (creates, starts, removes) takes a slot of work; the wait
	// of a graceful stop takes a slot of stops instead, which are many: a
	// scale-down of ten containers that ignore SIGTERM must not hold every
	// slot for their grace period while another spec waits to be created.
	work, stops chan struct{}
}

func newFlights(parallelism int) *flights {
	return &flights{blocking: map[string]int{}, removing: map[string]string{}, reported: map[string]int{},
		revision: map[string]string{}, work: make(chan struct{}, parallelism), stops: make(chan struct{}, max(4*parallelism, 32))}
}

// blocked reports whether image has a create, start or stop that is not
// reported yet: a pass plans it again only after.
func (f *flights) blocked(image string) bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.blocking[image] > 0
}

// beingRemoved is the containers with a removal in flight, and how many of
// them each image has.
func (f *flights) beingRemoved() (map[string]bool, map[string]int) {
	f.mu.Lock()
	defer f.mu.Unlock()
	ids, byImage := make(map[string]bool, len(f.removing)), map[string]int{}
	for id, image := range f.removing {
		ids[id] = true
		byImage[image]++
	}
	return ids, byImage
}

// inFlight reports whether image has actions that are not in the result of
// an ended pass yet. It turns false only after the pass that reports them
// is in the history, so a caller that sees it false and then reads the
// history finds them there.
func (f *flights) inFlight(image string) bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.blocking[image]+f.reported[image] > 0 {
		return true
	}
	for _, im := range f.removing {
		if im == image {
			return true
		}
	}
	return false
}

// report takes the actions that ended since the last report, in the order
// they ended; their containers and specs can be planned again.
func (f *flights) report() []Done {
	f.mu.Lock()
	defer f.mu.Unlock()
	out := f.finished
	f.finished = nil
	for _, d := range out {
		f.reported[d.Image]++
		if d.Kind == KindRemove {
			delete(f.removing, d.ID)
			continue
		}
		if f.blocking[d.Image]--; f.blocking[d.Image] <= 0 {
			delete(f.blocking, d.Image)
		}
	}
	return out
}

// published: the pass that reported done has ended, its result is in the
// history.
func (f *flights) published(done []Done) {
	f.mu.Lock()
	defer f.mu.Unlock()
	for _, d := range done {
		if f.reported[d.Image]--; f.reported[d.Image] <= 0 {
			delete(f.reported, d.Image)
		}
	}
}

// wait returns when every dispatched action has ended.
func (f *flights) wait() { f.wg.Wait() }

// dispatch starts the actions in the background, at most Parallelism of
// them on the engine at once, and returns at once with how many it began:
// each ends in f.finished, and wakes the loop for the pass that reports it. Creates
// whose image is being pulled are left for a later pass (the pull's end
// triggers it); a create whose pull failed is reported at once.
func (r *Reconciler) dispatch(ctx context.Context, actions []Action, revisions map[string]string) (begun int) {
	f := r.flights
	for _, a := range actions {
		if ctx.Err() != nil { // stopping: finish what was begun, begin nothing
			return begun
		}
		if a.Kind == KindCreate {
			ok, err := r.pull.ready(ctx, r.engine, a.Config.Image, r.Trigger)
			if err != nil {
				f.begin(a, revisions[a.Image])
				f.end(Done{Action: a, Err: err, Ended: r.opts.Now()})
				r.wakeUp() // the next pass reports it
				continue
			}
			if !ok {
				continue // the image is being pulled: a later pass creates
			}
		}
		f.begin(a, revisions[a.Image])
		begun++
		if a.Kind == KindRemove {
			// The next pass plans without this container: a rollout's next
			// step need not wait for it to be gone.
			r.wakeUp()
		}
		f.wg.Add(1)
		go func() {
			defer f.wg.Done()
			d := Done{Action: a}
			defer func() {
				d.Ended = r.opts.Now()
				f.end(d)
				r.wakeUp()
			}()
			slot := f.work
			if a.Running && (a.Kind == KindRemove || a.Kind == KindStop) {
				slot = f.stops
			}
			select {
			case slot <- struct{}{}:
			case <-ctx.Done(): // never begun: reported as not done
				d.Err = ctx.Err()
				return
			}
			defer func() { <-slot }()
			d = r.run(ctx, a)
		}()
	}
	return begun
}

// begin counts an action in flight until it is reported.
func (f *flights) begin(a Action, revision string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if a.Kind == KindRemove {
		f.removing[a.ID] = a.Image
	} else {
		f.blocking[a.Image]++
	}
	f.revision[a.Image] = revision
}

// revisionOf is the revision of image that its last actions were planned
// on: a failure backs that revision off, and a new one is tried at once.
func (f *flights) revisionOf(image string) string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.revision[image]
}

// end records an action that ended.
func (f *flights) end(d Done) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.finished = append(f.finished, d)
}

// run does one action to its end. An action, once begun, is finished even
// when the loop is cancelled (SIGTERM): a create cancelled on the client
// side can still complete in the engine, and would be a container that
// nobody saw made. Bounded by actionTimeout.
func (r *Reconciler) run(ctx context.Context, a Action) Done {
	actx, cancel := context.WithTimeout(context.WithoutCancel(ctx), actionTimeout)
	defer cancel()
	id, err := r.do(actx, a)
	if a.Kind == KindCreate && id != "" {
		a.ID = id
	}
	if errors.Is(err, engine.ErrImageUnavailable) {
		r.pull.forget(a.Config.Image)
	}
	if err != nil && a.Kind == KindCreate && (len(a.Config.Mounts) > 0 || len(a.Config.Networks) > 0) {
		r.res.forget() // a volume or network removed by hand: made again next pass
	}
	return Done{Action: a, OK: err == nil, Err: err}
}
