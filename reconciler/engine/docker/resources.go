package docker

import (
	"context"

	"maps"

	cerrdefs "github.com/containerd/errdefs"
	"github.com/docker/docker/api/types/network"
	"github.com/docker/docker/api/types/volume"

	"github.com/orchestrator/orchestrator/reconciler/engine"
)

// Labelled are labels with our managed-by and instance ones: what a
// volume or network of ours carries (the swarm adapter's overlay networks
// too).
func (d *Engine) Labelled(labels map[string]string) map[string]string {
	out := maps.Clone(labels)
	if out == nil {
		out = map[string]string{}
	}
	out[engine.LabelManagedBy] = engine.ManagedBy
	if d.instance != "" {
		out[engine.LabelInstance] = d.instance
	}
	return out
}

// EnsureVolume implements Engine.
func (d *Engine) EnsureVolume(ctx context.Context, name string, labels map[string]string) error {
	ctx, cancel := d.bounded(ctx, 0)
	defer cancel()
	v, err := d.cli.VolumeInspect(ctx, name)
	switch {
	case err == nil && d.ours(v.Labels):
		return nil
	case err == nil:
		return engine.KindErrorf(engine.ErrForeign, "volume %s exists and is not ours (made by hand, or by another instance): rename the spec's volume, or remove that one", name)
	case !cerrdefs.IsNotFound(err):
		return Classify("inspect volume", name, err)
	}
	if _, err := d.cli.VolumeCreate(ctx, volume.CreateOptions{Name: name, Labels: d.Labelled(labels)}); err != nil {
		return Classify("create volume", name, err)
	}
	return nil
}

// EnsureNetwork implements Engine: a bridge network.
func (d *Engine) EnsureNetwork(ctx context.Context, name string, labels map[string]string) error {
	ctx, cancel := d.bounded(ctx, 0)
	defer cancel()
	n, err := d.cli.NetworkInspect(ctx, name, network.InspectOptions{})
	switch {
	case err == nil && n.Name == name && d.ours(n.Labels):
		return nil
	case err == nil && n.Name == name:
		return engine.KindErrorf(engine.ErrForeign, "network %s exists and is not ours (made by hand, or by another instance): rename the spec's network, or remove that one", name)
	case err != nil && !cerrdefs.IsNotFound(err):
		return Classify("inspect network", name, err)
	}
	// Not found, or found by an id prefix only: ours does not exist yet.
	_, err = d.cli.NetworkCreate(ctx, name, network.CreateOptions{Driver: "bridge", Labels: d.Labelled(labels)})
	return Classify("create network", name, err)
}

// Volumes implements Engine.
func (d *Engine) Volumes(ctx context.Context) ([]engine.Volume, error) {
	ctx, cancel := d.bounded(ctx, 0)
	defer cancel()
	resp, err := d.cli.VolumeList(ctx, volume.ListOptions{Filters: d.filters()})
	if err != nil {
		return nil, Classify("list", "volumes", err)
	}
	var out []engine.Volume
	for _, v := range resp.Volumes {
		if d.ours(v.Labels) {
			out = append(out, engine.Volume{Name: v.Name, Labels: v.Labels})
		}
	}
	return out, nil
}

// Networks implements Engine. The list does not say who is attached: each
// of ours is inspected.
func (d *Engine) Networks(ctx context.Context) ([]engine.Network, error) {
	ctx, cancel := d.bounded(ctx, 0)
	defer cancel()
	list, err := d.cli.NetworkList(ctx, network.ListOptions{Filters: d.filters()})
	if err != nil {
		return nil, Classify("list", "networks", err)
	}
	var out []engine.Network
	for _, n := range list {
		if !d.ours(n.Labels) {
			continue
		}
		in, err := d.cli.NetworkInspect(ctx, n.ID, network.InspectOptions{})
		if cerrdefs.IsNotFound(err) {
			continue
		}
		if err != nil {
			return nil, Classify("inspect network", n.Name, err)
		}
		out = append(out, engine.Network{Name: n.Name, Labels: n.Labels, Containers: len(in.Containers)})
	}
	return out, nil
}

// RemoveVolume implements Engine.
func (d *Engine) RemoveVolume(ctx context.Context, name string) error {
	ctx, cancel := d.bounded(ctx, 0)
	defer cancel()
	v, err := d.cli.VolumeInspect(ctx, name)
	if err != nil {
		return Classify("inspect volume", name, err)
	}
	if !d.ours(v.Labels) {
		return engine.KindErrorf(engine.ErrForeign, "remove volume %s: not ours", name)
	}
	err = d.cli.VolumeRemove(ctx, name, false)
	if cerrdefs.IsConflict(err) {
		return engine.KindErrorf(engine.ErrInUse, "remove volume %s: %w", name, err)
	}
	return Classify("remove volume", name, err)
}

// RemoveNetwork implements Engine.
func (d *Engine) RemoveNetwork(ctx context.Context, name string) error {
	ctx, cancel := d.bounded(ctx, 0)
	defer cancel()
	n, err := d.cli.NetworkInspect(ctx, name, network.InspectOptions{})
	if err != nil {
		return Classify("inspect network", name, err)
	}
	switch {
	case n.Name != name:
		return engine.KindErrorf(engine.ErrNotFound, "remove network %s: no such network", name)
	case !d.ours(n.Labels):
		return engine.KindErrorf(engine.ErrForeign, "remove network %s: not ours", name)
	case len(n.Containers) > 0:
		return engine.KindErrorf(engine.ErrInUse, "remove network %s: %d containers attached", name, len(n.Containers))
	}
	// In use: by a container that joined since the inspect (a conflict or
	// a refusal), or, for an overlay network, by a swarm service or a task
	// on another node (Swarm's failed precondition, a 400).
	err = d.cli.NetworkRemove(ctx, n.ID)
	if cerrdefs.IsConflict(err) || cerrdefs.IsPermissionDenied(err) || cerrdefs.IsInvalidArgument(err) {
		return engine.KindErrorf(engine.ErrInUse, "remove network %s: %w", name, err)
	}
	return Classify("remove network", name, err)
}
