package main

// import: one compose service into one spec. What the spec cannot say is
// left out and noted in the report; see the Long help of import.

import (
	"cmp"
	"fmt"
	"maps"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/compose-spec/compose-go/v2/types"

	"github.com/orchestrator/orchestrator/spec"
)

// importer converts the services of one loaded compose project.
type importer struct {
	project *types.Project
	rep     *report
	outDir  string // absolute output directory; "" for standard output
}

// posixName is a POSIX environment variable name, as a spec requires.
var posixName = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)

// convert is the spec of service svc, with every note on the way.
func (im *importer) convert(svc types.ServiceConfig) spec.Spec {
	name, rep := svc.Name, im.rep
	s := spec.New(svc.Image)
	s.Name = name

	replicas := svc.GetScale()
	if d := svc.Deploy; d != nil && d.Mode != "" && d.Mode != "replicated" {
		rep.addf(rep.svcLine(name, "deploy", "mode"), name, "deploy.mode", "%s: not supported: %d replica(s), as replicated", d.Mode, max(replicas, 1))
		replicas = max(replicas, 1)
	}
	s.MinReplicas, s.MaxReplicas = replicas, replicas
	if replicas == 0 {
		// A running spec always has a container (the original's promise):
		// no container running is a stopped spec, whose one container is
		// created and not started, as after docker compose create.
		s.MaxReplicas, s.Resources.Status = 1, spec.StatusStopped
		line, key := rep.svcLine(name, "scale"), "scale"
		if svc.Deploy != nil && svc.Deploy.Replicas != nil {
			line, key = rep.svcLine(name, "deploy", "replicas"), "deploy.replicas"
		}
		rep.addf(line, name, key, "0: status stopped (its container is created and not started; a running spec runs at least one)")
	}
	im.resources(svc, &s)
	im.ports(svc, &s)
	im.env(svc, &s)

	for _, c := range []struct {
		key string
		in  types.ShellCommand
		out *spec.Words
	}{{"command", svc.Command, &s.Command}, {"entrypoint", svc.Entrypoint, &s.Entrypoint}} {
		switch {
		case c.in == nil:
		case len(c.in) == 0:
			rep.addf(rep.svcLine(name, c.key), name, c.key, "empty (clear the image's): a spec cannot say it: the image's is kept")
		default:
			*c.out = spec.Words(slices.Clone(c.in))
		}
	}
	s.WorkingDir, s.User = svc.WorkingDir, svc.User
	if h := svc.Hostname; h != "" {
		s.Hostname = h
		rep.addf(rep.svcLine(name, "hostname"), name, "hostname", "%s is a prefix: each container's hostname is %s-<slot> (%s-1, %s-2, ...)", h, h, h, h)
	}
	for _, k := range slices.Sorted(maps.Keys(svc.Labels)) {
		if strings.HasPrefix(k, spec.ReservedLabelPrefix) {
			rep.addf(im.entryLine(name, "labels", k), name, "labels", "%s: labels starting with %s are the orchestrator's own: left out", k, spec.ReservedLabelPrefix)
			continue
		}
		if s.Labels == nil {
			s.Labels = map[string]string{}
		}
		s.Labels[k] = svc.Labels[k]
	}
	im.volumes(svc, &s)
	s.Tmpfs = append(s.Tmpfs, svc.Tmpfs...)
	for _, key := range svc.NetworksByPriority() {
		if n, ok := im.networkName(key); ok {
			s.Networks = append(s.Networks, n)
		}
	}
	for _, dep := range slices.Sorted(maps.Keys(svc.DependsOn)) {
		if c := svc.DependsOn[dep].Condition; c == types.ServiceConditionCompletedSuccessfully {
			rep.addf(im.entryLine(name, "depends_on", dep), name, "depends_on", "%s: condition %s: not supported (the orchestrator keeps every spec's containers running, so a run-once service is not waited for): left out", dep, c)
			continue
		}
		s.DependsOn = append(s.DependsOn, dep)
	}
	im.healthcheck(svc, &s)
	im.restart(svc, &s)
	if d := svc.Deploy; d != nil {
		s.Placement = placementOf(d.Placement)
	}
	if l := svc.Logging; l != nil {
		if l.Driver == "" && len(l.Options) > 0 {
			rep.addf(rep.svcLine(name, "logging"), name, "logging", "options without a driver: a spec cannot say them: left out (the engine's default driver and options apply)")
		} else if l.Driver != "" {
			s.Logging = &spec.Logging{Driver: l.Driver}
			if len(l.Options) > 0 {
				s.Logging.Options = maps.Clone(map[string]string(l.Options))
			}
		}
	}
	s.StopSignal = svc.StopSignal
	if d := svc.StopGracePeriod; d != nil {
		s.StopGracePeriod = time.Duration(*d).String()
	}
	s.CapAdd, s.CapDrop = slices.Clone(svc.CapAdd), slices.Clone(svc.CapDrop)
	s.ReadOnly, s.SecurityOpt = svc.ReadOnly, slices.Clone(svc.SecurityOpt)
	for _, host := range slices.Sorted(maps.Keys(svc.ExtraHosts)) {
		for _, ip := range svc.ExtraHosts[host] {
			sep := ":"
			if strings.Contains(ip, ":") {
				sep = "=" // an IPv6 address reads better after =, which a spec takes too
			}
			s.ExtraHosts = append(s.ExtraHosts, host+sep+ip)
		}
	}
	s.DNS = slices.Clone([]string(svc.DNS))
	return s
}

