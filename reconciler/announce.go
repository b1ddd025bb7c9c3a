package reconciler

import (
	"context"

	"github.com/orchestrator/orchestrator/reconciler/discovery"
	"github.com/orchestrator/orchestrator/reconciler/engine"
)

// announceDone sends the discovery webhooks of a pass's successful actions.
// One List gives the ports of every container involved.
func (r *Reconciler) announceDone(ctx context.Context, done []Done) {
	var due []Done
	for _, d := range done {
		// A service's actions are not a container's: on a swarm the tasks'
		// own starts and stops are announced (announceTasks).
		containerEvent := d.Kind == KindCreate || d.Kind == KindStart || d.Kind == KindStop
		if d.OK && containerEvent && r.callbackOf(d.Image) != "" {
			due = append(due, d)
		}
	}
	if len(due) == 0 {
		return
	}
	cs, err := r.engine.List(ctx)
	if err != nil {
		r.log.Warn("webhook: list containers failed", "err", err)
		return
	}
	byID := map[string]engine.Container{}
	for _, c := range cs {
		byID[c.ID] = c
	}
	for _, d := range due {
		// A stopped spec's containers are created and not started.
		stopped := d.Kind == KindStop || d.Kind == KindCreate && d.Stopped
		r.deliver(ctx, d.Image, byID[d.ID], d.ID, d.Name, string(d.Kind), stopped)
	}
}

// Announce delivers the webhook of a container event that the API caused
// (a PATCH to running or stopped). The delivery outlives the request that
// caused it; its own timeout bounds it. On an engine of services there is
// nothing to do here: a task's stop, whoever caused it, is announced by
// the pass that sees it (announceTasks), and only once.
func (r *Reconciler) Announce(ctx context.Context, image, containerID, event string) {
	if r.opts.Services != nil || r.callbackOf(image) == "" {
		return
	}
	ctx = context.WithoutCancel(ctx)
	cs, err := r.engine.List(ctx)
	if err != nil {
		r.log.Warn("webhook: list containers failed", "err", err)
		return
	}
	for _, c := range cs {
		if c.ID == containerID {
			r.deliver(ctx, image, c, c.ID, c.Name, event, event == string(KindStop))
			return
		}
	}
}

func (r *Reconciler) callbackOf(image string) string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.desired[image].Env[discovery.Env]
}

func (r *Reconciler) deliver(ctx context.Context, image string, c engine.Container, id, name, event string, stopped bool) {
	status := "running"
	if stopped {
		status = "stopped"
	}
	ports := map[string][]discovery.PortBinding{}
	for k, bs := range c.Ports {
		for _, b := range bs {
			ports[k] = append(ports[k], discovery.PortBinding{HostIP: b.HostIP, HostPort: b.HostPort})
		}
		if bs == nil {
			ports[k] = nil
		}
	}
	r.hooks.Send(ctx, r.callbackOf(image), discovery.Body{Image: image, ContainerID: id, Name: name, Host: r.opts.Host,
		Ports: ports, Status: status, Event: event})
}
