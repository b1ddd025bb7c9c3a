package enginetest

import (
	"context"
	"maps"
	"slices"

	"github.com/orchestrator/orchestrator/reconciler/engine"
)

// fakeResources are the fake's volumes and networks, by name: labels, nil
// for a foreign one (made by hand).
type fakeResources struct {
	volumes  map[string]map[string]string
	networks map[string]map[string]string
	attached map[string]int // foreign containers on a network
}

func (f *Fake) res() *fakeResources {
	if f.resources == nil {
		f.resources = &fakeResources{volumes: map[string]map[string]string{}, networks: map[string]map[string]string{}, attached: map[string]int{}}
	}
	return f.resources
}

// AddForeignVolume makes a volume by hand, without our labels.
func (f *Fake) AddForeignVolume(name string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.res().volumes[name] = nil
}

// AddForeignNetwork makes a network by hand, with foreign containers
// attached to it.
func (f *Fake) AddForeignNetwork(name string, containers int) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.res().networks[name] = nil
	f.res().attached[name] = containers
}

// AttachForeign attaches a container that is not ours to a network.
func (f *Fake) AttachForeign(network string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.res().attached[network]++
}

// HasVolume reports whether a volume of that name exists, ours or not.
func (f *Fake) HasVolume(name string) bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	_, ok := f.res().volumes[name]
	return ok
}

// HasNetwork reports whether a network of that name exists, ours or not.
func (f *Fake) HasNetwork(name string) bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	_, ok := f.res().networks[name]
	return ok
}

// Config is the configuration a container was created with.
func (f *Fake) Config(id string) engine.Config {
	f.mu.Lock()
	defer f.mu.Unlock()
	if c, ok := f.containers[id]; ok {
		return c.cfg
	}
	return engine.Config{}
}

// EnsureVolume implements engine.Engine.
func (f *Fake) EnsureVolume(ctx context.Context, name string, labels map[string]string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.ensure("volume", f.res().volumes, name, labels)
}

// EnsureNetwork implements engine.Engine.
func (f *Fake) EnsureNetwork(ctx context.Context, name string, labels map[string]string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.ensure("network", f.res().networks, name, labels)
}

func (f *Fake) ensure(kind string, m map[string]map[string]string, name string, labels map[string]string) error {
	if err := f.call("ensure-" + kind); err != nil {
		return err
	}
	have, ok := m[name]
	switch {
	case !ok:
		l := maps.Clone(labels)
		if l == nil {
			l = map[string]string{}
		}
		l[engine.LabelManagedBy] = engine.ManagedBy
		m[name] = l
		return nil
	case have[engine.LabelManagedBy] != engine.ManagedBy:
		return engine.KindErrorf(engine.ErrForeign, "%s %s exists and is not ours", kind, name)
	}
	return nil
}

// Volumes implements engine.Engine.
func (f *Fake) Volumes(ctx context.Context) ([]engine.Volume, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if err := f.call("volumes"); err != nil {
		return nil, err
	}
	var out []engine.Volume
	for _, name := range slices.Sorted(maps.Keys(f.res().volumes)) {
		if l := f.res().volumes[name]; l[engine.LabelManagedBy] == engine.ManagedBy {
			out = append(out, engine.Volume{Name: name, Labels: maps.Clone(l)})
		}
	}
	return out, nil
}

// Networks implements engine.Engine.
func (f *Fake) Networks(ctx context.Context) ([]engine.Network, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if err := f.call("networks"); err != nil {
		return nil, err
	}
	var out []engine.Network
	for _, name := range slices.Sorted(maps.Keys(f.res().networks)) {
		if l := f.res().networks[name]; l[engine.LabelManagedBy] == engine.ManagedBy {
			out = append(out, engine.Network{Name: name, Labels: maps.Clone(l), Containers: f.onNetwork(name)})
		}
	}
	return out, nil
}

// onNetwork counts the containers attached to a network.
func (f *Fake) onNetwork(name string) int {
	n := f.res().attached[name]
	for _, c := range f.containers {
		for _, a := range c.cfg.Networks {
			if a.Name == name {
				n++
			}
		}
	}
	return n
}

// usesVolume reports whether a container (any state) mounts the volume.
func (f *Fake) usesVolume(name string) bool {
	for _, c := range f.containers {
		for _, m := range c.cfg.Mounts {
			if m.Type == engine.MountVolume && m.Source == name {
				return true
			}
		}
	}
	return false
}

// RemoveVolume implements engine.Engine.
func (f *Fake) RemoveVolume(ctx context.Context, name string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if err := f.call("remove-volume"); err != nil {
		return err
	}
	l, ok := f.res().volumes[name]
	switch {
	case !ok:
		return engine.KindErrorf(engine.ErrNotFound, "remove volume %s: no such volume", name)
	case l[engine.LabelManagedBy] != engine.ManagedBy:
		return engine.KindErrorf(engine.ErrForeign, "remove volume %s: not ours", name)
	case f.usesVolume(name):
		return engine.KindErrorf(engine.ErrInUse, "remove volume %s: in use", name)
	}
	delete(f.res().volumes, name)
	return nil
}

// RemoveNetwork implements engine.Engine.
func (f *Fake) RemoveNetwork(ctx context.Context, name string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if err := f.call("remove-network"); err != nil {
		return err
	}
	l, ok := f.res().networks[name]
	switch {
	case !ok:
		return engine.KindErrorf(engine.ErrNotFound, "remove network %s: no such network", name)
	case l[engine.LabelManagedBy] != engine.ManagedBy:
		return engine.KindErrorf(engine.ErrForeign, "remove network %s: not ours", name)
	case f.onNetwork(name) > 0:
		return engine.KindErrorf(engine.ErrInUse, "remove network %s: in use", name)
	}
	delete(f.res().networks, name)
	return nil
}

// missingNetwork is the first network of cfg that does not exist.
func (f *Fake) missingNetwork(cfg engine.Config) string {
	for _, a := range cfg.Networks {
		if _, ok := f.res().networks[a.Name]; !ok {
			return a.Name
		}
	}
	return ""
}