// resources: deploy.resources.limits, else the service's cpus and
// mem_limit.
func (im *importer) resources(svc types.ServiceConfig, s *spec.Spec) {
	cpus, mem := float32(svc.CPUS), int64(svc.MemLimit)
	if d := svc.Deploy; d != nil && d.Resources.Limits != nil {
		if l := d.Resources.Limits; l.NanoCPUs > 0 {
			cpus = l.NanoCPUs.Value()
		}
		if l := d.Resources.Limits; l.MemoryBytes > 0 {
			mem = int64(l.MemoryBytes)
		}
	}
	if cpus > 0 {
		s.Resources.CPU = strconv.FormatFloat(float64(cpus), 'f', -1, 32)
	}
	if mem > 0 {
		s.Resources.Memory = dockerSize(mem)
	}
}

// dockerSize writes bytes as a docker size ("256m"), exactly; else bytes.
func dockerSize(n int64) string {
	for _, u := range []struct {
		suffix string
		size   int64
	}{{"g", 1 << 30}, {"m", 1 << 20}, {"k", 1 << 10}} {
		if n%u.size == 0 {
			return strconv.FormatInt(n/u.size, 10) + u.suffix
		}
	}
	return strconv.FormatInt(n, 10)
}

func (im *importer) ports(svc types.ServiceConfig, s *spec.Spec) {
	name, rep := svc.Name, im.rep
	for i, p := range svc.Ports {
		line := rep.itemLine(name, "ports", i, len(svc.Ports))
		proto := cmp.Or(p.Protocol, "tcp")
		key := fmt.Sprintf("%d/%s", p.Target, proto)
		if proto != "tcp" && proto != "udp" {
			rep.addf(line, name, "ports", "%s: protocol %s: not supported (tcp and udp): left out", key, proto)
			continue
		}
		host := 0
		if p.Published != "" {
			n, err := strconv.Atoi(p.Published)
			if err != nil || n < 0 || n > 65535 {
				rep.addf(line, name, "ports", "%s: host ports %s: one host port per container port: made random", key, p.Published)
			}
			if err == nil {
				host = n
			}
		}
		if ip := p.HostIP; ip != "" && ip != "0.0.0.0" && ip != "::" {
			rep.addf(line, name, "ports", "%s: host IP %s dropped: ports are published on every interface of the host", key, ip)
		}
		if host != 0 && s.MaxReplicas > 1 {
			rep.addf(line, name, "ports", "%s: host port %d is fixed but there are %d replicas, which cannot all bind it: made random", key, host, s.MaxReplicas)
			host = 0
		}
		if _, dup := s.Ports[key]; dup {
			rep.addf(line, name, "ports", "%s is published twice: a container port has one host port: this one is left out", key)
			continue
		}
		s.Ports[key] = host
	}
}

func (im *importer) env(svc types.ServiceConfig, s *spec.Spec) {
	name, rep := svc.Name, im.rep
	for _, k := range slices.Sorted(maps.Keys(svc.Environment)) {
		v := svc.Environment[k]
		switch {
		case v == nil:
			rep.addf(im.envLine(name, k), name, "environment", "%s has no value (it is not set where import ran): left out", k)
		case !posixName.MatchString(k):
			rep.addf(im.envLine(name, k), name, "environment", "%q is not a POSIX variable name (letters, digits and _, not starting with a digit): left out", k)
		default:
			s.Env[k] = *v
		}
	}
}

