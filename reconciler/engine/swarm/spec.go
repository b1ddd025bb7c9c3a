package swarm

import (
	"maps"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/docker/docker/api/types/container"
	"github.com/docker/docker/api/types/mount"
	"github.com/docker/docker/api/types/swarm"

	"github.com/orchestrator/orchestrator/reconciler/engine"
)

// monitor is how long Swarm watches a new task before it counts as
// updated; a task that fails within it fails the update, which rolls back.
// The same 5 s as serve's --min-ready default.
const monitor = 5 * time.Second

// ServiceSpec is cfg as the Swarm service the adapter of instance sends
// (issue 16): our labels on the service and its tasks, the replicas,
// limits, env and ports through the routing mesh, the placement; restart
// on any exit; updates one task at a time, start-first (stop-first with a
// per-node limit), rolled back on failure. The benchmark's `docker service
// create` baseline is made of it too.
func ServiceSpec(cfg engine.ServiceConfig, instance string) swarm.ServiceSpec {
	c := cfg.Config
	labels := maps.Clone(c.Labels)
	if labels == nil {
		labels = map[string]string{}
	}
	if instance != "" {
		labels[engine.LabelInstance] = instance
	}
	replicas := uint64(max(cfg.Replicas, 0))
	cs := &swarm.ContainerSpec{
		Image: c.Image, Labels: labels, Env: envOf(c.Env),
		Command: c.Entrypoint, Args: c.Cmd, Dir: c.WorkingDir, User: c.User, Hostname: c.Hostname,
		StopSignal: c.StopSignal, ReadOnly: c.ReadOnly, CapabilityAdd: c.CapAdd, CapabilityDrop: c.CapDrop,
		Hosts: hostsOf(c.ExtraHosts), Mounts: mountsOf(c.Mounts),
	}
	if c.StopTimeout > 0 {
		grace := c.StopTimeout
		cs.StopGracePeriod = &grace
	}
	if h := c.Healthcheck; h != nil {
		cs.Healthcheck = &container.HealthConfig{Test: h.Test, Interval: h.Interval, Timeout: h.Timeout,
			StartPeriod: h.StartPeriod, Retries: h.Retries}
	}
	if len(c.DNS) > 0 {
		cs.DNSConfig = &swarm.DNSConfig{Nameservers: c.DNS}
	}
	task := swarm.TaskSpec{
		ContainerSpec: cs,
		Resources:     &swarm.ResourceRequirements{Limits: &swarm.Limit{NanoCPUs: c.NanoCPUs, MemoryBytes: c.MemoryBytes}},
		RestartPolicy: &swarm.RestartPolicy{Condition: swarm.RestartPolicyConditionAny},
		Networks:      attachmentsOf(c.Networks),
	}
	if c.LogDriver != "" {
		task.LogDriver = &swarm.Driver{Name: c.LogDriver, Options: c.LogOptions}
	}
	if p := c.Placement; len(p.Constraints) > 0 || len(p.Spread) > 0 || p.MaxReplicasPerNode > 0 {
		task.Placement = &swarm.Placement{Constraints: p.Constraints, MaxReplicas: uint64(p.MaxReplicasPerNode)}
		for _, label := range p.Spread {
			task.Placement.Preferences = append(task.Placement.Preferences,
				swarm.PlacementPreference{Spread: &swarm.SpreadOver{SpreadDescriptor: label}})
		}
	}
	// Start-first, unless a node may hold only so many tasks: the old task
	// still counts against that limit, and Swarm would wait without end
	// for a place to start the new one (moby/moby#40797).
	order := swarm.UpdateOrderStartFirst
	if c.Placement.MaxReplicasPerNode > 0 {
		order = swarm.UpdateOrderStopFirst
	}
	update := &swarm.UpdateConfig{Parallelism: 1, Order: order,
		FailureAction: swarm.UpdateFailureActionRollback, Monitor: monitor}
	rollback := &swarm.UpdateConfig{Parallelism: 1, Order: order,
		FailureAction: swarm.UpdateFailureActionPause, Monitor: monitor}
	return swarm.ServiceSpec{
		Annotations:    swarm.Annotations{Name: c.Name, Labels: labels},
		TaskTemplate:   task,
		Mode:           swarm.ServiceMode{Replicated: &swarm.ReplicatedService{Replicas: &replicas}},
		UpdateConfig:   update,
		RollbackConfig: rollback,
		EndpointSpec:   &swarm.EndpointSpec{Mode: swarm.ResolutionModeVIP, Ports: publishedOf(c.Ports)},
	}
}

func envOf(env map[string]string) []string {
	out := make([]string, 0, len(env))
	for k, v := range env {
		out = append(out, k+"="+v)
	}
	sort.Strings(out)
	return out
}

// publishedOf is the spec's ports through the routing mesh: "80/tcp" -> 8080
// published on every node; 0 lets Swarm assign one (30000-32767).
func publishedOf(ports map[string]int) []swarm.PortConfig {
	out := make([]swarm.PortConfig, 0, len(ports))
	for _, key := range slices.Sorted(maps.Keys(ports)) {
		port, proto, _ := strings.Cut(key, "/")
		target, err := strconv.Atoi(port)
		if err != nil {
			continue // the spec validates ports; a bad key cannot get here
		}
		if proto == "" {
			proto = "tcp"
		}
		out = append(out, swarm.PortConfig{Protocol: swarm.PortConfigProtocol(proto), TargetPort: uint32(target),
			PublishedPort: uint32(ports[key]), PublishMode: swarm.PortConfigPublishModeIngress})
	}
	return out
}

// hostsOf turns compose's "host:ip" into the hosts-file lines Swarm takes.
func hostsOf(extra []string) []string {
	var out []string
	for _, h := range extra {
		if name, ip, ok := strings.Cut(h, ":"); ok {
			out = append(out, ip+" "+name)
		}
	}
	return out
}

func mountsOf(ms []engine.Mount) []mount.Mount {
	var out []mount.Mount
	for _, m := range ms {
		switch m.Type {
		case engine.MountVolume:
			out = append(out, mount.Mount{Type: mount.TypeVolume, Source: m.Source, Target: m.Target, ReadOnly: m.ReadOnly})
		case engine.MountBind:
			out = append(out, mount.Mount{Type: mount.TypeBind, Source: m.Source, Target: m.Target, ReadOnly: m.ReadOnly})
		case engine.MountTmpfs:
			out = append(out, mount.Mount{Type: mount.TypeTmpfs, Target: m.Target})
		}
	}
	return out
}
