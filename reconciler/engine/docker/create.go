package docker

import (
	"context"
	"fmt"
	"sort"
	"strconv"
	"strings"

	cerrdefs "github.com/containerd/errdefs"
	"github.com/docker/docker/api/types/container"
	"github.com/docker/docker/api/types/mount"
	"github.com/docker/docker/api/types/network"
	"github.com/docker/docker/api/types/strslice"
	"github.com/docker/go-connections/nat"

	"github.com/orchestrator/orchestrator/reconciler/engine"
)

// Create implements Engine. A container joins its first network at create
// and the others before it starts: API 1.41 takes one network per create.
func (d *Engine) Create(ctx context.Context, cfg engine.Config) (string, error) {
	ctx, cancel := d.bounded(ctx, 0)
	defer cancel()
	c, host, nets := d.containerConfig(cfg)
	resp, err := d.cli.ContainerCreate(ctx, c, host, nets, nil, cfg.Name)
	switch {
	case cerrdefs.IsConflict(err):
		return "", engine.KindErrorf(engine.ErrNameInUse, "create %s: name in use: %w", cfg.Name, err)
	case cerrdefs.IsNotFound(err) && strings.Contains(err.Error(), "network"):
		return "", fmt.Errorf("create %s: %w", cfg.Name, err) // not the image, not the container
	case cerrdefs.IsNotFound(err):
		return "", engine.KindErrorf(engine.ErrImageUnavailable, "create %s: %w", cfg.Name, err)
	case err != nil:
		return "", Classify("create", cfg.Name, err)
	}
	for _, n := range cfg.Networks[min(1, len(cfg.Networks)):] {
		if err := d.cli.NetworkConnect(ctx, n.Name, resp.ID, &network.EndpointSettings{Aliases: n.Aliases}); err != nil {
			_ = d.cli.ContainerRemove(context.WithoutCancel(ctx), resp.ID, container.RemoveOptions{Force: true})
			return "", Classify("connect "+cfg.Name+" to network", n.Name, err)
		}
	}
	return resp.ID, nil
}