// envLine is the line that sets variable k: in environment, else the
// env_file that holds it.
func (im *importer) envLine(service, k string) int {
	if l := im.entryLine(service, "environment", k); l != im.rep.svcLine(service, "environment") {
		return l
	}
	if l := im.rep.svcLine(service, "env_file"); l != im.rep.svcLine(service) {
		return l
	}
	return im.rep.svcLine(service, "environment")
}

// entryLine is the line of entry name of a service's map or list key
// (labels, environment, depends_on): a mapping key, or a list item name,
// name=value or name:value; else the key's line.
func (im *importer) entryLine(service, key, name string) int {
	if keys := find(im.rep.raw, []string{"services", service, key, name}); len(keys) > 0 {
		return keys[0].Line
	}
	for _, item := range find(im.rep.raw, []string{"services", service, key, "[]"}) {
		if v := item.Value; v == name || strings.HasPrefix(v, name+"=") || strings.HasPrefix(v, name+":") {
			return item.Line
		}
	}
	return im.rep.svcLine(service, key)
}

func (im *importer) volumes(svc types.ServiceConfig, s *spec.Spec) {
	name, rep := svc.Name, im.rep
	for i, v := range svc.Volumes {
		line := rep.itemLine(name, "volumes", i, len(svc.Volumes))
		var flags []string
		if v.ReadOnly {
			flags = append(flags, "ro")
		}
		switch v.Type {
		case types.VolumeTypeVolume:
			if v.Source == "" {
				rep.addf(line, name, "volumes", "anonymous volume at %s: left out (the path stays in the container's own filesystem; name a volume to keep its data)", v.Target)
				continue
			}
			s.Volumes = append(s.Volumes, mountEntry(im.volumeName(v.Source), v.Target, flags))
		case types.VolumeTypeBind:
			if v.Bind != nil && v.Bind.SELinux != "" {
				flags = append(flags, v.Bind.SELinux)
			}
			src, below := bindSource(v.Source, im.outDir)
			if strings.Contains(src, ":") {
				rep.addf(line, name, "volumes", "bind mount of %s: a host path with a colon cannot be written: left out", src)
				continue
			}
			if !below {
				where := "the output directory"
				if im.outDir == "" {
					where = "a directory (the specs go to standard output)"
				}
				rep.addf(line, name, "volumes", "bind mount of %s: not below %s, so an absolute host path: serve needs --allow-bind-mounts with a root that holds it", src, where)
			}
			s.Volumes = append(s.Volumes, mountEntry(src, v.Target, flags))
		case types.VolumeTypeTmpfs:
			entry := v.Target
			if t := v.Tmpfs; t != nil {
				var opts []string
				if t.Size > 0 {
					opts = append(opts, "size="+dockerSize(int64(t.Size)))
				}
				if t.Mode != 0 {
					opts = append(opts, fmt.Sprintf("mode=%o", t.Mode))
				}
				if len(opts) > 0 {
					entry += ":" + strings.Join(opts, ",")
				}
			}
			s.Tmpfs = append(s.Tmpfs, entry)
		default:
			rep.addf(line, name, "volumes", "%s mount at %s: not supported (volumes, bind mounts and tmpfs): left out", v.Type, v.Target)
		}
	}
}

func mountEntry(src, target string, flags []string) string {
	e := src + ":" + target
	if len(flags) > 0 {
		e += ":" + strings.Join(flags, ",")
	}
	return e
}

// bindSource is how a spec in outDir names the host path src: "./rel"
// when src is outDir or below it, else src itself (absolute).
func bindSource(src, outDir string) (string, bool) {
	if outDir == "" {
		return src, false
	}
	rel, err := filepath.Rel(outDir, src)
	if err != nil || rel == ".." || strings.HasPrefix(rel, ".."+string(filepath.Separator)) || filepath.IsAbs(rel) {
		return src, false
	}
	if rel == "." {
		return ".", true
	}
	return "./" + filepath.ToSlash(rel), true
}

// volumeName is the spec's name of the compose volume key: the key, or
// the volume's own name: when it is set.
func (im *importer) volumeName(key string) string {
	if v, ok := im.project.Volumes[key]; ok && v.Name != "" && v.Name != im.project.Name+"_"+key {
		return v.Name
	}
	return key
}

