package docker

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	cerrdefs "github.com/containerd/errdefs"
	"github.com/docker/docker/api/types/container"
	"github.com/docker/docker/api/types/filters"
	"github.com/docker/docker/api/types/image"
	"github.com/docker/docker/client"
	"github.com/orchestrator/orchestrator/reconciler/engine"
)

// Engine is the engine.Engine on a real Docker engine, through the Go SDK.
type Engine struct {
	cli         *client.Client
	instance    string
	anyInstance bool
	pullTimeout time.Duration
	callTimeout time.Duration

	mu      sync.Mutex
	inspect map[string]inspected // by container id: what List cannot tell
}

// inspected is the part of ContainerInspect that the container list lacks.
// It is cached per container, state and health, so that an idle pass costs
// one list call and no inspect calls; a change of health (the list's status
// text says it) reads the health log again.
type inspected struct {
	state, health string
	held          bool
	restartCount  int
	started       time.Time
	healthError   string // engine.Container.HealthError
}

// Options configure the adapter.
type Options struct {
	// Instance, when set, is stamped on every container as LabelInstance and
	// restricts List and Events to it: several orchestrators (or tests) can
	// share one engine without seeing each other's containers.
	Instance string
	// AnyInstance lists the managed containers of every instance, for a
	// reader that acts on no spec (orchestrator logs without a server).
	AnyInstance bool
	// PullTimeout bounds one image pull; default 2 minutes.
	PullTimeout time.Duration
	// Host, when set, is the engine's address ("unix:///path"), instead of
	// DOCKER_HOST or the default socket.
	Host string
	// CallTimeout bounds every other call but the event and log streams
	// (a stop gets its grace period on top): a stalled engine fails calls
	// instead of wedging the reconciler. Default 30 s.
	CallTimeout time.Duration
}

// New connects to the engine of DOCKER_HOST (or the default socket),
// negotiating the API version: the v28 SDK against a 20.10 engine (API 1.41).
func New(ctx context.Context, opts Options) (*Engine, error) {
	copts := []client.Opt{client.FromEnv, client.WithAPIVersionNegotiation()}
	if opts.Host != "" {
		copts = append(copts, client.WithHost(opts.Host))
	}
	cli, err := client.NewClientWithOpts(copts...)
	if err != nil {
		return nil, fmt.Errorf("docker client: %w", err)
	}
	// Negotiate now: the SDK does it lazily on the first call, and racily
	// when the first calls are concurrent (the event stream and a create).
	cli.NegotiateAPIVersion(ctx)
	if opts.PullTimeout == 0 {
		opts.PullTimeout = 2 * time.Minute
	}
	if opts.CallTimeout <= 0 {
		opts.CallTimeout = 30 * time.Second
	}
	return &Engine{cli: cli, instance: opts.Instance, anyInstance: opts.AnyInstance, pullTimeout: opts.PullTimeout,
		callTimeout: opts.CallTimeout, inspect: map[string]inspected{}}, nil
}

// Close releases the client's connections.
func (d *Engine) Close() error { return d.cli.Close() }

// Ping checks that the engine answers.
func (d *Engine) Ping(ctx context.Context) error {
	ctx, cancel := d.bounded(ctx, 0)
	defer cancel()
	_, err := d.cli.Ping(ctx)
	return err
}

// CPUs is the number of CPUs the engine has, for validating specs.
func (d *Engine) CPUs(ctx context.Context) (int, error) {
	ctx, cancel := d.bounded(ctx, 0)
	defer cancel()
	info, err := d.cli.Info(ctx)
	if err != nil {
		return 0, fmt.Errorf("docker info: %w", err)
	}
	return info.NCPU, nil
}

func (d *Engine) filters() filters.Args {
	f := filters.NewArgs(filters.Arg("label", engine.LabelManagedBy+"="+engine.ManagedBy))
	if d.instance != "" && !d.anyInstance {
		f.Add("label", engine.LabelInstance+"="+d.instance)
	}
	return f
}

// ours also drops containers of another instance, which a label filter
// cannot express when we have none.
func (d *Engine) ours(labels map[string]string) bool {
	return labels[engine.LabelManagedBy] == engine.ManagedBy && (d.anyInstance || labels[engine.LabelInstance] == d.instance)
}

