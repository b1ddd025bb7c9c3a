package reconciler

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/orchestrator/orchestrator/reconciler/engine"
)

// maxConflictRetries bounds the re-reads of a service whose version moved
// under an update (another writer, or Swarm itself recording an update's
// progress): each retry updates at the version just read.
const maxConflictRetries = 3

// asked remembers the spec hash the reconciler last asked of each service:
// Swarm's rollback restores the previous spec and forgets the failed one,
// so this is how a pass knows which version was rolled back, and does not
// ask for it again until the spec changes. A restarted serve has forgotten
// it, and relies on the engine's RolledBackFrom (the task history).
type asked struct {
	mu   sync.Mutex
	hash map[string]string // service ID -> spec hash
}

func (a *asked) set(id, hash string) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.hash == nil {
		a.hash = map[string]string{}
	}
	a.hash[id] = hash
}

// rolledBack fills RolledBackFrom of the services the engine rolled back,
// from what was asked of them, when this serve asked.
func (a *asked) rolledBack(services []engine.Service) {
	a.mu.Lock()
	defer a.mu.Unlock()
	for i, s := range services {
		if h, ok := a.hash[s.ID]; ok && s.Update.RolledBack() && h != s.SpecHash {
			services[i].RolledBackFrom = h
		}
	}
}

// plan is the pass's plan: of containers, or with an engine of services
// (Options.Services), of services, which lists them first.
func (r *Reconciler) plan(ctx context.Context, in Input) (map[string]*SpecPlan, error) {
	if r.opts.Services == nil {
		return Plan(in), nil
	}
	services, err := r.opts.Services.ListServices(ctx)
	if err != nil {
		return nil, fmt.Errorf("list services: %w", err)
	}
	r.asked.rolledBack(services)
	in.Short = r.short
	plan := PlanServices(in, services)
	short := map[string]time.Time{}
	for image, p := range plan {
		if p.Short {
			short[image] = in.Now
			if since, ok := r.short[image]; ok {
				short[image] = since
			}
		}
	}
	r.short = short
	return plan, nil
}

// doService runs a service action. An update whose version went stale is
// made again at the version read anew; a service gone already is no
// failure (ErrNotFound, as for a container).
func (r *Reconciler) doService(ctx context.Context, a Action) (string, error) {
	svcs := r.opts.Services
	if svcs == nil {
		return "", fmt.Errorf("%s %s: the engine runs no services", a.Kind, a.Name)
	}
	cfg := engine.ServiceConfig{Config: a.Config, Replicas: a.Replicas}
	hash := a.Config.Labels[engine.LabelSpecHash]
	switch a.Kind {
	case KindServiceCreate:
		id, err := svcs.CreateService(ctx, cfg)
		if err == nil {
			r.asked.set(id, hash)
		}
		return id, err
	case KindServiceUpdate:
		version := a.Version
		for try := 0; ; try++ {
			err := svcs.UpdateService(ctx, a.ID, version, cfg)
			if err == nil {
				r.asked.set(a.ID, hash)
			}
			if !errors.Is(err, engine.ErrConflict) || try == maxConflictRetries {
				return a.ID, err
			}
			if version, err = r.serviceVersion(ctx, a.ID); err != nil {
				return a.ID, err
			}
		}
	case KindServiceRemove:
		return a.ID, svcs.RemoveService(ctx, a.ID)
	}
	return "", fmt.Errorf("unknown action %q", a.Kind)
}

// serviceVersion re-reads a service's current version.
func (r *Reconciler) serviceVersion(ctx context.Context, id string) (uint64, error) {
	services, err := r.opts.Services.ListServices(ctx)
	if err != nil {
		return 0, fmt.Errorf("re-read service %s after a version conflict: %w", id, err)
	}
	for _, s := range services {
		if s.ID == id {
			return s.Version, nil
		}
	}
	return 0, engine.KindErrorf(engine.ErrNotFound, "service %s: gone", id)
}
