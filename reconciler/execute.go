package reconciler

import (
	"context"
	"errors"
	"fmt"
	"github.com/orchestrator/orchestrator/reconciler/engine"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Done is an executed action and its outcome, in the original API's terms.
type Done struct {
	Action
	OK    bool
	Err   error
	Ended time.Time // when it ended (Options.Now)
}

func (r *Reconciler) do(ctx context.Context, a Action) (string, error) {
	// A container that vanished since the list (removed by hand or by the
	// API) is no failure of the spec: the next pass plans without it.
	gone := func(err error) error {
		if errors.Is(err, engine.ErrNotFound) {
			r.wakeUp()
			return nil
		}
		return err
	}
	switch a.Kind {
	case KindStart:
		return a.ID, gone(r.engine.Start(ctx, a.ID))
	case KindStop:
		return a.ID, gone(r.engine.Stop(ctx, a.ID, engine.OwnStopTimeout))
	case KindRemove:
		// Graceful: the stop signal and the spec's grace period first; a
		// stopped container is removed, never a running one killed.
		if a.Running {
			if err := r.engine.Stop(ctx, a.ID, engine.OwnStopTimeout); err != nil {
				return a.ID, gone(err)
			}
		}
		return a.ID, gone(r.engine.Remove(ctx, a.ID))
	case KindServiceCreate, KindServiceUpdate, KindServiceRemove:
		id, err := r.doService(ctx, a)
		return id, gone(err)
	case KindCreate:
		id, err := r.create(ctx, a.Config)
		if err != nil || a.Stopped {
			return id, err
		}
		return id, r.engine.Start(ctx, id)
	}
	return "", fmt.Errorf("unknown action %q", a.Kind)
}

// create retries with the next slot when the name is taken by a container
// that is not ours (and so not seen by the planner).
func (r *Reconciler) create(ctx context.Context, cfg engine.Config) (string, error) {
	prefix, slot := cfg.Name, 0
	if i := strings.LastIndexByte(cfg.Name, '-'); i > 0 {
		if n, err := strconv.Atoi(cfg.Name[i+1:]); err == nil {
			prefix, slot = cfg.Name[:i], n
		}
	}
	for try := 0; ; try++ {
		id, err := r.engine.Create(ctx, cfg)
		if !errors.Is(err, engine.ErrNameInUse) || slot == 0 || try == 20 {
			return id, err
		}
		slot += 100 // far from the slots the planner hands out
		cfg.Name = prefix + "-" + strconv.Itoa(slot)
		labels := make(map[string]string, len(cfg.Labels))
		for k, v := range cfg.Labels {
			labels[k] = v
		}
		labels[engine.LabelSlot] = strconv.Itoa(slot)
		cfg.Labels = labels
	}
}

// actionTimeout bounds one action's engine calls.
const actionTimeout = 2 * time.Minute

// puller makes images present in the background: a pull can take minutes
// (or hang on a registry), and a pass must never wait for it, or one spec
// with a missing image would delay every other. A create of an image that
// is not known to be present starts a pull and is skipped; the pull's end
// triggers a pass, which creates, or fails the spec into its backoff.
type puller struct {
	mu       sync.Mutex
	present  map[string]bool
	inflight map[string]bool
	failed   map[string]error // finished pulls, not yet reported
	wg       sync.WaitGroup
}

func newPuller() *puller {
	return &puller{present: map[string]bool{}, inflight: map[string]bool{}, failed: map[string]error{}}
}

// ready reports whether image can be used now. While it is being pulled it
// returns false and no error; a failed pull is returned once, and the next
// call starts a new pull.
func (p *puller) ready(ctx context.Context, e engine.Engine, image string, done func()) (bool, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	switch {
	case p.present[image]:
		return true, nil
	case p.inflight[image]:
		return false, nil
	}
	if err, ok := p.failed[image]; ok {
		delete(p.failed, image)
		return false, err
	}
	// The common case is answered in the pass: the image is there.
	if ok, err := e.HasImage(ctx, image); err != nil {
		return false, err
	} else if ok {
		p.present[image] = true
		return true, nil
	}
	p.inflight[image] = true
	p.wg.Add(1)
	go func() {
		defer p.wg.Done()
		err := e.Pull(ctx, image)
		p.mu.Lock()
		delete(p.inflight, image)
		if err == nil {
			p.present[image] = true
		} else {
			p.failed[image] = err
		}
		p.mu.Unlock()
		done()
	}()
	return false, nil
}

// pulling reports whether a pull of image is under way.
func (p *puller) pulling(image string) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.inflight[image]
}

// forget drops what is known of image, after the engine said it is gone.
func (p *puller) forget(image string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	delete(p.present, image)
}

// wait returns when every pull has ended (their context is the Run's).
func (p *puller) wait() { p.wg.Wait() }
