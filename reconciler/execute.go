package reconciler

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"sync"
)

// Done is an executed action and its outcome, in the original API's terms.
type Done struct {
	Action
	OK  bool
	Err error
}

// execute runs the actions with at most parallel at once. Actions of one
// pass never depend on each other (Plan takes one step per spec), so any
// order is safe. It returns the outcomes in the order of the actions.
func (r *Reconciler) execute(ctx context.Context, actions []Action) []Done {
	out := make([]Done, len(actions))
	sem := make(chan struct{}, max(r.opts.Parallelism, 1))
	images := &imageCheck{done: map[string]*imageResult{}}
	var wg sync.WaitGroup
	for i, a := range actions {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			id, err := r.do(ctx, a, images)
			if a.Kind == KindCreate && id != "" {
				a.ID = id
			}
			out[i] = Done{Action: a, OK: err == nil, Err: err}
		}()
	}
	wg.Wait()
	return out
}

func (r *Reconciler) do(ctx context.Context, a Action, images *imageCheck) (string, error) {
	switch a.Kind {
	case KindStart:
		return a.ID, r.engine.Start(ctx, a.ID)
	case KindStop:
		return a.ID, r.engine.Stop(ctx, a.ID, r.opts.StopTimeout)
	case KindRemove:
		err := r.engine.Remove(ctx, a.ID)
		if errors.Is(err, ErrNotFound) {
			return a.ID, nil // already gone: the goal is met
		}
		return a.ID, err
	case KindCreate:
		if err := images.ensure(ctx, r.engine, a.Config.Image); err != nil {
			return "", err
		}
		id, err := r.create(ctx, a.Config)
		if err != nil {
			return "", err
		}
		return id, r.engine.Start(ctx, id)
	}
	return "", fmt.Errorf("unknown action %q", a.Kind)
}

// create retries with the next slot when the name is taken by a container
// that is not ours (and so not seen by the planner).
func (r *Reconciler) create(ctx context.Context, cfg ContainerConfig) (string, error) {
	prefix, slot := cfg.Name, 0
	if i := strings.LastIndexByte(cfg.Name, '-'); i > 0 {
		if n, err := strconv.Atoi(cfg.Name[i+1:]); err == nil {
			prefix, slot = cfg.Name[:i], n
		}
	}
	for try := 0; ; try++ {
		id, err := r.engine.Create(ctx, cfg)
		if !errors.Is(err, ErrNameInUse) || slot == 0 || try == 20 {
			return id, err
		}
		slot += 100 // far from the slots the planner hands out
		cfg.Name = prefix + "-" + strconv.Itoa(slot)
		labels := make(map[string]string, len(cfg.Labels))
		for k, v := range cfg.Labels {
			labels[k] = v
		}
		labels[LabelSlot] = strconv.Itoa(slot)
		cfg.Labels = labels
	}
}

// imageCheck makes one EnsureImage call per image per pass, shared by all
// the creates of that image.
type imageCheck struct {
	mu   sync.Mutex
	done map[string]*imageResult
}

type imageResult struct {
	once sync.Once
	err  error
}

func (c *imageCheck) ensure(ctx context.Context, e Engine, image string) error {
	c.mu.Lock()
	res := c.done[image]
	if res == nil {
		res = &imageResult{}
		c.done[image] = res
	}
	c.mu.Unlock()
	res.once.Do(func() { res.err = e.EnsureImage(ctx, image) })
	return res.err
}
