package engine

import "context"

// Volume is a named volume of ours: labelled managed-by (and instance).
type Volume struct {
	Name   string
	Labels map[string]string
}

// Network is a user-defined network of ours.
type Network struct {
	Name   string
	Labels map[string]string
	// Containers is how many containers are attached, ours or not: a
	// network a foreign container uses is never removed.
	Containers int
}

// Resources are the volumes and networks the containers of specs use. The
// engine makes them with our labels, and never uses, changes or removes
// one without them.
type Resources interface {
	// EnsureVolume makes the named volume with labels and our own
	// (managed-by, instance), or finds it made by us already; one of that
	// name that is not ours wraps ErrForeign.
	EnsureVolume(ctx context.Context, name string, labels map[string]string) error
	// EnsureNetwork makes a bridge network, as EnsureVolume does a volume.
	EnsureNetwork(ctx context.Context, name string, labels map[string]string) error
	// Volumes lists our volumes; Networks our networks.
	Volumes(ctx context.Context) ([]Volume, error)
	Networks(ctx context.Context) ([]Network, error)
	// RemoveVolume removes one of our volumes: unknown wraps ErrNotFound,
	// not ours ErrForeign, used by a container (any state) ErrInUse.
	RemoveVolume(ctx context.Context, name string) error
	// RemoveNetwork removes one of our networks, as RemoveVolume does.
	RemoveNetwork(ctx context.Context, name string) error
}