// containerConfig is cfg in the SDK's types.
func (d *Engine) containerConfig(cfg engine.Config) (*container.Config, *container.HostConfig, *network.NetworkingConfig) {
	env := make([]string, 0, len(cfg.Env))
	for k, v := range cfg.Env {
		env = append(env, k+"="+v)
	}
	sort.Strings(env)
	exposed, bindings := nat.PortSet{}, nat.PortMap{}
	for key, host := range cfg.Ports {
		p := nat.Port(key)
		exposed[p] = struct{}{}
		hp := ""
		if host != 0 {
			hp = strconv.Itoa(host)
		}
		bindings[p] = []nat.PortBinding{{HostPort: hp}}
	}
	labels := map[string]string{}
	for k, v := range cfg.Labels {
		labels[k] = v
	}
	if d.instance != "" {
		labels[engine.LabelInstance] = d.instance
	}
	c := &container.Config{
		Image: cfg.Image, Env: env, Labels: labels, ExposedPorts: exposed,
		Cmd: strslice.StrSlice(cfg.Cmd), Entrypoint: strslice.StrSlice(cfg.Entrypoint),
		WorkingDir: cfg.WorkingDir, User: cfg.User, Hostname: cfg.Hostname, StopSignal: cfg.StopSignal,
	}
	if cfg.StopTimeout > 0 {
		secs := int(cfg.StopTimeout.Seconds())
		c.StopTimeout = &secs
	}
	if h := cfg.Healthcheck; h != nil {
		c.Healthcheck = &container.HealthConfig{Test: h.Test, Interval: h.Interval, Timeout: h.Timeout,
			StartPeriod: h.StartPeriod, Retries: h.Retries}
	}
	policy := container.RestartPolicy{Name: container.RestartPolicyUnlessStopped}
	if cfg.Restart.Name != "" {
		policy = container.RestartPolicy{Name: container.RestartPolicyMode(cfg.Restart.Name), MaximumRetryCount: cfg.Restart.MaxRetries}
	}
	host := &container.HostConfig{
		PortBindings:   bindings,
		RestartPolicy:  policy,
		Resources:      container.Resources{NanoCPUs: cfg.NanoCPUs, Memory: cfg.MemoryBytes},
		CapAdd:         cfg.CapAdd,
		CapDrop:        cfg.CapDrop,
		SecurityOpt:    cfg.SecurityOpt,
		ExtraHosts:     cfg.ExtraHosts,
		DNS:            cfg.DNS,
		ReadonlyRootfs: cfg.ReadOnly,
	}
	if cfg.LogDriver != "" {
		host.LogConfig = container.LogConfig{Type: cfg.LogDriver, Config: cfg.LogOptions}
	}
	for _, m := range cfg.Mounts {
		switch m.Type {
		case engine.MountVolume:
			host.Mounts = append(host.Mounts, mount.Mount{Type: mount.TypeVolume, Source: m.Source, Target: m.Target, ReadOnly: m.ReadOnly})
		case engine.MountBind:
			// The short form, as compose writes it: a missing host
			// directory is made, and z/Z relabel for SELinux.
			opts := []string{"rw"}
			if m.ReadOnly {
				opts[0] = "ro"
			}
			if m.Options != "" {
				opts = append(opts, m.Options)
			}
			host.Binds = append(host.Binds, m.Source+":"+m.Target+":"+strings.Join(opts, ","))
		case engine.MountTmpfs:
			if host.Tmpfs == nil {
				host.Tmpfs = map[string]string{}
			}
			host.Tmpfs[m.Target] = m.Options
		}
	}
	var nets *network.NetworkingConfig
	if len(cfg.Networks) > 0 {
		first := cfg.Networks[0]
		host.NetworkMode = container.NetworkMode(first.Name)
		nets = &network.NetworkingConfig{EndpointsConfig: map[string]*network.EndpointSettings{
			first.Name: {Aliases: first.Aliases},
		}}
	}
	return c, host, nets
}

// held reads the hold from a container's restart policy: "no" where the
// spec's own policy (its label) is another.
func held(p container.RestartPolicy, labels map[string]string) bool {
	return p.Name == container.RestartPolicyDisabled && labels[engine.LabelRestart] != string(container.RestartPolicyDisabled)
}

// SetHeld implements Engine: held is restart policy "no", which survives an
// orchestrator restart because it lives on the container; released, the
// container gets its spec's policy back. A container whose spec's policy is
// "no" cannot be held apart from it: that is an error.
func (d *Engine) SetHeld(ctx context.Context, id string, hold bool) error {
	ctx, cancel := d.bounded(ctx, 0)
	defer cancel()
	defer d.forget(id)
	resp, err := d.cli.ContainerInspect(ctx, id)
	if err != nil {
		return Classify("inspect", id, err)
	}
	own := container.RestartPolicy{Name: container.RestartPolicyUnlessStopped}
	if resp.Config != nil {
		if name := resp.Config.Labels[engine.LabelRestart]; name != "" {
			own = restartPolicy(name)
		}
	}
	policy := own
	if hold {
		if own.Name == container.RestartPolicyDisabled {
			return fmt.Errorf("hold %s: its spec's restart policy is no, so a hold cannot be told apart: stop the spec (status: stopped) instead", id)
		}
		policy = container.RestartPolicy{Name: container.RestartPolicyDisabled}
	}
	_, err = d.cli.ContainerUpdate(ctx, id, container.UpdateConfig{RestartPolicy: policy})
	return Classify("update", id, err)
}

// restartPolicy reads a LabelRestart value: name or on-failure:N.
func restartPolicy(label string) container.RestartPolicy {
	name, n, _ := strings.Cut(label, ":")
	retries, _ := strconv.Atoi(n)
	return container.RestartPolicy{Name: container.RestartPolicyMode(name), MaximumRetryCount: retries}
}