// List implements Engine.
func (d *Engine) List(ctx context.Context) ([]engine.Container, error) {
	ctx, cancel := d.bounded(ctx, 0)
	defer cancel()
	list, err := d.cli.ContainerList(ctx, container.ListOptions{All: true, Filters: d.filters()})
	if err != nil {
		return nil, Classify("list", "containers", err)
	}
	out := make([]engine.Container, 0, len(list))
	seen := map[string]bool{}
	for _, s := range list {
		if !d.ours(s.Labels) {
			continue
		}
		seen[s.ID] = true
		c := engine.Container{
			ID:       s.ID,
			Name:     strings.TrimPrefix(firstOr(s.Names, ""), "/"),
			Image:    s.Labels[engine.LabelImage],
			SpecHash: s.Labels[engine.LabelSpecHash],
			State:    string(s.State),
			Health:   healthOf(s.Status),
			Created:  time.Unix(s.Created, 0),
			Ports:    portsOf(s.Ports),
			Labels:   s.Labels,
		}
		c.Slot, _ = strconv.Atoi(s.Labels[engine.LabelSlot])
		in, err := d.inspected(ctx, s.ID, c.State, c.Health)
		if cerrdefs.IsNotFound(err) {
			continue // removed between list and inspect
		}
		if err != nil {
			return nil, err
		}
		c.Held, c.RestartCount, c.Started, c.HealthError = in.held, in.restartCount, in.started, in.healthError
		out = append(out, c)
	}
	d.mu.Lock()
	for id := range d.inspect {
		if !seen[id] {
			delete(d.inspect, id)
		}
	}
	d.mu.Unlock()
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out, nil
}

func (d *Engine) inspected(ctx context.Context, id, state, health string) (inspected, error) {
	d.mu.Lock()
	in, ok := d.inspect[id]
	d.mu.Unlock()
	if ok && in.state == state && in.health == health {
		return in, nil
	}
	resp, err := d.cli.ContainerInspect(ctx, id)
	if err != nil {
		return inspected{}, Classify("inspect", id, err)
	}
	in = inspected{state: state, health: health, restartCount: resp.RestartCount}
	if resp.State != nil {
		in.started, _ = time.Parse(time.RFC3339Nano, resp.State.StartedAt)
		in.healthError = healthError(resp.State.Health)
	}
	if resp.HostConfig != nil && resp.Config != nil {
		in.held = held(resp.HostConfig.RestartPolicy, resp.Config.Labels)
	}
	d.mu.Lock()
	d.inspect[id] = in
	d.mu.Unlock()
	return in, nil
}

func (d *Engine) forget(id string) {
	d.mu.Lock()
	delete(d.inspect, id)
	d.mu.Unlock()
}

// forgetAll drops the whole inspect cache: after a reconnect, events may
// have been missed (or the engine restarted), so nothing cached is trusted.
func (d *Engine) forgetAll() {
	d.mu.Lock()
	clear(d.inspect)
	d.mu.Unlock()
}

// healthError is the last probe's failure in the health log (Docker keeps
// the last five, oldest first), or "" when it passed or none ran.
func healthError(h *container.Health) string {
	if h == nil || len(h.Log) == 0 {
		return ""
	}
	last := h.Log[len(h.Log)-1]
	if last == nil || last.ExitCode == 0 {
		return ""
	}
	return engine.ProbeError(last.ExitCode, last.Output)
}

// healthOf reads the HEALTHCHECK state from the list's status text,
// "Up 3 minutes (healthy)".
func healthOf(status string) string {
	switch {
	case strings.Contains(status, "(healthy)"):
		return "healthy"
	case strings.Contains(status, "(unhealthy)"):
		return "unhealthy"
	case strings.Contains(status, "(health: starting)"):
		return "starting"
	}
	return ""
}

func portsOf(ps []container.Port) map[string][]engine.PortBinding {
	out := map[string][]engine.PortBinding{}
	for _, p := range ps {
		key := strconv.Itoa(int(p.PrivatePort)) + "/" + p.Type
		if p.PublicPort == 0 {
			if _, ok := out[key]; !ok {
				out[key] = nil
			}
			continue
		}
		out[key] = append(out[key], engine.PortBinding{HostIP: p.IP, HostPort: strconv.Itoa(int(p.PublicPort))})
	}
	return out
}

func firstOr(s []string, def string) string {
	if len(s) > 0 {
		return s[0]
	}
	return def
}

// HasImage implements Engine.
func (d *Engine) HasImage(ctx context.Context, ref string) (bool, error) {
	ctx, cancel := d.bounded(ctx, 0)
	defer cancel()
	_, err := d.cli.ImageInspect(ctx, ref)
	switch {
	case err == nil:
		return true, nil
	case cerrdefs.IsNotFound(err):
		return false, nil
	}
	return false, Classify("inspect image", ref, err)
}