// networkName is the spec's name of the compose network key: the
// project's name for compose's default network, else the key, or the
// network's own name: when it is set. An external network is not joined.
func (im *importer) networkName(key string) (string, bool) {
	n, ok := im.project.Networks[key]
	if ok && bool(n.External) {
		return "", false
	}
	switch {
	case ok && n.Name != "" && n.Name != im.project.Name+"_"+key:
		return n.Name, true
	case key == "default":
		return im.project.Name, true
	}
	return key, true
}

// topLevel notes what the top-level networks and volumes say that the
// orchestrator does not do.
func (im *importer) topLevel() {
	rep := im.rep
	for _, key := range slices.Sorted(maps.Keys(im.project.Networks)) {
		n := im.project.Networks[key]
		if n.External {
			rep.addf(rep.line([]string{"networks", key, "external"}, 0), "", "networks."+key,
				"external: not supported (the orchestrator makes its own networks and refuses one it did not make): the services leave it out")
		}
		if d := n.Driver; d != "" && d != "bridge" {
			rep.addf(rep.line([]string{"networks", key, "driver"}, 0), "", "networks."+key, "driver %s: not supported: a bridge network is made", d)
		}
	}
	for _, key := range slices.Sorted(maps.Keys(im.project.Volumes)) {
		v := im.project.Volumes[key]
		if v.External {
			rep.addf(rep.line([]string{"volumes", key, "external"}, 0), "", "volumes."+key,
				"external: not supported (the orchestrator makes and labels its own volumes and refuses one it did not make): the services mount a new volume %s", im.volumeName(key))
		}
		if d := v.Driver; d != "" && d != "local" {
			rep.addf(rep.line([]string{"volumes", key, "driver"}, 0), "", "volumes."+key, "driver %s: not supported: a local volume is made", d)
		}
	}
}

func (im *importer) healthcheck(svc types.ServiceConfig, s *spec.Spec) {
	h := svc.HealthCheck
	if h == nil {
		return
	}
	if h.Disable {
		s.Healthcheck = &spec.Healthcheck{Disable: true}
		return
	}
	if len(h.Test) == 0 {
		im.rep.addf(im.rep.svcLine(svc.Name, "healthcheck"), svc.Name, "healthcheck", "no test: the image's test with other timings cannot be said in a spec: left out")
		return
	}
	hc := &spec.Healthcheck{Test: spec.HealthTest(slices.Clone(h.Test))}
	for _, d := range []struct {
		in  *types.Duration
		out *string
	}{{h.Interval, &hc.Interval}, {h.Timeout, &hc.Timeout}, {h.StartPeriod, &hc.StartPeriod}} {
		if d.in != nil {
			*d.out = time.Duration(*d.in).String()
		}
	}
	if h.Retries != nil {
		hc.Retries = int(*h.Retries)
	}
	s.Healthcheck = hc
}

// placementOf is deploy.placement as a spec's placement (serve --engine
// swarm's; the docker engine has one host and ignores it); nil when it
// says nothing.
func placementOf(p types.Placement) *spec.Placement {
	out := &spec.Placement{Constraints: slices.Clone(p.Constraints), MaxReplicasPerNode: int(p.MaxReplicas)}
	for _, pref := range p.Preferences {
		if pref.Spread != "" {
			out.Preferences = append(out.Preferences, "spread="+pref.Spread)
		}
	}
	if len(out.Constraints) == 0 && len(out.Preferences) == 0 && out.MaxReplicasPerNode == 0 {
		return nil
	}
	return out
}

// restart: deploy.restart_policy wins over restart, as in compose.
func (im *importer) restart(svc types.ServiceConfig, s *spec.Spec) {
	s.Restart = svc.Restart
	if svc.Deploy == nil || svc.Deploy.RestartPolicy == nil {
		return
	}
	p, name, rep := svc.Deploy.RestartPolicy, svc.Name, im.rep
	switch p.Condition {
	case "", "any":
		s.Restart = spec.RestartAlways
	case "none":
		s.Restart = spec.RestartNo
	case spec.RestartOnFailure:
		s.Restart = spec.RestartOnFailure
		if p.MaxAttempts != nil {
			s.Restart += ":" + strconv.FormatUint(*p.MaxAttempts, 10)
		}
		return
	default:
		rep.addf(rep.svcLine(name, "deploy", "restart_policy", "condition"), name, "deploy.restart_policy", "condition %s: not supported: left out", p.Condition)
		s.Restart = svc.Restart
		return
	}
	if p.MaxAttempts != nil {
		rep.addf(rep.svcLine(name, "deploy", "restart_policy", "max_attempts"), name, "deploy.restart_policy",
			"max_attempts counts only with condition on-failure: left out")
	}
}
