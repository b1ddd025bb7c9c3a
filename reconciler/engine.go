// Package reconciler makes the Docker engine match the specs of the state
// directory. A pass loads a snapshot, lists the managed containers once,
// computes a plan with the pure function Plan, and executes it through the
// narrow Engine interface. File events, engine events and a periodic resync
// only wake it up.
package reconciler

import (
	"context"
	"errors"
	"fmt"
	"time"
)

// Labels on every container the orchestrator creates. A container without
// LabelManagedBy=ManagedBy (and, with an instance set, the instance label) is
// never listed, counted or touched.
const (
	LabelImage     = "orchestrator.image" // the original's key: the spec's image
	LabelSpecHash  = "orchestrator.spec-hash"
	LabelManagedBy = "orchestrator.managed-by"
	LabelInstance  = "orchestrator.instance"
	LabelSlot      = "orchestrator.slot"
	ManagedBy      = "orchestrator"
)

// Errors an Engine classifies, for errors.Is.
var (
	// ErrNotFound: no such container (or image).
	ErrNotFound = errors.New("not found")
	// ErrNameInUse: a container of that name exists already.
	ErrNameInUse = errors.New("container name in use")
	// ErrImageUnavailable: the image is not present and could not be pulled.
	ErrImageUnavailable = errors.New("image unavailable")
)

// kindError is an engine error of one of the kinds above: errors.Is
// matches the kind, its message is its own, and the cause is wrapped last.
type kindError struct {
	kind error
	err  error
}

func (e *kindError) Error() string        { return e.err.Error() }
func (e *kindError) Is(target error) bool { return target == e.kind }
func (e *kindError) Unwrap() error        { return e.err }

// KindErrorf is fmt.Errorf (a cause with %w goes last) made an error of
// kind, one of ErrNotFound, ErrNameInUse, ErrImageUnavailable: for engines.
func KindErrorf(kind error, format string, args ...any) error {
	return &kindError{kind: kind, err: fmt.Errorf(format, args...)}
}

// Container is a managed container as the engine reports it.
type Container struct {
	ID       string
	Name     string
	Image    string // LabelImage: the spec it belongs to
	SpecHash string // LabelSpecHash
	Slot     int
	State    string // Docker's word: created, running, restarting, paused, exited, dead, removing
	Health   string // Docker HEALTHCHECK status: "", starting, healthy, unhealthy
	// Held: the operator stopped it through the API (restart policy "no").
	// The reconciler neither counts, starts nor removes it.
	Held         bool
	RestartCount int
	Created      time.Time
	Started      time.Time                // the last start (Docker's State.StartedAt)
	Ports        map[string][]PortBinding // like Docker's NetworkSettings.Ports
	Labels       map[string]string
}

// PortBinding is one published port.
type PortBinding struct {
	HostIP   string `json:"HostIp"`
	HostPort string `json:"HostPort"`
}

// Active reports whether the container counts as running (DESIGN.md §4).
func (c Container) Active() bool { return c.State == "running" || c.State == "restarting" }

// Ready reports whether it is running and not failing its health check.
func (c Container) Ready() bool {
	return c.State == "running" && (c.Health == "" || c.Health == "healthy")
}

// Stable reports whether it has been Ready for at least minReady since its
// last start, without a restart: a new version that crashes is not stable,
// however often Docker brings it back.
func (c Container) Stable(now time.Time, minReady time.Duration) bool {
	return c.Ready() && c.RestartCount == 0 && !c.Started.IsZero() && now.Sub(c.Started) >= minReady
}

// ContainerConfig is everything the orchestrator sets on a new container.
type ContainerConfig struct {
	Name        string
	Image       string
	Env         map[string]string
	Ports       map[string]int // canonical "80/tcp" -> host port, 0 = random
	NanoCPUs    int64
	MemoryBytes int64
	Labels      map[string]string
}

// Event is an engine event about a managed container.
type Event struct {
	ContainerID string
	Image       string // LabelImage
	Action      string // die, start, destroy, health_status, ...
	Time        time.Time
}

// Engine is the seam to the container engine: the Docker adapter in
// production, an in-memory fake in unit tests, both held to one contract.
type Engine interface {
	// List returns the managed containers (label filter), any state.
	List(ctx context.Context) ([]Container, error)
	// HasImage reports whether the image is present locally (a cheap check).
	HasImage(ctx context.Context, image string) (bool, error)
	// Pull fetches the image; failure wraps ErrImageUnavailable and says
	// "image X not found locally and pull failed: ...".
	Pull(ctx context.Context, image string) error
	// Create creates (not starts) a container; a taken name wraps ErrNameInUse.
	Create(ctx context.Context, cfg ContainerConfig) (id string, err error)
	Start(ctx context.Context, id string) error
	// Stop stops a container, killing it after timeout.
	Stop(ctx context.Context, id string, timeout time.Duration) error
	// Remove removes a container, running or not.
	Remove(ctx context.Context, id string) error
	// SetHeld switches the restart policy between "no" (held) and unless-stopped.
	SetHeld(ctx context.Context, id string, held bool) error
	// Events streams events of managed containers until ctx ends, riding
	// out engine restarts. The channel is closed when ctx is done.
	Events(ctx context.Context) <-chan Event
}