// Pull implements Engine. The reconciler calls it only for an image that is
// not present, and never inside a pass.
func (d *Engine) Pull(ctx context.Context, ref string) error {
	pctx, cancel := context.WithTimeout(ctx, d.pullTimeout)
	defer cancel()
	if err := d.pull(pctx, ref); err != nil {
		return engine.KindErrorf(engine.ErrImageUnavailable, "image %s not found locally and pull failed: %w", ref, err)
	}
	return nil
}

func (d *Engine) pull(ctx context.Context, ref string) error {
	rc, err := d.cli.ImagePull(ctx, ref, image.PullOptions{})
	if err != nil {
		return err
	}
	defer rc.Close()
	// The pull reports its failures inside the progress stream.
	dec := json.NewDecoder(rc)
	for {
		var msg struct {
			Error string `json:"error"`
		}
		if err := dec.Decode(&msg); errors.Is(err, io.EOF) {
			return nil
		} else if err != nil {
			return err
		}
		if msg.Error != "" {
			return errors.New(msg.Error)
		}
	}
}

// Start implements Engine. A network the container needs and that is gone
// is an error of the start, not a container that is gone.
func (d *Engine) Start(ctx context.Context, id string) error {
	ctx, cancel := d.bounded(ctx, 0)
	defer cancel()
	err := d.cli.ContainerStart(ctx, id, container.StartOptions{})
	if cerrdefs.IsNotFound(err) && strings.Contains(err.Error(), "network") {
		return fmt.Errorf("start %s: %w", id, err)
	}
	return Classify("start", id, err)
}

// Stop implements Engine.
func (d *Engine) Stop(ctx context.Context, id string, timeout time.Duration) error {
	grace := timeout
	if timeout < 0 {
		grace = d.stopTimeout(ctx, id)
	}
	ctx, cancel := d.bounded(ctx, grace)
	defer cancel()
	opts := container.StopOptions{} // no Timeout: the container's StopTimeout, else the engine's default
	if timeout >= 0 {
		secs := int(timeout.Seconds())
		opts.Timeout = &secs
	}
	return Classify("stop", id, d.cli.ContainerStop(ctx, id, opts))
}

// Remove implements Engine.
func (d *Engine) Remove(ctx context.Context, id string) error {
	ctx, cancel := d.bounded(ctx, 0)
	defer cancel()
	defer d.forget(id)
	return Classify("remove", id, d.cli.ContainerRemove(ctx, id, container.RemoveOptions{Force: true}))
}

// Classify wraps an SDK error of op on what with the kind it is of: an
// unknown object, or an engine that cannot be reached. The swarm adapter
// classifies with it too.
func Classify(op, what string, err error) error {
	switch {
	case err == nil:
		return nil
	case cerrdefs.IsNotFound(err):
		return engine.KindErrorf(engine.ErrNotFound, "%s %s: %w", op, what, err)
	case client.IsErrConnectionFailed(err):
		return engine.KindErrorf(engine.ErrUnavailable, "%s %s: %w", op, what, err)
	default:
		return fmt.Errorf("%s %s: %w", op, what, err)
	}
}

// Others counts the managed containers of other instances, by their
// instance label ("" for none): never listed, counted or touched, only
// reported.
func (d *Engine) Others(ctx context.Context) (map[string]int, error) {
	ctx, cancel := d.bounded(ctx, 0)
	defer cancel()
	list, err := d.cli.ContainerList(ctx, container.ListOptions{All: true,
		Filters: filters.NewArgs(filters.Arg("label", engine.LabelManagedBy+"="+engine.ManagedBy))})
	if err != nil {
		return nil, fmt.Errorf("list containers: %w", err)
	}
	out := map[string]int{}
	for _, s := range list {
		if inst := s.Labels[engine.LabelInstance]; inst != d.instance {
			out[inst]++
		}
	}
	return out, nil
}

// bounded is ctx with the call deadline, plus extra (a stop's grace).
func (d *Engine) bounded(ctx context.Context, extra time.Duration) (context.Context, context.CancelFunc) {
	return context.WithTimeout(ctx, d.callTimeout+extra)
}

// stopTimeout is the container's own stop timeout, as created from its
// spec's stop_grace_period; the engine's 10 s when it has none or cannot
// be asked.
func (d *Engine) stopTimeout(ctx context.Context, id string) time.Duration {
	ctx, cancel := d.bounded(ctx, 0)
	defer cancel()
	resp, err := d.cli.ContainerInspect(ctx, id)
	if err != nil || resp.Config == nil || resp.Config.StopTimeout == nil {
		return 10 * time.Second
	}
	return time.Duration(*resp.Config.StopTimeout) * time.Second
}
