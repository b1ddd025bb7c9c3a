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

// ListServices implements engine.Services. The task history is read only
// for the services it can tell something of (historyOf): one rolled back,
// or running fewer tasks than it wants (Swarm's ServiceStatus). A
// converged swarm costs one call per pass here, besides List's.
func (e *Engine) ListServices(ctx context.Context) ([]engine.Service, error) {
	services, tasks, err := e.servicesAndTasks(ctx, true)
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

// servicesAndTasks lists our services, by name, and the tasks, history
// included, of all of them, or with unsettled of those rolled back,
// updating, or short of running tasks.
func (e *Engine) servicesAndTasks(ctx context.Context, unsettled bool) ([]engine.Service, []swarm.Task, error) {
	for try := 1; ; try++ {
		services, short, err := e.services(ctx, unsettled)
		if err != nil || len(services) == 0 {
			return services, nil, err
		}
		f := filters.NewArgs()
		for _, s := range services {
			if !unsettled || short[s.ID] || s.Update.RolledBack() || s.Update.InProgress() {
				f.Add("service", s.ID)
			}
		}
		if f.Len() == 0 {
			return services, nil, nil
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

// services lists our services, by name; with status, also which of them
// run fewer tasks than they want.
func (e *Engine) services(ctx context.Context, status bool) ([]engine.Service, map[string]bool, error) {
	ctx, cancel := e.bounded(ctx)
	defer cancel()
	list, err := e.cli.ServiceList(ctx, swarm.ServiceListOptions{Filters: e.filters(), Status: status})
	if err != nil {
		return nil, nil, classify("list", "services", err)
	}
	out := make([]engine.Service, 0, len(list))
	short := map[string]bool{}
	for _, s := range list {
		if !e.ours(s.Spec.Labels) {
			continue
		}
		svc := serviceOf(s)
		e.remember(svc.Name, svc.Image)
		out = append(out, svc)
		if st := s.ServiceStatus; st != nil && st.RunningTasks < st.DesiredTasks {
			short[s.ID] = true
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out, short, nil
}

// fromTasks fills in what each service's task history says (historyOf).
func (e *Engine) fromTasks(ctx context.Context, services []engine.Service, tasks []swarm.Task) {
	byService := map[string][]swarm.Task{}
	for _, t := range tasks {
		byService[t.ServiceID] = append(byService[t.ServiceID], t)
	}
	for i := range services {
		historyOf(&services[i], byService[services[i].ID], func(id string) string { return e.nodeName(ctx, id) })
	}
}

// historyOf reads a service's task history (Swarm keeps a few tasks per
// slot). For a service Swarm rolled back: RolledBackFrom, the spec hash
// of the newest task begun since the update began that is not of the
// current version — the version that failed (a restarted serve so knows
// not to ask for it again; older versions' tasks, which a slot may keep
// longer, predate the update) — and TaskError, its newest failure of a
// task made since then. For any other: TaskError, the newest failure of a
// task of the current version made since the service last changed (a
// version returned to may have failed long before), else why one waits to
// be placed (Unplaced). Tasks are told apart by when the manager made
// them, not by their status times, which a worker's clock sets. nodeName
// names a node by its ID.
func historyOf(svc *engine.Service, tasks []swarm.Task, nodeName func(id string) string) {
	version, since := svc.SpecHash, svc.Changed
	if svc.Update.RolledBack() {
		var newest time.Time
		for _, t := range tasks {
			hash := hashOf(t)
			if hash == svc.SpecHash || svc.Update.Started.IsZero() || t.CreatedAt.Before(svc.Update.Started) || !t.CreatedAt.After(newest) {
				continue
			}
			newest, svc.RolledBackFrom = t.CreatedAt, hash
		}
		version, since = svc.RolledBackFrom, svc.Update.Started
	}
	if version == "" {
		return
	}
	var newest time.Time
	for _, t := range tasks {
		if hashOf(t) != version || t.Status.Err == "" {
			continue
		}
		switch t.Status.State {
		case swarm.TaskStateFailed, swarm.TaskStateRejected:
			if !t.CreatedAt.Before(since) && t.Status.Timestamp.After(newest) {
				newest = t.Status.Timestamp
				svc.TaskError = fmt.Sprintf("task %d on %s: %s", t.Slot, nodeName(t.NodeID), t.Status.Err)
			}
		case swarm.TaskStatePending:
			// Not placed: no node meets the placement, or has room
			// ("no suitable node (…)"). Current, however old.
			if t.DesiredState == swarm.TaskStateRunning && (svc.Unplaced == "" || t.CreatedAt.Before(svc.UnplacedSince)) {
				svc.Unplaced, svc.UnplacedSince = fmt.Sprintf("task %d: %s", t.Slot, t.Status.Err), t.CreatedAt
			}
		}
	}
	if svc.TaskError == "" {
		svc.TaskError = svc.Unplaced
	}
}

// hashOf is the spec hash of a task's version.
func hashOf(t swarm.Task) string {
	if t.Spec.ContainerSpec == nil {
		return ""
	}
	return t.Spec.ContainerSpec.Labels[engine.LabelSpecHash]
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
		if u.StartedAt != nil {
			svc.Update.Started = *u.StartedAt
		}
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
	resp, err := e.cli.ServiceCreate(ctx, ServiceSpec(cfg, e.instance), swarm.ServiceCreateOptions{QueryRegistry: false})
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
	_, err := e.cli.ServiceUpdate(ctx, id, swarm.Version{Index: version}, ServiceSpec(cfg, e.instance), swarm.ServiceUpdateOptions{QueryRegistry: false})
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
