package swarm

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"time"

	cerrdefs "github.com/containerd/errdefs"
	"github.com/docker/docker/api/types/filters"
	"github.com/docker/docker/api/types/swarm"

	"github.com/orchestrator/orchestrator/reconciler/engine"
	"github.com/orchestrator/orchestrator/reconciler/engine/docker"
)

// ListServices implements engine.Services.
func (e *Engine) ListServices(ctx context.Context) ([]engine.Service, error) {
	services, tasks, err := e.servicesAndTasks(ctx)
	if err != nil {
		return nil, err
	}
	e.fromTasks(ctx, services, tasks)
	return services, nil
}

// maxTaskListTries bounds the lists of services and their tasks when a
// service goes between the two (its removal races the task list, which
// Swarm then refuses as a whole).
const maxTaskListTries = 3

// servicesAndTasks lists our services, by name, and their tasks, history
// included.
func (e *Engine) servicesAndTasks(ctx context.Context) ([]engine.Service, []swarm.Task, error) {
	for try := 1; ; try++ {
		services, err := e.services(ctx)
		if err != nil || len(services) == 0 {
			return services, nil, err
		}
		f := filters.NewArgs()
		for _, s := range services {
			f.Add("service", s.ID)
		}
		tctx, cancel := e.bounded(ctx)
		tasks, err := e.cli.TaskList(tctx, swarm.TaskListOptions{Filters: f})
		cancel()
		if err == nil {
			return services, tasks, nil
		}
		if err = classify("list", "tasks", err); !errors.Is(err, engine.ErrNotFound) || try == maxTaskListTries {
			return nil, nil, err
		}
	}
}

// services lists our services, by name.
func (e *Engine) services(ctx context.Context) ([]engine.Service, error) {
	ctx, cancel := e.bounded(ctx)
	defer cancel()
	list, err := e.cli.ServiceList(ctx, swarm.ServiceListOptions{Filters: e.filters()})
	if err != nil {
		return nil, classify("list", "services", err)
	}
	out := make([]engine.Service, 0, len(list))
	for _, s := range list {
		if !e.ours(s.Spec.Labels) {
			continue
		}
		svc := serviceOf(s)
		e.remember(svc.Name, svc.Image)
		out = append(out, svc)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out, nil
}

// fromTasks fills in what a service's task history says (Swarm keeps a few
// tasks per slot): TaskError, from the newest task of its current version
// that failed or was rejected; and for a service Swarm rolled back,
// RolledBackFrom, the spec hash of the newest task of another version than
// the current one, the version that failed (a restarted serve so knows
// not to ask for it again).
func (e *Engine) fromTasks(ctx context.Context, services []engine.Service, tasks []swarm.Task) {
	at := map[string]int{}
	for i, s := range services {
		at[s.ID] = i
	}
	failedAt, otherAt := map[string]time.Time{}, map[string]time.Time{}
	for _, t := range tasks {
		i, ours := at[t.ServiceID]
		if !ours || t.Spec.ContainerSpec == nil {
			continue
		}
		svc := &services[i]
		hash := t.Spec.ContainerSpec.Labels[engine.LabelSpecHash]
		if hash != svc.SpecHash {
			if svc.Update.RolledBack() && t.CreatedAt.After(otherAt[t.ServiceID]) {
				otherAt[t.ServiceID], svc.RolledBackFrom = t.CreatedAt, hash
			}
			continue
		}
		failed := t.Status.State == swarm.TaskStateFailed || t.Status.State == swarm.TaskStateRejected
		if failed && t.Status.Err != "" && t.Status.Timestamp.After(failedAt[t.ServiceID]) {
			failedAt[t.ServiceID] = t.Status.Timestamp
			svc.TaskError = fmt.Sprintf("task %d on %s: %s", t.Slot, e.nodeName(ctx, t.NodeID), t.Status.Err)
		}
	}
}

// serviceOf is s in our terms.
func serviceOf(s swarm.Service) engine.Service {
	svc := engine.Service{
		ID: s.ID, Name: s.Spec.Name, Image: s.Spec.Labels[engine.LabelImage], SpecHash: s.Spec.Labels[engine.LabelSpecHash],
		Version: s.Version.Index, Labels: s.Spec.Labels, Ports: portsOf(s.Endpoint.Ports), Changed: s.UpdatedAt,
	}
	if r := s.Spec.Mode.Replicated; r != nil && r.Replicas != nil {
		svc.Replicas = int(*r.Replicas)
	}
	if u := s.UpdateStatus; u != nil {
		svc.Update = engine.UpdateStatus{State: string(u.State), Message: u.Message}
	}
	return svc
}

// portsOf reads the published ports, the assigned ones too, as
// Container.Ports does: "80/tcp" -> the port on every node (routing mesh).
func portsOf(ps []swarm.PortConfig) map[string][]engine.PortBinding {
	out := map[string][]engine.PortBinding{}
	for _, p := range ps {
		key := strconv.Itoa(int(p.TargetPort)) + "/" + string(p.Protocol)
		if p.PublishedPort == 0 {
			continue
		}
		out[key] = append(out[key], engine.PortBinding{HostIP: "0.0.0.0", HostPort: strconv.Itoa(int(p.PublishedPort))})
	}
	return out
}

// CreateService implements engine.Services. The image is used by its
// name, not resolved to a registry digest (QueryRegistry false): images
// built on the node and never pushed run too.
func (e *Engine) CreateService(ctx context.Context, cfg engine.ServiceConfig) (string, error) {
	ctx, cancel := e.bounded(ctx)
	defer cancel()
	resp, err := e.cli.ServiceCreate(ctx, e.serviceSpec(cfg), swarm.ServiceCreateOptions{QueryRegistry: false})
	switch {
	case cerrdefs.IsConflict(err) || err != nil && strings.Contains(err.Error(), "name conflicts with an existing object"):
		return "", engine.KindErrorf(engine.ErrNameInUse, "create service %s: name in use: %w", cfg.Config.Name, err)
	case err != nil:
		return "", classify("create service", cfg.Config.Name, err)
	}
	e.remember(cfg.Config.Name, cfg.Config.Labels[engine.LabelImage])
	return resp.ID, nil
}

// UpdateService implements engine.Services: Swarm rolls the tasks to the
// new spec by the service's update config.
func (e *Engine) UpdateService(ctx context.Context, id string, version uint64, cfg engine.ServiceConfig) error {
	ctx, cancel := e.bounded(ctx)
	defer cancel()
	_, err := e.cli.ServiceUpdate(ctx, id, swarm.Version{Index: version}, e.serviceSpec(cfg), swarm.ServiceUpdateOptions{QueryRegistry: false})
	// swarmkit says "update out of sequence" for a stale version, with no
	// status code of its own across engine versions.
	if err != nil && strings.Contains(err.Error(), "update out of sequence") {
		return engine.KindErrorf(engine.ErrConflict, "update service %s at version %d: %w", id, version, err)
	}
	return classify("update service", id, err)
}

// RemoveService implements engine.Services.
func (e *Engine) RemoveService(ctx context.Context, id string) error {
	ctx, cancel := e.bounded(ctx)
	defer cancel()
	return classify("remove service", id, e.cli.ServiceRemove(ctx, id))
}

// classify is the Docker adapter's, plus a service update at a stale
// version: ErrConflict, which the reconciler reads again and retries.
func classify(op, what string, err error) error {
	if cerrdefs.IsConflict(err) {
		return engine.KindErrorf(engine.ErrConflict, "%s %s: %w", op, what, err)
	}
	return docker.Classify(op, what, err)
}
