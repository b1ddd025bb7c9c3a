package swarm

import (
	"context"

	cerrdefs "github.com/containerd/errdefs"
	"github.com/docker/docker/api/types/network"
	"github.com/docker/docker/api/types/swarm"

	"github.com/orchestrator/orchestrator/reconciler/engine"
)

// EnsureNetwork implements engine.Engine: on a swarm a spec's network is
// an overlay network, which its service's tasks join on every node (a
// bridge is one node's, and Swarm refuses it for services). It is
// attachable, so a plain container can join it to debug (`docker run
// --network`), as a stack's networks can be made.
func (e *Engine) EnsureNetwork(ctx context.Context, name string, labels map[string]string) error {
	ctx, cancel := e.bounded(ctx)
	defer cancel()
	n, err := e.cli.NetworkInspect(ctx, name, network.InspectOptions{})
	// A node-local network (a bridge) cannot carry a service; the inspect
	// of an overlay network just made may not name its driver yet, but
	// its scope is the swarm's.
	local := n.Scope == "local" || n.Driver == "bridge"
	switch {
	case err == nil && n.Name == name && e.ours(n.Labels) && !local:
		return nil
	case err == nil && n.Name == name && e.ours(n.Labels):
		return engine.KindErrorf(engine.ErrForeign, "network %s is a %s network, made by serve --engine docker: a swarm service needs an overlay network: "+
			"remove it (orchestrator down, or docker network rm %s) and it is made again", name, n.Driver, name)
	case err == nil && n.Name == name:
		return engine.KindErrorf(engine.ErrForeign, "network %s exists and is not ours (made by hand, or by another instance): rename the spec's network, or remove that one", name)
	case err != nil && !cerrdefs.IsNotFound(err):
		return classify("inspect network", name, err)
	}
	_, err = e.cli.NetworkCreate(ctx, name, network.CreateOptions{Driver: "overlay", Attachable: true, Labels: e.Labelled(labels)})
	return classify("create network", name, err)
}

// attachmentsOf is the task's networks, each with its aliases: the spec's
// name answers there, beside the service's own name.
func attachmentsOf(ns []engine.NetworkAttachment) []swarm.NetworkAttachmentConfig {
	var out []swarm.NetworkAttachmentConfig
	for _, n := range ns {
		out = append(out, swarm.NetworkAttachmentConfig{Target: n.Name, Aliases: n.Aliases})
	}
	return out
}
