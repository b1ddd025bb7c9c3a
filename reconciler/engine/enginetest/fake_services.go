package enginetest

import (
	"context"
	"maps"
	"sort"
	"strconv"
	"sync"
	"time"

	"github.com/orchestrator/orchestrator/reconciler/engine"
)

// FakeServices is an in-memory engine.Services with Swarm's rules that the
// reconciler relies on: unique names, a version bumped by every update and
// checked by the next, assigned ports for port 0, our labels only. Its
// ByHand methods act as a person (or Swarm's own rollback) would.
type FakeServices struct {
	Instance string // stamped on and required of every service, as the adapter's
	// Now is the clock of Changed; nil is time.Now.
	Now func() time.Time

	mu       sync.Mutex
	services map[string]*engine.Service
	next     int
	nextPort int
	calls    map[string]int
}

// NewFakeServices returns an empty fake of instance.
func NewFakeServices(instance string) *FakeServices {
	return &FakeServices{Instance: instance, services: map[string]*engine.Service{}, nextPort: 30000, calls: map[string]int{}}
}

// ListServices implements engine.Services.
func (f *FakeServices) ListServices(context.Context) ([]engine.Service, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls["list"]++
	var out []engine.Service
	for _, s := range f.services {
		if s.Labels[engine.LabelManagedBy] == engine.ManagedBy && s.Labels[engine.LabelInstance] == f.Instance {
			out = append(out, clone(*s))
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out, nil
}

// CreateService implements engine.Services.
func (f *FakeServices) CreateService(_ context.Context, cfg engine.ServiceConfig) (string, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls["create"]++
	for _, s := range f.services {
		if s.Name == cfg.Config.Name {
			return "", engine.KindErrorf(engine.ErrNameInUse, "create service %s: name in use", cfg.Config.Name)
		}
	}
	f.next++
	id := "svc" + strconv.Itoa(f.next)
	s := &engine.Service{ID: id, Name: cfg.Config.Name}
	f.apply(s, cfg)
	f.services[id] = s
	return id, nil
}

// UpdateService implements engine.Services.
func (f *FakeServices) UpdateService(_ context.Context, id string, version uint64, cfg engine.ServiceConfig) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls["update"]++
	s, ok := f.services[id]
	switch {
	case !ok:
		return engine.KindErrorf(engine.ErrNotFound, "update service %s: no such service", id)
	case s.Version != version:
		return engine.KindErrorf(engine.ErrConflict, "update service %s at version %d: update out of sequence (now %d)", id, version, s.Version)
	}
	f.apply(s, cfg)
	s.Update = engine.UpdateStatus{State: engine.UpdateUpdating, Message: "update in progress"}
	return nil
}

// RemoveService implements engine.Services.
func (f *FakeServices) RemoveService(_ context.Context, id string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls["remove"]++
	if _, ok := f.services[id]; !ok {
		return engine.KindErrorf(engine.ErrNotFound, "remove service %s: no such service", id)
	}
	delete(f.services, id)
	return nil
}

// apply sets cfg on s and bumps its version, as Swarm does.
func (f *FakeServices) apply(s *engine.Service, cfg engine.ServiceConfig) {
	labels := maps.Clone(cfg.Config.Labels)
	if labels == nil {
		labels = map[string]string{}
	}
	if f.Instance != "" {
		labels[engine.LabelInstance] = f.Instance
	}
	ports := map[string][]engine.PortBinding{}
	for key, p := range cfg.Config.Ports {
		if p == 0 { // keep an assigned port across updates, as Swarm does
			if old := s.Ports[key]; len(old) > 0 {
				ports[key] = old
				continue
			}
			p = f.nextPort
			f.nextPort++
		}
		ports[key] = []engine.PortBinding{{HostIP: "0.0.0.0", HostPort: strconv.Itoa(p)}}
	}
	s.Image, s.SpecHash, s.Labels = labels[engine.LabelImage], labels[engine.LabelSpecHash], labels
	s.Replicas, s.Ports = cfg.Replicas, ports
	s.Version++
	s.Changed = time.Now()
	if f.Now != nil {
		s.Changed = f.Now()
	}
}

// SetTaskErrorByHand records a task failure of a service, as Swarm's
// task history would show it.
func (f *FakeServices) SetTaskErrorByHand(id, taskError string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if s, ok := f.services[id]; ok {
		s.TaskError = taskError
	}
}

// SetUpdateByHand sets a service's update status, as Swarm's rolling
// update (or its rollback) moves it.
func (f *FakeServices) SetUpdateByHand(id string, u engine.UpdateStatus) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if s, ok := f.services[id]; ok {
		s.Update = u
	}
}

// AddForeignByHand creates a service without our labels, as a person with
// `docker service create` would; it returns its ID.
func (f *FakeServices) AddForeignByHand(name string, labels map[string]string) string {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.next++
	id := "svc" + strconv.Itoa(f.next)
	f.services[id] = &engine.Service{ID: id, Name: name, Labels: maps.Clone(labels), Replicas: 1, Version: 1}
	return id
}

// BumpVersionByHand changes a service behind the reconciler's back: the
// version it listed is stale.
func (f *FakeServices) BumpVersionByHand(id string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if s, ok := f.services[id]; ok {
		s.Version++
	}
}

// Calls is how often op (list, create, update, remove) was called.
func (f *FakeServices) Calls(op string) int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.calls[op]
}

func clone(s engine.Service) engine.Service {
	s.Labels = maps.Clone(s.Labels)
	s.Ports = maps.Clone(s.Ports)
	return s
}

var _ engine.Services = (*FakeServices)(nil)
