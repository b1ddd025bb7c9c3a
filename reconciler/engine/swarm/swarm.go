// Package swarm is the engine on a Docker Swarm manager: a spec runs as one
// replicated service (engine.Services), and Swarm's scheduler places,
// restarts and rolls its tasks. Its engine.Engine is the tasks seen as
// containers: List returns tasks, and what Swarm has no per-task
// equivalent for (create, start, stop, hold) is engine.ErrUnsupported.
//
// The local node's containers (stats, logs, health, volumes and networks,
// images) are reached through the Docker adapter, which it embeds: a
// task's container ID is a container of the local engine when the task runs
// here.
package swarm

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/docker/docker/api/types/filters"
	"github.com/docker/docker/client"

	"github.com/orchestrator/orchestrator/reconciler/engine"
	"github.com/orchestrator/orchestrator/reconciler/engine/docker"
)

// ErrNotManager is what New returns on an engine that cannot run services.
var ErrNotManager = errors.New("this Docker engine is not a swarm manager: run `docker swarm init` (or serve --engine docker)")

// Options configure the adapter.
type Options struct {
	// Instance is stamped on every service and task as LabelInstance, and
	// restricts every list to it.
	Instance string
	// Host, when set, is the engine's address instead of DOCKER_HOST.
	Host string
	// CallTimeout bounds every call but the event and log streams;
	// default 30 s.
	CallTimeout time.Duration
	// PullTimeout bounds one image pull; default 2 minutes.
	PullTimeout time.Duration
}

// Engine is engine.Engine and engine.Services on a swarm manager.
type Engine struct {
	*docker.Engine // the local node: images, stats, logs, volumes, networks

	cli         *client.Client
	instance    string
	callTimeout time.Duration
	self        string // this node's ID: its tasks' containers are the local engine's

	mu    sync.Mutex
	names map[string]string // service name -> image, of our services: which service events are ours
	nodes map[string]string // node ID -> hostname
}

// New connects to the engine, negotiating the API version (Docker 20.10 is
// API 1.41), and fails with ErrNotManager unless it is a swarm manager.
func New(ctx context.Context, opts Options) (*Engine, error) {
	if opts.CallTimeout <= 0 {
		opts.CallTimeout = 30 * time.Second
	}
	copts := []client.Opt{client.FromEnv, client.WithAPIVersionNegotiation()}
	if opts.Host != "" {
		copts = append(copts, client.WithHost(opts.Host))
	}
	cli, err := client.NewClientWithOpts(copts...)
	if err != nil {
		return nil, fmt.Errorf("docker client: %w", err)
	}
	cli.NegotiateAPIVersion(ctx)
	e := &Engine{cli: cli, instance: opts.Instance, callTimeout: opts.CallTimeout,
		names: map[string]string{}, nodes: map[string]string{}}
	ictx, cancel := e.bounded(ctx)
	info, err := cli.Info(ictx)
	cancel()
	if err != nil {
		cli.Close()
		return nil, engine.KindErrorf(engine.ErrUnavailable, "docker info: %w", err)
	}
	if !info.Swarm.ControlAvailable {
		cli.Close()
		return nil, fmt.Errorf("swarm state %q: %w", info.Swarm.LocalNodeState, ErrNotManager)
	}
	e.self = info.Swarm.NodeID
	local, err := docker.New(ctx, docker.Options{Instance: opts.Instance, Host: opts.Host,
		CallTimeout: opts.CallTimeout, PullTimeout: opts.PullTimeout})
	if err != nil {
		cli.Close()
		return nil, err
	}
	e.Engine = local
	return e, nil
}

// Close releases both clients' connections.
func (e *Engine) Close() error {
	return errors.Join(e.Engine.Close(), e.cli.Close())
}

// filters select our services: managed-by, and our instance when we have one.
func (e *Engine) filters() filters.Args {
	f := filters.NewArgs(filters.Arg("label", engine.LabelManagedBy+"="+engine.ManagedBy))
	if e.instance != "" {
		f.Add("label", engine.LabelInstance+"="+e.instance)
	}
	return f
}

// ours also drops another instance's services, which a label filter cannot
// express when we have no instance.
func (e *Engine) ours(labels map[string]string) bool {
	return labels[engine.LabelManagedBy] == engine.ManagedBy && labels[engine.LabelInstance] == e.instance
}

func (e *Engine) bounded(ctx context.Context) (context.Context, context.CancelFunc) {
	return context.WithTimeout(ctx, e.callTimeout)
}

// remember notes our services' names, for the event stream.
func (e *Engine) remember(name, image string) {
	e.mu.Lock()
	e.names[name] = image
	e.mu.Unlock()
}

func (e *Engine) imageOf(name string) (string, bool) {
	e.mu.Lock()
	defer e.mu.Unlock()
	image, ok := e.names[name]
	return image, ok
}

var (
	_ engine.Engine   = (*Engine)(nil)
	_ engine.Services = (*Engine)(nil)
)
