package engine

import (
	"context"
	"strings"
	"time"
)

// Services is the seam to an engine that runs a spec as one replicated
// service and does its own rollouts (Docker Swarm): the reconciler declares
// the service it wants and the engine's scheduler places, replaces and
// updates the tasks. It is narrow on purpose: what the reconciler's
// service pass needs, no more. The containers of the services (the tasks)
// are still listed through Engine.List.
type Services interface {
	// ListServices returns our services (managed-by label, and our
	// instance): a service without them is never listed, changed or
	// removed.
	ListServices(ctx context.Context) ([]Service, error)
	// CreateService creates a service; a taken name wraps ErrNameInUse.
	CreateService(ctx context.Context, cfg ServiceConfig) (id string, err error)
	// UpdateService replaces the spec of the service at version (the
	// Version last listed); a version that is no longer current wraps
	// ErrConflict, an unknown id ErrNotFound.
	UpdateService(ctx context.Context, id string, version uint64, cfg ServiceConfig) error
	// RemoveService removes a service and so its tasks; unknown wraps
	// ErrNotFound.
	RemoveService(ctx context.Context, id string) error
}

// ServiceConfig is a service as the reconciler wants it: the container
// every task runs, and how many.
type ServiceConfig struct {
	// Config is the tasks' container: Name is the service's name, Labels
	// go on both the service and its tasks, Ports are published through
	// the routing mesh (0: the engine assigns one), StopTimeout is the
	// stop grace period.
	Config   Config
	Replicas int
}

// Update states of a service's rolling update (Swarm's UpdateStatus.State).
const (
	UpdateNone              = "" // never updated
	UpdateUpdating          = "updating"
	UpdatePaused            = "paused"
	UpdateCompleted         = "completed"
	UpdateRollbackStarted   = "rollback_started"
	UpdateRollbackPaused    = "rollback_paused"
	UpdateRollbackCompleted = "rollback_completed"
)

// UpdateStatus is where the service's last rolling update is.
type UpdateStatus struct {
	State   string
	Message string
	// Started is when the update began; a rollback keeps it.
	Started time.Time
}

// InProgress reports whether the engine is still moving tasks.
func (u UpdateStatus) InProgress() bool {
	return u.State == UpdateUpdating || u.State == UpdateRollbackStarted
}

// RolledBack reports whether the engine undid the last update: the new
// version failed, and the service runs the one before it.
func (u UpdateStatus) RolledBack() bool {
	return strings.HasPrefix(u.State, "rollback_")
}

// Service is one of our services as the engine reports it.
type Service struct {
	ID       string
	Name     string
	Image    string // LabelImage: the spec it belongs to
	SpecHash string // LabelSpecHash
	Replicas int
	// Version is the engine's version of the service's spec, for
	// UpdateService.
	Version uint64
	Labels  map[string]string
	// Ports are the published ports, as Container.Ports reads them: the
	// ones the engine assigned for a spec's port 0 too.
	Ports  map[string][]PortBinding
	Update UpdateStatus
	// Changed is when the service last changed (Swarm's UpdatedAt): its
	// tasks have had since then to start.
	Changed time.Time
	// TaskError is why its newest failed task of its current version (of
	// the version rolled back from, after a rollback) failed ("task 2 on
	// node-a: ..."), "" when none failed: what a service that does not
	// start, or a rollback, reports.
	TaskError string
	// Unplaced is why a task of the current version waits to be placed
	// ("task 2: no suitable node (…)"), and UnplacedSince since when (its
	// creation). A rolling update whose new task no node can take stalls,
	// Swarm waiting for it without end: the reconciler reports that once
	// it has lasted the ready timeout.
	Unplaced      string
	UnplacedSince time.Time
	// RolledBackFrom is the spec hash of the version the engine rolled
	// back from (Swarm's rollback restores the previous spec and clears
	// PreviousSpec: the adapter reads it from the failed version's tasks,
	// the reconciler knows what it asked): that version is not asked for
	// again until the spec changes.
	RolledBackFrom string
}
