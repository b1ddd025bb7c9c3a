package reconciler

import (
	"maps"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/orchestrator/orchestrator/reconciler/engine"
	"github.com/orchestrator/orchestrator/spec"
)

// runtimeConfig sets the compose-like fields of spec s on cfg, the
// container of slot: a relative bind mount is below dir (the spec file's
// directory), and volumes and networks get the instance's name prefix, as
// container names do (docs/design.md §5).
func runtimeConfig(cfg *engine.Config, s spec.Spec, dir, prefix string, slot int) {
	cfg.Cmd, cfg.Entrypoint = s.Command, s.Entrypoint
	cfg.WorkingDir, cfg.User = s.WorkingDir, s.User
	if s.Hostname != "" {
		cfg.Hostname = s.Hostname + "-" + strconv.Itoa(slot)
	}
	if len(s.Labels) > 0 {
		labels := maps.Clone(s.Labels)
		maps.Copy(labels, cfg.Labels) // ours win; a spec cannot set them anyway
		cfg.Labels = labels
	}
	for _, m := range s.Mounts() {
		em := engine.Mount{Type: m.Type, Source: m.Source, Target: m.Target, ReadOnly: m.ReadOnly, Options: m.Options}
		switch {
		case m.Type == spec.MountVolume:
			em.Source = ResourceName(prefix, m.Source)
		case m.Relative():
			em.Source = filepath.Join(dir, m.Source)
		}
		cfg.Mounts = append(cfg.Mounts, em)
	}
	for _, n := range s.Networks {
		cfg.Networks = append(cfg.Networks, engine.NetworkAttachment{Name: ResourceName(prefix, n), Aliases: []string{s.ShortName()}})
	}
	if h := s.Healthcheck; h != nil {
		test := []string(h.Test)
		if h.Disable {
			test = []string{"NONE"}
		}
		cfg.Healthcheck = &engine.Healthcheck{Test: test, Interval: duration(h.Interval), Timeout: duration(h.Timeout),
			StartPeriod: duration(h.StartPeriod), Retries: h.Retries}
	}
	if s.Restart != "" {
		name, retries := s.RestartPolicy()
		cfg.Restart = engine.RestartPolicy{Name: name, MaxRetries: retries}
		cfg.Labels[engine.LabelRestart] = s.Restart
	}
	if l := s.Logging; l != nil {
		cfg.LogDriver, cfg.LogOptions = l.Driver, l.Options
	}
	cfg.StopSignal, cfg.StopTimeout = s.StopSignal, duration(s.StopGracePeriod)
	cfg.CapAdd, cfg.CapDrop, cfg.SecurityOpt = s.CapAdd, s.CapDrop, s.SecurityOpt
	cfg.DNS, cfg.ReadOnly = s.DNS, s.ReadOnly
	for _, h := range s.ExtraHosts { // host=ip is compose's other form; the engine takes host:ip
		if i := strings.IndexAny(h, ":="); i > 0 {
			h = h[:i] + ":" + h[i+1:]
		}
		cfg.ExtraHosts = append(cfg.ExtraHosts, h)
	}
}

// ResourceName is the engine's name of a spec's volume or network: with
// serve's explicit --instance, prefixed as container names are.
func ResourceName(prefix, name string) string {
	if prefix == "" {
		return name
	}
	return prefix + "-" + name
}

// duration reads a validated Go duration; "" is 0.
func duration(s string) time.Duration {
	d, _ := time.ParseDuration(s)
	return d
}
